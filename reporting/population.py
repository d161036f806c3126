"""The women of one tenant as counts: one GROUP BY in SQL over the facts each report table needs
(where she is in the coach, her intake's outcome, whether she practised in weeks 4, 8 and 12) and
the dimensions the report filters by. Nothing that names her leaves the database: no id,
pseudonym, exact date or free text, only categories and how many women share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, Subquery, and_, case, extract, func, literal, select
from sqlalchemy.orm import aliased

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.configuration.services import programs_by_version
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment, Referral
from pelvicoach.programs.followup.rules import PGI_SUCCESS
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Route
from pelvicoach.programs.reminders.models import ReminderSend
from pelvicoach.programs.training.models import PracticeDay, PracticeWeeks, TrainingPlan
from pelvicoach.reporting.sql import days_between, local_day, month_of
from pelvicoach.tenants.staff.models import StaffProfile

ACTIVE_WEEKS = (4, 8, 12)  # the funnel's "still practising" weeks
CURVE_WEEKS = 12  # the retention curve: each week since enrolment up to this one
OUTCOME_WEEKS = (8, 12)  # check-ins whose answers the report shows
AGE_BANDS = ("<30", "30-34", "35-39", "40-49", "50+")
RECENT_WEEKS = 4  # the window of "sets a week" and "did her plan's sets": the last four weeks
# Average sets a week over the window, banded: none at all, then bands starting at 7, 14 and 21
# (three a day, what most levels ask).
SET_BANDS = ("0", "1-6", "7-13", "14-20", "21+")
BAND_STARTS = (7, 14, 21)
NO_TEAM = ""


class Stage:
    """How far she came, each stage including the ones before."""

    INVITED, REGISTERED, CONSENTED, INTAKE, TRAINING = range(5)


@dataclass(frozen=True)
class Population:
    """A tenant's women in three GROUP BYs, each with the filter dimensions (DIMENSIONS) and `n`:
    the women with their facts; the weeks since enrolment in which women practised (`week`, one
    row per week and group); and the reminders and nudges sent to them, with how many were
    followed by a set (`kind`, `sends`, `returned`, and `n` the women they went to)."""

    women: pd.DataFrame
    practice: pd.DataFrame
    sends: pd.DataFrame
    today: date  # in the tenant's time zone: which weeks since enrolment have ended


DIMENSIONS = ("cohort", "age", "version", "month", "team")


def _age_band(age: object) -> object:
    return case(
        (age < 30, AGE_BANDS[0]),
        (age < 35, AGE_BANDS[1]),
        (age < 40, AGE_BANDS[2]),
        (age < 50, AGE_BANDS[3]),
        else_=AGE_BANDS[4],
    )


class _Scope:
    """The SQL every query shares: her tenant's rows of a table, her filter dimensions and
    the joins they need, the days since she enrolled (in the tenant's time zone)."""

    def __init__(self, tenant_id: int, time_zone: str, now: datetime) -> None:
        self.tenant_id = tenant_id
        self.time_zone = time_zone
        self.today = now.astimezone(ZoneInfo(time_zone)).date()
        self.enrolled_day = local_day(Patient.enrolled_at, literal(time_zone))
        self.enrolled_days = days_between(self.enrolled_day, literal(self.today))
        self.dimensions = {
            "cohort": Patient.cohort,
            "age": _age_band(extract("year", Patient.enrolled_at) - Patient.birth_year),
            "version": func.coalesce(ProgramVersion.number, 0),
            "month": month_of(Patient.enrolled_at, literal(time_zone)),
            "team": func.coalesce(StaffProfile.team, NO_TEAM),
        }

    def hers(self, model: Any) -> list:
        return [model.tenant_id == self.tenant_id, model.patient_id == Patient.id]

    def joined(self, query: Select) -> Select:
        """The query over her tenant's patients, with what the dimensions read."""
        tenant_id = self.tenant_id
        return (
            query.outerjoin(
                ProgramVersion,
                and_(
                    ProgramVersion.tenant_id == tenant_id,
                    ProgramVersion.id == Patient.program_version_id,
                ),
            )
            .outerjoin(
                StaffProfile,
                and_(
                    StaffProfile.tenant_id == tenant_id,
                    StaffProfile.user_id == Patient.clinician_id,
                ),
            )
            .where(Patient.tenant_id == tenant_id)
        )

    def grouped(self, per_woman: Subquery, names: list[str], *sums: Any) -> pd.DataFrame:
        """GROUP BY every column of `per_woman` named, counting women (and adding `sums`)."""
        query = select(*(per_woman.c[name] for name in names), *sums, func.count().label("n"))
        rows = db.session.execute(query.group_by(*(per_woman.c[name] for name in names))).all()
        extra = [column.name for column in sums]
        frame = pd.DataFrame(rows, columns=[*names, *extra, "n"])
        for name in ("cohort", "route", "referral_kind", "kind"):
            if name in frame:
                frame[name] = frame[name].map(lambda value: getattr(value, "value", value))
        return frame


def gather(tenant_id: int, time_zone: str, now: datetime) -> Population:
    _tuned()
    scope = _Scope(tenant_id, time_zone, now)
    return Population(_women(scope), _practice(scope), _sends(scope), scope.today)


def women(tenant_id: int, time_zone: str, now: datetime) -> pd.DataFrame:
    """The women and their facts alone (the operator's benchmark needs no more)."""
    _tuned()
    return _women(_Scope(tenant_id, time_zone, now))


def _tuned() -> None:
    """Settings for this transaction only, on PostgreSQL: no JIT (it compiled the women's query,
    hundreds of expressions, for longer than the query runs: seconds at any size), and memory
    enough to group the women by their facts in a hash table rather than by sorting them on
    disk (tests/perf/bench_report.py)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.set_config("jit", "off", True)))
        db.session.execute(select(func.set_config("work_mem", "64MB", True)))


class _Her:
    """What the report reads about each woman beyond her own row, one row per woman each (her
    latest intake, her plan, ...), joined to her: every fact is read once per woman, however
    many figures use it (correlated subqueries were evaluated again at every mention)."""

    def __init__(self, scope: _Scope) -> None:
        self.scope = scope
        tenant = scope.tenant_id
        self.intake = _latest(
            Intake,
            (Intake.completed_at.desc(), Intake.id.desc()),
            Intake.tenant_id == tenant,
            Intake.completed_at.is_not(None),
            id=Intake.id,
            scores=Intake.scores,
            rule=Intake.rule,
            route=Intake.route,
            # Training opened by any of her intakes (a later one may have said wait)
            opened=func.max(case((Intake.route == Route.TRAINING, 1), else_=0)).over(
                partition_by=Intake.patient_id
            ),
        )
        self.plan = aliased(TrainingPlan)
        self.intake_done = self.intake.c.id.is_not(None)
        # A nested funnel: opened by the intake or by a clinician, once her intake is done
        self.unlocked = self.intake_done & (self.plan.id.is_not(None) | (self.intake.c.opened == 1))

    def joined(self, query: Select) -> Select:
        return query.outerjoin(self.intake, self.intake.c.patient_id == Patient.id).outerjoin(
            self.plan, and_(*self.scope.hers(self.plan))
        )


def _latest(model: Any, order: tuple, *where: Any, **columns: Any) -> Subquery:
    """Her latest row of `model` by `order` (one row per woman), with `columns`."""
    rank = func.row_number().over(partition_by=model.patient_id, order_by=order)
    ranked = (
        select(model.patient_id.label("patient_id"), rank.label("rank"))
        .add_columns(*(column.label(name) for name, column in columns.items()))
        .where(*where)
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery()


def _women_with(scope: _Scope, model: Any, *where: Any) -> Subquery:
    """The women with at least one row of `model` (matching `where`)."""
    return (
        select(model.patient_id.label("patient_id"))
        .where(model.tenant_id == scope.tenant_id, *where)
        .group_by(model.patient_id)
        .subquery()
    )


def _women(scope: _Scope) -> pd.DataFrame:
    """One row per combination of dimensions and facts, with `n` women in it."""
    her = _Her(scope)
    intake, unlocked = her.intake, her.unlocked
    consented = _women_with(scope, Consent, Consent.kind == ConsentKind.HEALTH_DATA)
    stage = case(
        (unlocked, Stage.TRAINING),
        (her.intake_done, Stage.INTAKE),
        (consented.c.patient_id.is_not(None), Stage.CONSENTED),
        (Patient.user_id.is_not(None), Stage.REGISTERED),
        else_=Stage.INVITED,
    )
    enrolled_days = scope.enrolled_days
    scores = intake.c.scores
    baseline = func.coalesce(scores["isi"].as_integer(), 0)
    recent = _recent_sets(scope)
    answers = _answers(scope)
    referral = _referral(scope)
    alerted = _women_with(scope, CareAlert)
    columns = {
        **scope.dimensions,
        "stage": stage,
        # Weeks since enrolment that have ended, up to the curve's last (None: not in training)
        "weeks_done": case(
            (~unlocked, None),
            (enrolled_days >= 7 * CURVE_WEEKS, CURVE_WEEKS),
            else_=enrolled_days // 7,
        ),
        **_recent_practice(
            scope, unlocked, func.coalesce(recent.c.sets, 0), func.coalesce(her.plan.level, 1)
        ),
        "type": scores["incontinence_type"].as_string(),
        "severity": scores["isi_severity"].as_string(),
        "control": scores["control"].as_string(),
        "red_flag": case((intake.c.rule == "red_flag", "yes"), (intake.c.id.is_not(None), "no")),
        "route": intake.c.route,
        **_outcomes(answers, her.plan.practice_started_on, unlocked, baseline, scope.today),
        **_referrals(referral, alerted, intake),
    }
    per_woman = (
        her.joined(
            scope.joined(
                select(*(column.label(name) for name, column in columns.items())).select_from(
                    Patient
                )
            )
        )
        .outerjoin(consented, consented.c.patient_id == Patient.id)
        .outerjoin(recent, recent.c.patient_id == Patient.id)
        .outerjoin(answers, answers.c.patient_id == Patient.id)
        .outerjoin(referral, referral.c.patient_id == Patient.id)
        .outerjoin(alerted, alerted.c.patient_id == Patient.id)
        .subquery()
    )
    return scope.grouped(per_woman, list(columns))


def _practice(scope: _Scope) -> pd.DataFrame:
    """Women in training who logged a set in each week since enrolment, for the weeks of the
    curve that have ended: read from the weekly rollup, a row per woman with her weeks as bits."""
    her = _Her(scope)
    per_woman = (
        her.joined(
            scope.joined(
                select(
                    *(c.label(n) for n, c in scope.dimensions.items()),
                    PracticeWeeks.weeks.label("weeks"),
                    (scope.enrolled_days // 7).label("ended"),  # her weeks that have ended
                )
                .select_from(Patient)
                .join(PracticeWeeks, and_(*scope.hers(PracticeWeeks)))
            )
        )
        .where(her.unlocked)
        .subquery()
    )
    weeks = [
        func.sum(
            case(
                (
                    (per_woman.c.ended >= week)
                    & (per_woman.c.weeks.bitwise_and(1 << (week - 1)) != 0),
                    1,
                ),
                else_=0,
            )
        ).label(str(week))
        for week in range(1, CURVE_WEEKS + 1)
    ]
    return by_week(scope.grouped(per_woman, list(DIMENSIONS), *weeks))


def by_week(wide: pd.DataFrame) -> pd.DataFrame:
    """The women who practised per group and week (columns "1" to "12"), a row per week."""
    long = wide.drop(columns="n").melt(id_vars=list(DIMENSIONS), var_name="week", value_name="n")
    long["week"] = long["week"].astype(int)
    return long[long["n"] > 0].reset_index(drop=True)


def _sends(scope: _Scope) -> pd.DataFrame:
    """Reminders and nudges sent, and how many she followed by a set that day or the next;
    `n` counts the women they went to (each woman once per kind and group)."""
    per_kind = (
        select(
            ReminderSend.patient_id.label("patient_id"),
            ReminderSend.kind.label("kind"),
            func.count().label("sent"),
            func.sum(case((ReminderSend.returned, 1), else_=0)).label("back"),
        )
        .where(ReminderSend.tenant_id == scope.tenant_id, ReminderSend.sent_at.is_not(None))
        .group_by(ReminderSend.patient_id, ReminderSend.kind)
        .subquery()
    )
    per_woman = scope.joined(
        select(
            *(c.label(n) for n, c in scope.dimensions.items()),
            per_kind.c.kind,
            per_kind.c.sent,
            per_kind.c.back,
        )
        .select_from(Patient)
        .join(per_kind, per_kind.c.patient_id == Patient.id)
    ).subquery()
    return scope.grouped(
        per_woman,
        [*DIMENSIONS, "kind"],
        func.sum(per_woman.c.sent).label("sends"),
        func.sum(per_woman.c.back).label("returned"),
    )


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


def _recent_practice(scope: _Scope, unlocked: Any, recent: Any, level: Any) -> dict:
    """Her sets a week over the last four weeks, banded, and whether they reached what her plan
    asks (its level's sets a day, every day); None for a woman not in training that long."""
    window = 7 * RECENT_WEEKS
    eligible = unlocked & (scope.enrolled_days >= window)
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
            (recent >= window * _planned_per_day(scope.tenant_id, level), "meets"),
            else_="below",
        ),
    }


