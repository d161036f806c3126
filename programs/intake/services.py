"""Her intake as she goes: answers kept one by one, the outcome stored once, her phase moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import start_phase
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.followup.models import AlertKind
from pelvicoach.programs.followup.services import raise_alert
from pelvicoach.programs.intake import rules
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Answer, Route
from pelvicoach.programs.training import services as training

PHASE_AFTER = {
    Route.SEE_GP: Phase.REFERRED,
    Route.PHYSIO: Phase.REFERRED,
    Route.WAIT: Phase.AWARENESS,
    Route.AWARENESS: Phase.AWARENESS,
    Route.TRAINING: Phase.TRAINING,
}


def _mine(patient: Patient):
    return select(Intake).where(
        Intake.tenant_id == patient.tenant_id, Intake.patient_id == patient.id
    )


def draft(patient: Patient) -> Intake | None:
    return db.session.scalar(_mine(patient).where(Intake.completed_at.is_(None)).limit(1))


@dataclass(frozen=True)
class Again:
    on: date  # the day her intake asked her to answer the questions again from
    now: bool  # that day has come


def again(last: Intake | None, today: date) -> Again | None:
    """When her newest intake asked her to answer again: two weeks of awareness work after
    unsure control, six weeks after the birth; None when it asked nothing of the kind."""
    on = None
    if last is not None and last.route == Route.AWARENESS:
        on = last.recheck_on
    elif last is not None and last.route == Route.WAIT:
        on = last.reopens_on
    return Again(on, today >= on) if on else None


def opens_on(last: Intake | None, today: date) -> date | None:
    """The day she may take the intake again, while that is still ahead (too soon after the
    birth); None when she may take it now."""
    if (
        last is not None
        and last.route == Route.WAIT
        and last.reopens_on
        and last.reopens_on > today
    ):
        return last.reopens_on
    return None


def answer(patient: Patient, program: Program, key: str, raw: Answer | None, today: date) -> Intake:
    """Keep her answer to one question in her draft (started on the first answer). An invalid
    answer raises AnswerError and keeps nothing."""
    question = next((q for q in program.questions(patient.cohort) if q["key"] == key), None)
    if question is None:
        raise KeyError(key)
    value = rules.parse(question, raw, today)
    now = datetime.now(UTC)
    intake = draft(patient)
    if intake is None:
        intake = Intake(
            tenant_id=patient.tenant_id,
            patient_id=patient.id,
            cohort=patient.cohort,
            answers={},
            started_at=now,
        )
        db.session.add(intake)
    intake.program_version_id = program.version_id
    intake.version_number = program.number
    intake.answers = {**intake.answers, key: value}
    intake.updated_at = now
    db.session.flush()
    return intake


def complete(patient: Patient, program: Program, intake: Intake, today: date) -> Intake:
    """Route her answers and store the outcome with them; move her to the phase it gives.
    AnswerError when something is missing or wrong: then nothing changes."""
    kept = rules.check(program, patient.cohort, intake.answers, today)
    outcome = rules.decide(program, patient.cohort, kept, today)
    now = datetime.now(UTC)
    intake.answers = kept
    intake.program_version_id = program.version_id
    intake.version_number = program.number
    intake.completed_at = now
    intake.updated_at = now
    intake.route = outcome.route
    intake.rule = outcome.rule
    intake.scores = outcome.as_record()["scores"]
    intake.bladder_training = outcome.bladder_training
    intake.reopens_on = outcome.reopens_on
    intake.recheck_on = outcome.recheck_on
    if kept.get("delivery_date"):
        patient.delivery_date = date.fromisoformat(str(kept["delivery_date"]))
    start_phase(patient, PHASE_AFTER[outcome.route], now)
    if outcome.route == Route.TRAINING:  # her plan holds it, for her clinician to change
        training.plan_for(patient, now).bladder_training = outcome.bladder_training
    db.session.flush()
    if outcome.route == Route.SEE_GP:  # her clinician sees it, as a red flag reported later
        raise_alert(
            patient,
            AlertKind.RED_FLAG,
            list(outcome.scores.red_flags),
            {"source": "intake", "intake_id": intake.id},
        )
    return intake
