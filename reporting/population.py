"""The women of one tenant as counts: one GROUP BY in SQL over each woman's facts (`facts`:
where she is in the coach, her intake's outcome, her answers and referral) with what the days
since have made of them (weeks of training ended, the last four weeks of practice), by the
dimensions the report filters by; a second by those dimensions alone, for her weeks of practice
and her messages. Nothing that names her leaves the database: no id, pseudonym, exact date or
free text, only categories and how many women share them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, Subquery, and_, case, func, literal, select
from sqlalchemy.engine import Connection

from pelvicoach.platform.extensions import db
from pelvicoach.programs.training.models import PracticeDay, PracticeWeeks
from pelvicoach.reporting import facts, replica
from pelvicoach.reporting.facts import OUTCOME_WEEKS, Stage
from pelvicoach.reporting.models import ReportFacts
from pelvicoach.reporting.sql import days_between
from pelvicoach.tenants.staff.models import StaffProfile

ACTIVE_WEEKS = (4, 8, 12)  # the funnel's "still practising" weeks
CURVE_WEEKS = 12  # the retention curve: each week since enrolment up to this one
RECENT_WEEKS = 4  # the window of "sets a week" and "did her plan's sets": the last four weeks
# Average sets a week over the window, banded: none at all, then bands starting at 7, 14 and 21
# (three a day, what most levels ask).
SET_BANDS = ("0", "1-6", "7-13", "14-20", "21+")
BAND_STARTS = (7, 14, 21)
NO_TEAM = ""
SEND_KINDS = ("reminder", "nudge")


@dataclass(frozen=True)
class Population:
    """A tenant's women in counts, each row with the filter dimensions (DIMENSIONS) and `n`: the
    women with their facts; the weeks since enrolment in which women practised (`week`, one row
    per week and group); and the reminders and nudges sent to them, with how many were followed
    by a set (`kind`, `sends`, `returned`, and `n` the women they went to)."""

    women: pd.DataFrame
    practice: pd.DataFrame
    sends: pd.DataFrame
    today: date  # in the tenant's time zone: which weeks since enrolment have ended


DIMENSIONS = ("cohort", "age", "version", "month", "team")
WEEK_COLUMNS = tuple(str(week) for week in range(1, CURVE_WEEKS + 1))
SEND_COLUMNS = {kind: (f"{kind}s", f"{kind}s_returned", f"{kind}_women") for kind in SEND_KINDS}


class _Scope:
    """What both counts share: the tenant's facts, her clinician's team, the days since she
    enrolled (in the tenant's time zone) and whether she is in training."""

    def __init__(self, tenant_id: int, time_zone: str, now: datetime, connection: Connection):
        self.tenant_id = tenant_id
        self.connection = connection  # the primary's, or the reporting replica's
        self.today = now.astimezone(ZoneInfo(time_zone)).date()
        self.enrolled_days = days_between(ReportFacts.enrolled_on, literal(self.today))
        self.training = ReportFacts.stage == Stage.TRAINING
        self.dimensions = {
            "cohort": ReportFacts.cohort,
            "age": ReportFacts.age,
            "version": ReportFacts.version,
            "month": ReportFacts.month,
            "team": func.coalesce(StaffProfile.team, NO_TEAM),
        }

    def per_woman(self, columns: dict[str, Any], *joins: tuple[Any, Any]) -> Subquery:
        """A row per woman of the tenant with `columns`, over her facts (and `joins`)."""
        query = (
            select(*(column.label(name) for name, column in columns.items()))
            .select_from(ReportFacts)
            .outerjoin(
                StaffProfile,
                and_(
                    StaffProfile.tenant_id == self.tenant_id,
                    StaffProfile.user_id == ReportFacts.clinician_id,
                ),
            )
        )
        for target, on in joins:
            query = query.outerjoin(target, on)
        return query.where(ReportFacts.tenant_id == self.tenant_id).subquery()

    def grouped(self, per_woman: Subquery, names: list[str], *sums: Any) -> pd.DataFrame:
        """GROUP BY every column of `per_woman` named, counting women (and adding `sums`)."""
        query = select(*(per_woman.c[name] for name in names), *sums, func.count().label("n"))
        query = query.group_by(*(per_woman.c[name] for name in names))
        return _frame(self.connection, query, [*names, *(c.name for c in sums), "n"])


def _frame(connection: Connection, query: Select, columns: list[str]) -> pd.DataFrame:
    """The rows as the driver's cursor hands them over: a row object per row and pandas' look
    at each cost more than the query itself (56,000 rows in tests/perf/bench_report.py)."""
    result = connection.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def gather(tenant_id: int, time_zone: str, now: datetime) -> Population:
    with _counting(tenant_id, time_zone) as connection:
        scope = _Scope(tenant_id, time_zone, now, connection)
        counted = _women(scope)
        practice, sends = _split(_groups(scope))
    return Population(counted, practice, sends, scope.today)


def women(tenant_id: int, time_zone: str, now: datetime) -> pd.DataFrame:
    """The women and their facts alone (the operator's benchmark needs no more)."""
    with _counting(tenant_id, time_zone) as connection:
        return _women(_Scope(tenant_id, time_zone, now, connection))


@contextmanager
def _counting(tenant_id: int, time_zone: str) -> Iterator[Connection]:
    """The tenant's facts brought up to date (on the primary), and a connection set for
    counting them: the reporting replica's once it has them, else the session's."""
    facts.refresh(tenant_id, time_zone)
    with replica.reading(db.session) as connection:
        _tuned(connection)
        yield connection


def _tuned(connection: Connection) -> None:
    """Settings for this transaction only, on PostgreSQL: no JIT (it compiled the women's query,
    dozens of expressions, for longer than the query runs), and memory enough to group the women
    by their facts in a hash table rather than by sorting them on disk
    (tests/perf/bench_report.py)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.set_config("jit", "off", True)))
        connection.execute(select(func.set_config("work_mem", "64MB", True)))


def _women(scope: _Scope) -> pd.DataFrame:
    """One row per combination of dimensions and facts, with `n` women in it."""
    her = ReportFacts
    recent = _recent_sets(scope)
    columns = {
        **scope.dimensions,
        "stage": her.stage,
        # Weeks since enrolment that have ended, up to the curve's last (None: not in training)
        "weeks_done": case(
            (~scope.training, None),
            (scope.enrolled_days >= 7 * CURVE_WEEKS, CURVE_WEEKS),
            else_=scope.enrolled_days // 7,
        ),
        **_recent_practice(scope, func.coalesce(recent.c.sets, 0)),
        "type": her.type,
        "severity": her.severity,
        "control": her.control,
        "red_flag": her.red_flag,
        "route": her.route,
        **_outcomes(scope),
        "referral": her.referral,
        "referral_reason": her.referral_reason,
        "referral_kind": her.referral_kind,
    }
    per_woman = scope.per_woman(columns, (recent, recent.c.patient_id == her.patient_id))
    return scope.grouped(per_woman, list(columns))


def _groups(scope: _Scope) -> pd.DataFrame:
    """By the dimensions alone: the women in training who logged a set in each week since
    enrolment, for the weeks of the curve that have ended (columns "1" to "12", from her weeks
    as bits); the reminders and nudges sent, those followed by a set, and the women they went
    to."""
    her = ReportFacts
    ended = scope.enrolled_days // 7  # her weeks since enrolment that have ended
    per_woman = scope.per_woman(
        {
            **scope.dimensions,
            # Her practised weeks among those that have ended (bit w - 1: week w)
            "weeks": case(
                (~scope.training, 0),
                (ended >= CURVE_WEEKS, func.coalesce(PracticeWeeks.weeks, 0)),
                else_=func.coalesce(PracticeWeeks.weeks, 0).bitwise_and(
                    literal(1).bitwise_lshift(ended) - 1
                ),
            ),
            **{f"{kind}s": her.__table__.c[f"{kind}s"] for kind in SEND_KINDS},
            **{f"{kind}s_returned": her.__table__.c[f"{kind}s_returned"] for kind in SEND_KINDS},
        },
        (
            PracticeWeeks,
            and_(
                PracticeWeeks.tenant_id == scope.tenant_id,
                PracticeWeeks.patient_id == her.patient_id,
            ),
        ),
    )
    weeks = [
        func.sum(per_woman.c.weeks.bitwise_rshift(week - 1).bitwise_and(1)).label(str(week))
        for week in range(1, CURVE_WEEKS + 1)
    ]
    sends = []
    for sent, returned, reached in SEND_COLUMNS.values():
        sends += [
            func.sum(per_woman.c[sent]).label(sent),
            func.sum(per_woman.c[returned]).label(returned),
            func.sum(case((per_woman.c[sent] > 0, 1), else_=0)).label(reached),
        ]
    return scope.grouped(per_woman, list(DIMENSIONS), *weeks, *sends)


def _split(groups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts by group as the report reads them: practice a row per group and week,
    messages a row per group and kind (groups without any left out)."""
    dims = list(DIMENSIONS)
    practice = by_week(groups[[*dims, *WEEK_COLUMNS]])
    sends = []
    for kind, (sent, returned, reached) in SEND_COLUMNS.items():
        rows = groups.loc[groups[reached] > 0, [*dims, sent, returned, reached]]
        rows = rows.rename(columns={sent: "sends", returned: "returned", reached: "n"})
        sends.append(rows.assign(kind=kind))
    columns = [*dims, "kind", "sends", "returned", "n"]
    sends_frame = pd.concat(sends, ignore_index=True)[columns].astype(
        {"sends": int, "returned": int, "n": int}
    )
    return practice, sends_frame


def by_week(wide: pd.DataFrame) -> pd.DataFrame:
    """The women who practised per group and week (columns "1" to "12"), a row per week."""
    long = wide.melt(id_vars=list(DIMENSIONS), var_name="week", value_name="n")
    long["week"] = long["week"].astype(int)
    long["n"] = long["n"].astype(int)
    return long[long["n"] > 0].reset_index(drop=True)


def _recent_sets(scope: _Scope) -> Subquery:
    """Her sets over the last four weeks (women without any are not in it)."""
    return (
        select(PracticeDay.patient_id.label("patient_id"), func.sum(PracticeDay.sets).label("sets"))
        .where(
            PracticeDay.tenant_id == scope.tenant_id,
            PracticeDay.day >= scope.today - timedelta(days=7 * RECENT_WEEKS),
            PracticeDay.day < scope.today,
        )
        .group_by(PracticeDay.patient_id)
        .subquery()
    )


def _recent_practice(scope: _Scope, recent: Any) -> dict:
    """Her sets a week over the last four weeks, banded, and whether they reached what her plan
    asks (its level's sets a day, every day); None for a woman not in training that long."""
    window = 7 * RECENT_WEEKS
    eligible = scope.training & (scope.enrolled_days >= window)
    bands = [
        (recent < RECENT_WEEKS * start, label)
        for label, start in zip(SET_BANDS[1:], BAND_STARTS, strict=False)
    ]
    return {
        "sets_band": case(
            (~eligible, None), (recent == 0, SET_BANDS[0]), *bands, else_=SET_BANDS[-1]
        ),
        "plan": case(
            (~eligible, None),
            (recent >= window * ReportFacts.planned, "meets"),
            else_="below",
        ),
    }


def _outcomes(scope: _Scope) -> dict:
    """Her check-ins at weeks 8 and 12 of practice as she answered them, or, unanswered,
    whether the week is past or still ahead (or she has not started practising)."""
    columns = {}
    started = days_between(ReportFacts.started_on, literal(scope.today))
    for week in OUTCOME_WEEKS:
        missing = case((started >= 7 * week, "no_answer"), else_="not_yet")
        for name in (f"pgi_{week}", f"change_{week}"):
            answer = ReportFacts.__table__.c[name]
            columns[name] = case((~scope.training, None), else_=func.coalesce(answer, missing))
    return columns
