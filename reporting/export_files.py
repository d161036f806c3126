"""The report as files: CSV and Excel list every published figure of every table (a hidden one
says so), the PDF is the page as printed. Text written by people (a team's name) goes through
the spreadsheet guard, so no cell is taken for a formula."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from flask import render_template
from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook

from pelvicoach.platform.spreadsheets import safe, write_csv
from pelvicoach.programs import pdf
from pelvicoach.reporting import figures, labels
from pelvicoach.reporting.facts import OUTCOME_WEEKS
from pelvicoach.reporting.report import STAGES, WEEKS, Report, Table

Line = tuple[str, str, str, int | None, int | None]  # section, table, category, women, of


def _table(section: str, title: str, table: Table, names: dict) -> Iterator[Line]:
    for row in table.rows:
        yield section, title, str(names[row.category]), row.count, table.total


def listing(report: Report) -> Iterator[Line]:
    """Every figure the page shows, table by table."""
    funnel = report.tables["funnel"]
    section = _("From invitation to exercise therapy")
    for stage, reached in zip(STAGES, report.reached, strict=True):
        yield section, _("Reached this step"), str(labels.STAGES[stage]), reached, funnel.total
    section = _("Practising")
    for week in WEEKS:
        if (table := report.tables.get(f"active_{week}")) is not None:
            title = _("Week %(n)s since enrolment", n=week)
            yield from _table(section, title, table, labels.VALUES["active"])
    for month, by_week in report.curve.items():
        title = _("Enrolled in %(month)s", month=labels.month_label(month))
        for week, table in by_week.items():
            if table.has(1):
                names = {
                    c: f"{_('week %(n)s', n=week)}: {labels.VALUES['active'][c]}" for c in (1, 0)
                }
                rows = Table([row for row in table.rows if row.category in names], table.total)
                yield from _table(section, title, rows, names)
    yield from _table(
        section,
        _("Sets a week over the last four weeks"),
        report.tables["sets_week"],
        labels.VALUES["sets_week"],
    )
    yield from _table(
        section,
        _("Did the sets her plan asks for (last four weeks)"),
        report.tables["plan"],
        labels.VALUES["plan"],
    )
    for kind, title in labels.VALUES["sends"].items():
        yield from _table(
            section, str(title), report.tables[f"sends_{kind}"], labels.VALUES["returns"]
        )
        reached = report.tables[f"reached_{kind}"]
        yield section, str(title), _("women they went to"), reached.count("women"), reached.total
    section = _("Intake outcomes")
    for key, title in labels.TITLES.items():
        yield from _table(section, str(title), report.tables[key], labels.VALUES[key])
    section = _("Outcomes at weeks 8 and 12")
    for week in OUTCOME_WEEKS:
        for kind, title in (
            ("pgi", _("How she rates the change")),
            ("change", _("Severity against the intake (ISI)")),
        ):
            yield from _table(
                section,
                f"{title}: {_('week %(n)s', n=week)}",
                report.tables[f"{kind}_{week}"],
                labels.VALUES[kind],
            )
    section = _("Referrals to care")
    yield from _table(
        section,
        _("Advised, confirmed and attended"),
        report.tables["referral"],
        labels.VALUES["referral"],
    )
    yield from _table(
        section,
        _("Why she was referred"),
        report.tables["referral_reason"],
        labels.VALUES["referral_reason"],
    )
    yield from _table(
        section, _("To whom"), report.tables["referral_kind"], labels.VALUES["referral_kind"]
    )
    months = {row.category: labels.month_label(row.category) for row in report.months.rows}
    yield from _table(_("Enrolments per month"), _("Women enrolled"), report.months, months)


def _header() -> list[str]:
    return [_("Section"), _("Table"), _("Category"), _("Women"), _("Of")]


def _cells(line: Line) -> list[object]:
    hidden = _("hidden")
    *text, count, total = line
    return [*text, hidden if count is None else count, hidden if total is None else total]


def _about(report: Report, tenant_name: str) -> list[list[str]]:
    """What the file is: whose, which women, when, and why some figures are hidden."""
    setting = report.setting
    chosen = (
        f"{labels.DIMS[setting.dim]}: {labels.value_label(setting.dim, setting.value or '')}"
        if setting.dim
        else _("all women")
    )
    return [
        [_("Report of %(name)s", name=tenant_name)],
        [_("Women: %(filter)s", filter=chosen)],
        [_("Figures as of %(when)s", when=format_datetime(report.computed_at, "short"))],
        [
            _(
                "Counts of women, never a woman: groups smaller than %(k)s are hidden (–), and"
                " so is any figure that would let one be worked out.",
                k=report.k,
            )
        ],
    ]


def to_csv(report: Report, tenant_name: str) -> bytes:
    rows = [
        *_about(report, tenant_name),
        [],
        _header(),
        *(_cells(line) for line in listing(report)),
    ]
    return write_csv(rows[0], rows[1:]).encode("utf-8")


def to_xlsx(report: Report, tenant_name: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Report")[:31]
    for row in [*_about(report, tenant_name), [], _header()]:
        sheet.append([safe(cell) for cell in row])
    for line in listing(report):
        sheet.append([cell if isinstance(cell, int) else safe(cell) for cell in _cells(line)])
    for column, width in zip("ABCDE", (34, 44, 52, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A6"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: Report, tenant_name: str) -> bytes:
    html = render_template(
        "reporting/print.html",
        tenant_name=tenant_name,
        about=_about(report, tenant_name),
        **figures.body(report),
    )
    document = pdf.render(html)
    if document is None:
        raise RuntimeError("PDFs need WeasyPrint's system libraries (Pango)")
    return document


WRITERS: dict[str, Callable[[Report, str], bytes]] = {
    "csv": to_csv,
    "xlsx": to_xlsx,
    "pdf": to_pdf,
}
