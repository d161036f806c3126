"""The women of one tenant as counts: one GROUP BY in SQL over the facts each report table needs
(where she is in the coach, her intake's outcome, whether she practised in weeks 4, 8 and 12) and
the dimensions the report filters by. Nothing that names her leaves the database: no id,
pseudonym, exact date or free text, only categories and how many women share them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, exists, extract, func, literal, select
from sqlalchemy.orm import aliased

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment, Referral
from pelvicoach.programs.followup.rules import PGI_SUCCESS
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Route
from pelvicoach.programs.training.models import ExerciseSession, TrainingPlan
from pelvicoach.reporting.sql import days_between, month_of

ACTIVE_WEEKS = (4, 8, 12)  # "active in week N": a set logged in her Nth week since enrolment
OUTCOME_WEEKS = (8, 12)  # check-ins whose answers the report shows
AGE_BANDS = ("<30", "30-34", "35-39", "40-49", "50+")


class Stage:
    """How far she came, each stage including the ones before."""

    INVITED, REGISTERED, CONSENTED, INTAKE, TRAINING = range(5)


def _age_band(age: object) -> object:
    return case(
        (age < 30, AGE_BANDS[0]),
        (age < 35, AGE_BANDS[1]),
        (age < 40, AGE_BANDS[2]),
        (age < 50, AGE_BANDS[3]),
        else_=AGE_BANDS[4],
    )


def women(tenant_id: int, time_zone: str, now: datetime) -> pd.DataFrame:
    """One row per combination of dimensions and facts, with `n` women in it."""
    mine = Patient.tenant_id == tenant_id

    def hers(model: Any) -> list:
        return [model.tenant_id == tenant_id, model.patient_id == Patient.id]

    done = aliased(Intake)  # her intakes, apart from the latest joined below
    latest_intake = (
        select(done.id)
        .where(*hers(done), done.completed_at.is_not(None))
        .order_by(done.completed_at.desc(), done.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    intake_done = exists().where(*hers(done), done.completed_at.is_not(None))
    # Training counts once her intake is done (a nested funnel): opened by it or by a clinician.
    unlocked = intake_done & (
        exists().where(*hers(TrainingPlan))
        | exists().where(*hers(done), done.completed_at.is_not(None), done.route == Route.TRAINING)
    )
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
    enrolled_days = days_between(Patient.enrolled_at, literal(now))
    weeks = {}
    for week in ACTIVE_WEEKS:
        practised = exists().where(
            *hers(ExerciseSession),
            days_between(Patient.enrolled_at, ExerciseSession.performed_at).between(
                7 * (week - 1), 7 * week - 1
            ),
        )
        # 1 active, 0 not, None: week N has not ended yet (or she never reached training)
        weeks[f"active_{week}"] = case(
            (and_(unlocked, enrolled_days >= 7 * week, practised), 1),
            (and_(unlocked, enrolled_days >= 7 * week), 0),
            else_=None,
        )
    scores = Intake.scores
    baseline = func.coalesce(scores["isi"].as_integer(), 0)
    columns = {
        "cohort": Patient.cohort,
        "age": _age_band(extract("year", Patient.enrolled_at) - Patient.birth_year),
        "version": func.coalesce(ProgramVersion.number, 0),
        "month": month_of(Patient.enrolled_at, literal(time_zone)),
        "stage": stage,
        **weeks,
        "type": scores["incontinence_type"].as_string(),
        "severity": scores["isi_severity"].as_string(),
        "control": scores["control"].as_string(),
        "red_flag": case((Intake.rule == "red_flag", "yes"), (Intake.id.is_not(None), "no")),
        "route": Intake.route,
        **_outcomes(hers, unlocked, baseline, now),
        **_referrals(hers),
    }
    per_woman = (
        select(*(column.label(name) for name, column in columns.items()))
        .select_from(Patient)
        .outerjoin(
            ProgramVersion,
            and_(
                ProgramVersion.tenant_id == tenant_id,
                ProgramVersion.id == Patient.program_version_id,
            ),
        )
        .outerjoin(Intake, and_(Intake.tenant_id == tenant_id, Intake.id == latest_intake))
        .outerjoin(
            LATEST_REFERRAL,
            and_(
                LATEST_REFERRAL.tenant_id == tenant_id, LATEST_REFERRAL.id == _latest_referral(hers)
            ),
        )
        .where(mine)
        .subquery()
    )
    names = list(columns)
    grouped = select(*(per_woman.c[name] for name in names), func.count().label("n")).group_by(
        *(per_woman.c[name] for name in names)
    )
    frame = pd.DataFrame(db.session.execute(grouped).all(), columns=[*names, "n"])
    for name in ("cohort", "route", "referral_kind"):
        frame[name] = frame[name].map(lambda value: getattr(value, "value", value))
    return frame


LATEST_REFERRAL = aliased(Referral)


def _latest_referral(hers: Callable[[Any], list]) -> Any:
    return (
        select(Referral.id)
        .where(*hers(Referral))
        .order_by(Referral.confirmed_at.desc(), Referral.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )


def _outcomes(hers: Callable[[Any], list], unlocked: Any, baseline: Any, now: datetime) -> dict:
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
            (days_between(started, literal(now)) >= 7 * week, "no_answer"), else_="not_yet"
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
