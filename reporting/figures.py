"""The charts of the report page, drawn from its published figures only."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from pelvicoach.reporting import charts, labels
from pelvicoach.reporting.facts import OUTCOME_WEEKS
from pelvicoach.reporting.report import STAGES, WEEKS, Report, practising

MOST_COHORTS = len(charts.PALETTE)  # the curve draws the latest months; its table has them all


def _text(count: int | None) -> str:
    return _("hidden") if count is None else format_decimal(count)


def of(report: Report) -> dict[str, str]:
    """Chart name -> SVG data URI, for the charts there is something to draw for."""
    drawn = {}
    if report.tables["funnel"].total is not None:
        drawn["funnel"] = charts.bars(
            [str(labels.STAGES[stage]) for stage in STAGES],
            report.reached,
            [_text(count) for count in report.reached],
        )
    weeks = [week for week in WEEKS if f"active_{week}" in report.tables]
    if any(practising(report.tables[f"active_{week}"]) is not None for week in weeks):
        drawn["weeks"] = charts.shares(
            [str(week) for week in weeks],
            {_("Practising"): [practising(report.tables[f"active_{week}"]) for week in weeks]},
            _("Week since enrolment"),
        )
    cohorts = {
        labels.month_label(month): [practising(by_week[week]) for week in WEEKS]
        for month, by_week in report.curve.items()
    }
    cohorts = {
        name: points for name, points in cohorts.items() if any(p is not None for p in points)
    }
    if cohorts:
        latest = dict(list(cohorts.items())[-MOST_COHORTS:])
        drawn["curve"] = charts.shares([str(w) for w in WEEKS], latest, _("Week since enrolment"))
    if report.months.rows and report.months.total is not None:
        drawn["months"] = charts.bars(
            [labels.month_label(row.category) for row in report.months.rows],
            [row.count for row in report.months.rows],
            [_text(row.count) for row in report.months.rows],
        )
    return drawn


def body(report: Report) -> dict[str, object]:
    """What the report's body template (`_body.html`) reads, for the page and for its PDF."""
    return {
        "report": report,
        "labels": labels,
        "weeks": WEEKS,
        "outcome_weeks": OUTCOME_WEEKS,
        "practising": practising,
        "charts": of(report),
        "month_label": labels.month_label,
    }
