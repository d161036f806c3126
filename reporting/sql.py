"""Calendar arithmetic the report groups by, written once for PostgreSQL (production and the
tests) and once for SQLite (the demo), where the two have no common spelling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class month_of(FunctionElement):  # noqa: N801 (used like a SQL function)
    """'YYYY-MM' of a timestamp in a time zone."""

    type = String()
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_pg(element: month_of, compiler: Any, **kw: Any) -> str:
    moment, zone = list(element.clauses)
    return (
        f"to_char(timezone({compiler.process(zone, **kw)}, {compiler.process(moment, **kw)}),"
        " 'YYYY-MM')"
    )


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    moment, _zone = list(element.clauses)  # the demo stores UTC and reports in it
    return f"strftime('%Y-%m', {compiler.process(moment, **kw)})"


class days_between(FunctionElement):  # noqa: N801
    """Whole days from one timestamp or day to another (negative before)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({end})::date - ({start})::date)"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday(date({end})) - julianday(date({start})) AS INTEGER)"


class local_day(FunctionElement):  # noqa: N801
    """The calendar day of a timestamp in a time zone: her day, as the session log keeps it."""

    type = Date()
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    moment, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(timezone({zone}, {moment}))::date"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    moment, _zone = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({moment})"
