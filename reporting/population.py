"""The women of one tenant as counts: one GROUP BY in SQL over the facts each report table needs
(where she is in the coach, her intake's outcome, whether she practised in weeks 4, 8 and 12) and
the dimensions the report filters by. Nothing that names her leaves the database: no id,
pseudonym, exact date or free text, only categories and how many women share them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, Subquery, and_, case, exists, extract, func, literal, select
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
from pelvicoach.programs.training.models import PracticeDay, TrainingPlan
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
    _without_jit()
    scope = _Scope(tenant_id, time_zone, now)
    return Population(_women(scope), _practice(scope), _sends(scope), scope.today)


def women(tenant_id: int, time_zone: str, now: datetime) -> pd.DataFrame:
    """The women and their facts alone (the operator's benchmark needs no more)."""
    _without_jit()
    return _women(_Scope(tenant_id, time_zone, now))


def _without_jit() -> None:
    """PostgreSQL's JIT compiles the women's query (hundreds of expressions, with a cost its
    correlated subqueries inflate far past the JIT thresholds) for longer than the query runs:
    seconds at any size (tests/perf/bench_report.py). Off for this transaction only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.set_config("jit", "off", True)))


def _unlocked(scope: _Scope) -> tuple[Any, Any]:
    """Whether her intake is done, and whether training is open (a nested funnel: opened by
    the intake or by a clinician, counted once her intake is done)."""
    done = aliased(Intake)
    intake_done = exists().where(*scope.hers(done), done.completed_at.is_not(None))
    unlocked = intake_done & (
        exists().where(*scope.hers(TrainingPlan))
        | exists().where(
            *scope.hers(done), done.completed_at.is_not(None), done.route == Route.TRAINING
        )
    )
    return intake_done, unlocked


def _women(scope: _Scope) -> pd.DataFrame:
    """One row per combination of dimensions and facts, with `n` women in it."""
    hers = scope.hers
    done = aliased(Intake)  # her intakes, apart from the latest joined below
    latest_intake = (
        select(done.id)
        .where(*hers(done), done.completed_at.is_not(None))
        .order_by(done.completed_at.desc(), done.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    intake_done, unlocked = _unlocked(scope)
    stage = case(
        (unlocked, Stage.TRAINING),
        (intake_done, Stage.INTAKE),
        (
            exists().where(*hers(Consent), Consent.kind == ConsentKind.HEALTH_DATA),
            Stage.CONSENTED,
        ),
        (Patient.user_id.is_not(None), Stage.REGISTERED),
        else_=Stage.INVITED,
    )
    enrolled_days = scope.enrolled_days
    scores = Intake.scores
    baseline = func.coalesce(scores["isi"].as_integer(), 0)
    columns = {
        **scope.dimensions,
        "stage": stage,
        # Weeks since enrolment that have ended, up to the curve's last (None: not in training)
        "weeks_done": case(
            (~unlocked, None),
            (enrolled_days >= 7 * CURVE_WEEKS, CURVE_WEEKS),
            else_=enrolled_days // 7,
        ),
        **_recent_practice(scope, unlocked, func.coalesce(PLAN.level, 1)),
        "type": scores["incontinence_type"].as_string(),
        "severity": scores["isi_severity"].as_string(),
        "control": scores["control"].as_string(),
        "red_flag": case((Intake.rule == "red_flag", "yes"), (Intake.id.is_not(None), "no")),
        "route": Intake.route,
        **_outcomes(hers, unlocked, baseline, scope.today),
        **_referrals(hers),
    }
    per_woman = (
        scope.joined(select(*(column.label(name) for name, column in columns.items())))
        .select_from(Patient)
        .outerjoin(Intake, and_(Intake.tenant_id == scope.tenant_id, Intake.id == latest_intake))
        .outerjoin(
            LATEST_REFERRAL,
            and_(
                LATEST_REFERRAL.tenant_id == scope.tenant_id,
                LATEST_REFERRAL.id == _latest_referral(hers),
            ),
        )
        .outerjoin(PLAN, and_(*hers(PLAN)))
        .subquery()
    )
    return scope.grouped(per_woman, list(columns))


def _practice(scope: _Scope) -> pd.DataFrame:
    """Women in training who logged a set in each week since enrolment, for the weeks of the
    curve that have ended: read from the daily rollup, one row a day per woman."""
    _done, unlocked = _unlocked(scope)
    since = days_between(scope.enrolled_day, PracticeDay.day)
    week = (since // 7 + 1).label("week")
    per_woman_week = (
        scope.joined(
            select(*(c.label(n) for n, c in scope.dimensions.items()), week)
            .select_from(Patient)
            .join(PracticeDay, and_(*scope.hers(PracticeDay)))
        )
        .where(
            unlocked,
            since >= 0,
            since < 7 * CURVE_WEEKS,
            since // 7 < scope.enrolled_days // 7,  # her week has ended
        )
        .group_by(Patient.id, *scope.dimensions.values(), week)
        .subquery()
    )
    return scope.grouped(per_woman_week, [*DIMENSIONS, "week"])


def _sends(scope: _Scope) -> pd.DataFrame:
    """Reminders and nudges sent, and how many she followed by a set that day or the next;
    `n` counts the women they went to (each woman once per kind and group)."""
    sent_day = local_day(ReminderSend.sent_at, literal(scope.time_zone))
    returned = exists().where(
        *scope.hers(PracticeDay), days_between(sent_day, PracticeDay.day).between(0, 1)
    )
    per_woman = (
        scope.joined(
            select(
                *(c.label(n) for n, c in scope.dimensions.items()),
                ReminderSend.kind.label("kind"),
                func.count().label("sent"),
                func.sum(case((returned, 1), else_=0)).label("back"),
            )
            .select_from(Patient)
            .join(ReminderSend, and_(*scope.hers(ReminderSend)))
        )
        .where(ReminderSend.sent_at.is_not(None))
        .group_by(Patient.id, *scope.dimensions.values(), ReminderSend.kind)
        .subquery()
    )
    return scope.grouped(
        per_woman,
        [*DIMENSIONS, "kind"],
        func.sum(per_woman.c.sent).label("sends"),
        func.sum(per_woman.c.back).label("returned"),
    )


def _recent_practice(scope: _Scope, unlocked: Any, level: Any) -> dict:
    """Her sets a week over the last four weeks, banded, and whether they reached what her plan
    asks (its level's sets a day, every day); None for a woman not in training that long."""
    window = 7 * RECENT_WEEKS
    recent = func.coalesce(
        select(func.sum(PracticeDay.sets))
        .where(
            *scope.hers(PracticeDay),
            PracticeDay.day >= scope.today - timedelta(days=window),
            PracticeDay.day < scope.today,
        )
        .correlate(Patient)
        .scalar_subquery(),
        0,
    )
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


LATEST_REFERRAL = aliased(Referral)
PLAN = aliased(TrainingPlan)  # her plan, for its level (apart from the EXISTS on the table)


def _latest_referral(hers: Callable[[Any], list]) -> Any:
    return (
        select(Referral.id)
        .where(*hers(Referral))
        .order_by(Referral.confirmed_at.desc(), Referral.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )


def _outcomes(hers: Callable[[Any], list], unlocked: Any, baseline: Any, today: date) -> dict:
    """Her check-in at weeks 8 and 12 of practice: how she rates the change (PGI-I 1-2 is much
    better) and her severity against the intake; whether she answered, or the week is still
    ahead (or she has not started practising)."""
    started = (
        select(TrainingPlan.practice_started_on)
        .where(*hers(TrainingPlan))
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    columns = {}
    for week in OUTCOME_WEEKS:

        def answer(column: Any, week: int = week) -> Any:
            return (
                select(column)
                .where(*hers(Reassessment), Reassessment.practice_week == week)
                .order_by(Reassessment.completed_at.desc(), Reassessment.id.desc())
                .limit(1)
                .correlate(Patient)
                .scalar_subquery()
            )

        pgi, isi = answer(Reassessment.pgi_i), answer(Reassessment.isi)
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


def _referrals(hers: Callable[[Any], list]) -> dict:
    """Whether she was advised to see someone (an alert, or her intake's outcome), confirmed
    that she would, and went; why and to whom, from her latest referral."""
    advised = exists().where(*hers(CareAlert)) | Intake.route.in_(
        (Route.SEE_GP, Route.PHYSIO, Route.AWARENESS)
    )
    went = exists().where(*hers(Referral), Referral.attended.is_(True))
    referral = LATEST_REFERRAL
    return {
        "referral": case(
            (went, "attended"),
            (referral.id.is_not(None), "confirmed"),
            (advised, "advised"),
            else_="not_advised",
        ),
        "referral_reason": case(
            (referral.id.is_(None), None),
            (referral.reason == AlertKind.RED_FLAG, "red_flag"),
            (referral.reason == AlertKind.NO_IMPROVEMENT, "no_improvement"),
            (Intake.rule.in_(("severe_tear", "severe_early")), "tear"),
            (Intake.route == Route.AWARENESS, "control"),
            else_="her_request",
        ),
        "referral_kind": referral.care_kind,
    }
