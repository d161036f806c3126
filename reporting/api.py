"""API: the anonymized report for insurers' BI tools, with the page's figures and suppression.

Counts only, as published for the page (`services.published`): every table of the report, one
filter at a time (report.py says why two combined are refused), each read audited."""

from __future__ import annotations

from typing import Any

from flask import abort, request

from pelvicoach.platform.api import api_blueprint, audit_call, operation
from pelvicoach.platform.errors import problem
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.reporting import services
from pelvicoach.reporting.report import EVERYONE, Dim, Report, Setting, Table
from pelvicoach.reporting.schemas import (
    ReportIndexSchema,
    ReportOneTableSchema,
    ReportQuerySchema,
    ReportSchema,
)

bp = api_blueprint("reports_api", __name__)

SCOPE = "reports:read"
MONTHS = "months"  # enrolments per month, served as one more table of the same shape


def _setting(asked: list[str], options: dict[Dim, list[str]]) -> Setting:
    """`dimension:value` as the page's select offers it; anything else is a 400 that lists
    what is offered."""
    if not asked:
        return EVERYONE
    offered = [str(Setting(dim, value)) for dim, values in options.items() for value in values]
    if len(asked) > 1:
        abort(problem(400, "Bad Request", "One filter at a time.", allowed=offered))
    if asked[0] not in offered:
        abort(
            problem(400, "Bad Request", f"Not a filter of this report: {asked[0]}", allowed=offered)
        )
    return Setting.parse(asked[0])


def _read(asked: list[str], table: str | None = None) -> Report:
    """The published report under the asked filter; the read is audited as the page's is."""
    asked = [value for value in asked if value]  # an empty one is all women, as on the page
    shown = services.published(require_tenant())
    audit_call(
        "report.view",
        object_type="report",
        object_id=table,
        detail={"filter": ",".join(asked) or "all"},
    )
    db.session.commit()
    return shown.report(_setting(asked, shown.options))


def _tables(report: Report) -> dict[str, Table]:
    """The report's tables, enrolments per month, and the practising curve by month of
    enrolment as one table a month and week (all women, or a year: as the page shows it)."""
    months = {MONTHS: report.months} if report.months is not None else {}
    curve = {
        f"curve_{month}_week_{week}": table
        for month, by_week in report.curve.items()
        for week, table in by_week.items()
    }
    return {**report.tables, **months, **curve}


def _answer(report: Report, **payload: Any) -> dict[str, Any]:
    applied = report.setting if report.setting.dim is not None else None
    return {
        "k": report.k,
        "computed_at": report.computed_at,
        "filter": applied,
        "options": report.options,
        **payload,
    }


@bp.get("/reports")
@operation("The report's tables and the filters it offers", scope=SCOPE, response=ReportIndexSchema)
def index():
    report = _read([])
    return ReportIndexSchema().dump(_answer(report, tables=list(_tables(report))))


@bp.get("/reports/summary")
@operation(
    "Every table of the report, under one filter",
    scope=SCOPE,
    query=ReportQuerySchema,
    response=ReportSchema,
)
def summary():
    report = _read(request.args.getlist("filter"))
    return ReportSchema().dump(_answer(report, tables=list(_tables(report).items())))


@bp.get("/reports/tables/<table>")
@operation(
    "One table of the report, under one filter",
    scope=SCOPE,
    query=ReportQuerySchema,
    response=ReportOneTableSchema,
)
def one_table(table: str):
    report = _read(request.args.getlist("filter"), table)
    tables = _tables(report)
    if table not in tables:
        abort(problem(404, "Not Found", f"No table {table} in this report.", allowed=list(tables)))
    return ReportOneTableSchema().dump(_answer(report, table=(table, tables[table])))
