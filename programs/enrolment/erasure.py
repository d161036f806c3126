"""Erasing a woman (AVG/GDPR article 17): her account and every trace of who she is go; what
she did stays only under her pseudonym, which nothing links to her any more, so reports keep
their counts without anyone being identifiable. The audit trail keeps only the pseudonym. Nothing
here commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String, cast, delete, func, select, update

from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.programs.enrolment.bulk.models import RefusedRow
from pelvicoach.programs.enrolment.codes import CodeSignup
from pelvicoach.programs.enrolment.models import Consent, Patient, PatientInvitation
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.monitoring.models import ClinicianNote, Message, PlanChange
from pelvicoach.programs.reminders.models import ReminderPlan


def erase(patient: Patient) -> None:
    """Everything that names her, or could lead back to her, is deleted or blanked."""
    now = datetime.now(UTC)
    tenant_id, user = patient.tenant_id, patient.user
    if user is not None:
        address = user.email.lower()
        db.session.execute(
            delete(OutgoingMail).where(
                OutgoingMail.tenant_id == tenant_id, func.lower(OutgoingMail.recipient) == address
            )
        )
        db.session.execute(
            delete(CodeSignup).where(
                CodeSignup.tenant_id == tenant_id, func.lower(CodeSignup.email) == address
            )
        )
        db.session.execute(  # a file's row that named her and was refused
            delete(RefusedRow)
            .where(
                RefusedRow.tenant_id == tenant_id,
                func.lower(cast(RefusedRow.cells, String)).contains(address),
            )
            .execution_options(synchronize_session=False)
        )
        patient.user_id = None
        db.session.delete(user)  # her roles, sessions and reset links go with it
    db.session.execute(
        delete(PatientInvitation).where(
            PatientInvitation.tenant_id == tenant_id, PatientInvitation.patient_id == patient.id
        )
    )
    db.session.execute(
        delete(ReminderPlan).where(
            ReminderPlan.tenant_id == tenant_id, ReminderPlan.patient_id == patient.id
        )
    )
    for written in (Message, PlanChange, ClinicianNote):  # free text that may name her
        db.session.execute(
            delete(written).where(written.tenant_id == tenant_id, written.patient_id == patient.id)
        )
    db.session.execute(
        update(Consent)
        .where(
            Consent.tenant_id == tenant_id,
            Consent.patient_id == patient.id,
            Consent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
    )
    for intake in db.session.scalars(
        select(Intake).where(Intake.tenant_id == tenant_id, Intake.patient_id == patient.id)
    ):  # an exact date of birth giving is enough to find a woman again
        intake.answers = {k: v for k, v in (intake.answers or {}).items() if k != "delivery_date"}
    patient.delivery_date = None
    patient.clinician_id = None
    patient.erased_at = now
