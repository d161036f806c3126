"""Each woman's facts for the report (`ReportFacts`), recomputed for the women whose data changed.

Triggers on the tables her facts come from mark her stale (migration 0025); `refresh` recomputes
the stale women of a tenant, before every count of its report and every few minutes in a job. So
the report reads a row per woman, and the joins and window functions that make the row (her
latest intake, referral and check-in answers, her plan, consents, alerts and messages) run only
for the women who changed since. Nothing here depends on the day it runs: the days that pass are
applied when the report is counted (`population`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, delete, extract, func, insert, literal, select
from sqlalchemy.orm import aliased

from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import cross_tenant, tenant_context
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.configuration.services import programs_by_version
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment, Referral
from pelvicoach.programs.followup.rules import PGI_SUCCESS
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Route
from pelvicoach.programs.reminders.models import ReminderSend, SendKind
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.reporting.models import ReportFacts, ReportStale
from pelvicoach.reporting.sql import local_day, month_of
from pelvicoach.tenants.models import Tenant

AGE_BANDS = ("<30", "30-34", "35-39", "40-49", "50+")
OUTCOME_WEEKS = (8, 12)  # check-ins whose answers the report shows
# Above this many stale women, all of the tenant's are recomputed in one statement (cheaper
# than looking each up); below, in batches that name them (SQLite takes 32,766 parameters).
WHOLE_TENANT_FROM = 5000
BATCH = 2000


class Stage:
    """How far she came, each stage including the ones before."""

    INVITED, REGISTERED, CONSENTED, INTAKE, TRAINING = range(5)


def refresh(tenant_id: int, time_zone: str) -> int:
    """Recompute the facts of the tenant's stale women, in the caller's transaction; returns
    how many. The stale rows it removes are those committed before it began: a change committed
    meanwhile keeps its row, so it is counted at the next refresh, never lost. Whether the new
    rows last is the caller's to say: a page that only reads rolls them back (its count is
    right, and cached for minutes), the periodic job and the callers that audit commit them."""
    stale = db.session.scalars(
        delete(ReportStale)
        .where(ReportStale.tenant_id == tenant_id)
        .returning(ReportStale.patient_id)
        .execution_options(synchronize_session=False)
    ).all()
    women = sorted(set(stale))
    if not women:
        return 0
    columns = [column.name for column in ReportFacts.__table__.columns]
    batches: Sequence[Sequence[int] | None] = (
        [None]
        if len(women) >= WHOLE_TENANT_FROM
        else [women[at : at + BATCH] for at in range(0, len(women), BATCH)]
    )
    for batch in batches:
        gone = delete(ReportFacts).where(ReportFacts.tenant_id == tenant_id)
        if batch is not None:
            gone = gone.where(ReportFacts.patient_id.in_(batch))
        db.session.execute(gone.execution_options(synchronize_session=False))
        db.session.execute(
            insert(ReportFacts).from_select(columns, facts_of(tenant_id, time_zone, batch))
        )
    return len(women)


def refresh_all() -> int:
    """The periodic job: every tenant's stale women, a transaction per tenant."""
    with cross_tenant(db.session, "report facts: find tenants with stale women"):
        tenants = db.session.execute(
            select(Tenant.id, Tenant.time_zone).where(
                Tenant.id.in_(select(ReportStale.tenant_id).distinct())
            )
        ).all()
        db.session.commit()
    done = 0
    for tenant_id, time_zone in tenants:
        with tenant_context(tenant_id, db.session):
            done += refresh(tenant_id, time_zone)
            db.session.commit()
    return done


class _Scope:
    """Her tenant, and the women whose facts are asked for (None: all of them)."""

    def __init__(self, tenant_id: int, time_zone: str, women: Sequence[int] | None) -> None:
        self.tenant_id = tenant_id
        self.time_zone = time_zone
        self.women = women

    def of(self, model: Any) -> list:
        """The rows of `model` that belong to the women asked for."""
        where = [model.tenant_id == self.tenant_id]
        if self.women is not None:
            where.append(model.patient_id.in_(self.women))
        return where