def _planned_per_day(tenant_id: int, level: Any) -> Any:
    """The sets a day her plan asks for, by her program version and level, as SQL: the versions
    are the tenant's few documents, read once per process."""
    versions = set(
        db.session.scalars(select(ProgramVersion.id).where(ProgramVersion.tenant_id == tenant_id))
    )
    programs = programs_by_version(tenant_id, {*versions, None})
    whens = []
    for version_id, program in programs.items():
        pinned = (
            Patient.program_version_id.is_(None)
            if version_id is None
            else Patient.program_version_id == version_id
        )
        for item in program.levels:
            whens.append((and_(pinned, level == item["level"]), item["sets"]))
    return case(*whens, else_=programs[None].sets_per_day(1))


def _answers(scope: _Scope) -> Subquery:
    """Her latest answers at the check-ins of weeks 8 and 12 (`pgi_8`, `isi_8`, ...)."""
    week = Reassessment.practice_week
    rank = func.row_number().over(
        partition_by=(Reassessment.patient_id, week),
        order_by=(Reassessment.completed_at.desc(), Reassessment.id.desc()),
    )
    ranked = (
        select(
            Reassessment.patient_id.label("patient_id"),
            week.label("week"),
            Reassessment.pgi_i.label("pgi"),
            Reassessment.isi.label("isi"),
            rank.label("rank"),
        )
        .where(Reassessment.tenant_id == scope.tenant_id, week.in_(OUTCOME_WEEKS))
        .subquery()
    )
    picked = [
        func.max(case((ranked.c.week == number, ranked.c[answer]))).label(f"{answer}_{number}")
        for number in OUTCOME_WEEKS
        for answer in ("pgi", "isi")
    ]
    return (
        select(ranked.c.patient_id, *picked)
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.patient_id)
        .subquery()
    )


