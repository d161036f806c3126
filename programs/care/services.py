"""Who may open a patient's record, the emergency-access step, and the audit of every read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision
from pelvicoach.platform.accounts import Role, User
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db
from pelvicoach.programs.care.models import EmergencyAccess
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.models import Tenant, TenantInfo

EMERGENCY_ACCESS_HOURS = 4


def caseload(tenant: TenantInfo, clinician: User) -> list[Patient]:
    query = select(Patient).where(Patient.tenant_id == tenant.id).order_by(Patient.enrolled_at)
    if not tenant.clinicians_see_all_patients:
        query = query.where(Patient.clinician_id == clinician.id)
    return list(db.session.scalars(query.options(selectinload(Patient.user))))


def has_emergency_access(patient: Patient, clinician: User) -> bool:
    return (
        db.session.scalar(
            select(EmergencyAccess.id).where(
                EmergencyAccess.tenant_id == patient.tenant_id,
                EmergencyAccess.patient_id == patient.id,
                EmergencyAccess.clinician_id == clinician.id,
                EmergencyAccess.expires_at > datetime.now(UTC),
            )
        )
        is not None
    )


def patient_policy(user: User, patient: Patient) -> Decision:
    """Her own record is hers. Identifiable patient data is otherwise for clinicians: their own
    caseload, the whole practice when the tenant allows it, or one patient after an audited
    emergency-access step. Admins, enrolment officers and analysts never see it."""
    if patient.user_id is not None and patient.user_id == user.id:
        return Decision.ALLOW
    if not user.has_role(Role.CLINICIAN):
        return Decision.FORBID
    if patient.clinician_id == user.id or has_emergency_access(patient, user):
        return Decision.ALLOW
    tenant = db.session.get(Tenant, patient.tenant_id)
    return Decision.ALLOW if tenant.clinicians_see_all_patients else Decision.FORBID


def grant_emergency_access(patient: Patient, clinician: User, reason: str) -> EmergencyAccess:
    now = datetime.now(UTC)
    grant = EmergencyAccess(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        clinician_id=clinician.id,
        reason=reason.strip()[:500],
        granted_at=now,
        expires_at=now + timedelta(hours=EMERGENCY_ACCESS_HOURS),
    )
    db.session.add(grant)
    audit.record(
        "patient.emergency_access",
        object_type="patient",
        object_id=patient.pseudonym,
        detail={"reason": grant.reason, "hours": EMERGENCY_ACCESS_HOURS},
    )
    return grant


def record_read(patient: Patient, what: str = "record") -> None:
    """Every staff read of a patient's data goes into the audit trail (NEN 7513)."""
    if current_user.is_authenticated and current_user.is_staff:
        audit.record(
            "patient.read",
            object_type="patient",
            object_id=patient.pseudonym,
            detail={"view": what},
        )


def who_looked(patient: Patient, limit: int = 200) -> list[tuple[AuditEvent, User | None]]:
    """Staff reads of her record, newest first, with who it was: she has a right to know."""
    rows = db.session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.tenant_id == patient.tenant_id,
            AuditEvent.object_type == "patient",
            AuditEvent.object_id == patient.pseudonym,
            AuditEvent.action.in_(("patient.read", "patient.emergency_access")),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return [(event, user) for event, user in rows]