def facts_of(tenant_id: int, time_zone: str, women: Sequence[int] | None = None) -> Select:
    """A row of `ReportFacts` per woman of the tenant (or of `women`), from her own rows."""
    scope = _Scope(tenant_id, time_zone, women)
    intake = _latest(
        Intake,
        (Intake.completed_at.desc(), Intake.id.desc()),
        *scope.of(Intake),
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
    plan = aliased(TrainingPlan)
    consented = _women_with(scope, Consent, Consent.kind == ConsentKind.HEALTH_DATA)
    alerted = _women_with(scope, CareAlert)
    answers = _answers(scope)
    referral = _referral(scope)
    sends = _sends(scope)
    intake_done = intake.c.id.is_not(None)
    # A nested funnel: opened by the intake or by a clinician, once her intake is done
    unlocked = intake_done & (plan.id.is_not(None) | (intake.c.opened == 1))
    scores = intake.c.scores
    baseline = func.coalesce(scores["isi"].as_integer(), 0)
    columns = {
        "tenant_id": Patient.tenant_id,
        "patient_id": Patient.id,
        "cohort": Patient.cohort,
        "age": _age_band(extract("year", Patient.enrolled_at) - Patient.birth_year),
        "version": func.coalesce(ProgramVersion.number, 0),
        "clinician_id": Patient.clinician_id,
        "enrolled_on": local_day(Patient.enrolled_at, literal(time_zone)),
        "month": month_of(Patient.enrolled_at, literal(time_zone)),
        "stage": case(
            (unlocked, Stage.TRAINING),
            (intake_done, Stage.INTAKE),
            (consented.c.patient_id.is_not(None), Stage.CONSENTED),
            (Patient.user_id.is_not(None), Stage.REGISTERED),
            else_=Stage.INVITED,
        ),
        "planned": _planned_per_day(tenant_id, func.coalesce(plan.level, 1)),
        "started_on": plan.practice_started_on,
        "type": scores["incontinence_type"].as_string(),
        "severity": scores["isi_severity"].as_string(),
        "control": scores["control"].as_string(),
        "red_flag": case((intake.c.rule == "red_flag", "yes"), (intake_done, "no")),
        "route": intake.c.route,
        **_answered(answers, baseline),
        **_referrals(referral, alerted, intake),
        **{
            name: func.coalesce(sends.c[name], 0)
            for name in ("reminders", "reminders_returned", "nudges", "nudges_returned")
        },
    }
    query = (
        select(*(column.label(name) for name, column in columns.items()))
        .select_from(Patient)
        .outerjoin(
            ProgramVersion,
            and_(
                ProgramVersion.tenant_id == tenant_id,
                ProgramVersion.id == Patient.program_version_id,
            ),
        )
        .outerjoin(intake, intake.c.patient_id == Patient.id)
        .outerjoin(plan, and_(plan.tenant_id == tenant_id, plan.patient_id == Patient.id))
        .outerjoin(consented, consented.c.patient_id == Patient.id)
        .outerjoin(answers, answers.c.patient_id == Patient.id)
        .outerjoin(referral, referral.c.patient_id == Patient.id)
        .outerjoin(alerted, alerted.c.patient_id == Patient.id)
        .outerjoin(sends, sends.c.patient_id == Patient.id)
        .where(Patient.tenant_id == tenant_id)
    )
    if women is not None:
        query = query.where(Patient.id.in_(women))
    return query


def _age_band(age: Any) -> Any:
    return case(
        (age < 30, AGE_BANDS[0]),
        (age < 35, AGE_BANDS[1]),
        (age < 40, AGE_BANDS[2]),
        (age < 50, AGE_BANDS[3]),
        else_=AGE_BANDS[4],
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
        .where(*scope.of(model), *where)
        .group_by(model.patient_id)
        .subquery()
    )


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
        .where(*scope.of(Reassessment), week.in_(OUTCOME_WEEKS))
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


def _answered(answers: Subquery, baseline: Any) -> dict:
    """What she said at the check-ins of weeks 8 and 12: how she rates the change (PGI-I 1-2 is
    much better) and her severity against the intake; None where she did not answer."""
    columns = {}
    for week in OUTCOME_WEEKS:
        pgi, isi = answers.c[f"pgi_{week}"], answers.c[f"isi_{week}"]
        columns[f"pgi_{week}"] = case(
            (pgi <= PGI_SUCCESS, "much_better"), (pgi.is_not(None), "not_much_better")
        )
        columns[f"change_{week}"] = case(
            (isi < baseline, "better"), (isi == baseline, "same"), (isi > baseline, "worse")
        )
    return columns


def _referral(scope: _Scope) -> Subquery:
    """Her latest referral, and whether she went to any (`went`)."""
    return _latest(
        Referral,
        (Referral.confirmed_at.desc(), Referral.id.desc()),
        *scope.of(Referral),
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
            (intake.c.rule == "other_type", "other_type"),
            (intake.c.route == Route.AWARENESS, "control"),
            else_="her_request",
        ),
        "referral_kind": referral.c.care_kind,
    }


def _sends(scope: _Scope) -> Subquery:
    """Her reminders and nudges sent, and those she followed by a set that day or the next."""

    def count(kind: SendKind, returned: bool = False) -> Any:
        hit = ReminderSend.kind == kind
        return func.sum(case((hit & ReminderSend.returned if returned else hit, 1), else_=0))

    return (
        select(
            ReminderSend.patient_id.label("patient_id"),
            count(SendKind.REMINDER).label("reminders"),
            count(SendKind.REMINDER, returned=True).label("reminders_returned"),
            count(SendKind.NUDGE).label("nudges"),
            count(SendKind.NUDGE, returned=True).label("nudges_returned"),
        )
        .where(*scope.of(ReminderSend), ReminderSend.sent_at.is_not(None))
        .group_by(ReminderSend.patient_id)
        .subquery()
    )