def _outcomes(answers: Subquery, started: Any, unlocked: Any, baseline: Any, today: date) -> dict:
    """Her check-in at weeks 8 and 12 of practice: how she rates the change (PGI-I 1-2 is much
    better) and her severity against the intake; whether she answered, or the week is still
    ahead (or she has not started practising)."""
    columns = {}
    for week in OUTCOME_WEEKS:
        pgi, isi = answers.c[f"pgi_{week}"], answers.c[f"isi_{week}"]
        missing = case(
            (days_between(started, literal(today)) >= 7 * week, "no_answer"), else_="not_yet"
        )
        columns[f"pgi_{week}"] = case(
            (~unlocked, None),
            (pgi <= PGI_SUCCESS, "much_better"),
            (pgi.is_not(None), "not_much_better"),
            else_=missing,
        )
        columns[f"change_{week}"] = case(
            (~unlocked, None),
            (isi < baseline, "better"),
            (isi == baseline, "same"),
            (isi > baseline, "worse"),
            else_=missing,
        )
    return columns


def _referral(scope: _Scope) -> Subquery:
    """Her latest referral, and whether she went to any (`went`)."""
    return _latest(
        Referral,
        (Referral.confirmed_at.desc(), Referral.id.desc()),
        Referral.tenant_id == scope.tenant_id,
        id=Referral.id,
        reason=Referral.reason,
        care_kind=Referral.care_kind,
        went=func.max(case((Referral.attended.is_(True), 1), else_=0)).over(
            partition_by=Referral.patient_id
        ),
    )


def _referrals(referral: Subquery, alerted: Subquery, intake: Subquery) -> dict:
    """Whether she was advised to see someone (an alert, or her intake's outcome), confirmed
    that she would, and went; why and to whom, from her latest referral."""
    advised = alerted.c.patient_id.is_not(None) | intake.c.route.in_(
        (Route.SEE_GP, Route.PHYSIO, Route.AWARENESS)
    )
    return {
        "referral": case(
            (referral.c.went == 1, "attended"),
            (referral.c.id.is_not(None), "confirmed"),
            (advised, "advised"),
            else_="not_advised",
        ),
        "referral_reason": case(
            (referral.c.id.is_(None), None),
            (referral.c.reason == AlertKind.RED_FLAG, "red_flag"),
            (referral.c.reason == AlertKind.NO_IMPROVEMENT, "no_improvement"),
            (intake.c.rule.in_(("severe_tear", "severe_early")), "tear"),
            (intake.c.route == Route.AWARENESS, "control"),
            else_="her_request",
        ),
        "referral_kind": referral.c.care_kind,
    }
