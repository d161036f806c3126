"""Her clinician adjusts her plan: sets her level, opens exercise therapy (having checked her
contraction in the practice, say) or closes it again, switches bladder training on or off. Each
change is kept with its reason and shown to her, with a short note, on her home page. Nothing
here commits."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import update

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import start_phase
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.enrolment.services import rows_of
from pelvicoach.programs.monitoring.models import PlanChange
from pelvicoach.programs.training import services as training

MAX_REASON = 500
MAX_NOTE = 500


class Change(StrEnum):
    LEVEL = "level"
    UNLOCK = "unlock"  # exercise therapy opened
    LOCK = "lock"  # back to awareness work
    BLADDER_ON = "bladder_on"
    BLADDER_OFF = "bladder_off"


class AdjustmentError(ValueError):
    """A change that does not fit: no reason given, a level the program does not have, or
    nothing to change."""


def adjust(
    patient: Patient,
    program: Program,
    change: Change,
    *,
    by: int,
    reason: str,
    note: str = "",
    level: int | None = None,
) -> PlanChange:
    reason, note = reason.strip(), note.strip()
    if not reason or len(reason) > MAX_REASON or len(note) > MAX_NOTE:
        raise AdjustmentError("reason")
    now = datetime.now(UTC)
    plan = training.plan_for(patient, now)
    if change == Change.LEVEL:
        if level is None or not 1 <= level <= len(program.levels):
            raise AdjustmentError("level")
        plan.level, plan.level_since = level, now
        plan.highest_level = max(plan.highest_level, level)
    elif change == Change.UNLOCK:
        if patient.phase == Phase.TRAINING:
            raise AdjustmentError("unlocked")
        start_phase(patient, Phase.TRAINING, now)
    elif change == Change.LOCK:
        if patient.phase != Phase.TRAINING:
            raise AdjustmentError("locked")
        start_phase(patient, Phase.AWARENESS, now)
    else:
        plan.bladder_training = change == Change.BLADDER_ON
    plan.updated_at = now
    row = PlanChange(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        kind=change,
        level=level if change == Change.LEVEL else None,
        reason=reason,
        note=note,
        changed_by=by,
        changed_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def history(patient: Patient) -> list[PlanChange]:
    return list(
        db.session.scalars(
            rows_of(PlanChange, patient).order_by(
                PlanChange.changed_at.desc(), PlanChange.id.desc()
            )
        )
    )


def unseen(patient: Patient) -> list[PlanChange]:
    """What she has not seen yet, oldest first."""
    return list(
        db.session.scalars(
            rows_of(PlanChange, patient)
            .where(PlanChange.seen_at.is_(None))
            .order_by(PlanChange.changed_at, PlanChange.id)
        )
    )


def seen(patient: Patient) -> None:
    db.session.execute(
        update(PlanChange)
        .where(
            PlanChange.tenant_id == patient.tenant_id,
            PlanChange.patient_id == patient.id,
            PlanChange.seen_at.is_(None),
        )
        .values(seen_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
