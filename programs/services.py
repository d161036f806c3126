"""Patient records as the portal and the clinician views need them."""

from __future__ import annotations

import random
import secrets
import string
from datetime import UTC, date, datetime, timedelta

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision
from pelvicoach.platform.accounts import Role, User, create_user, find_user
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db
from pelvicoach.programs.models import EmergencyAccess, Patient, Phase
from pelvicoach.tenants.models import Tenant, TenantInfo

EMERGENCY_ACCESS_HOURS = 4
PSEUDONYM_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
_system_random = secrets.SystemRandom()


class EnrolmentError(ValueError):
    """The patient cannot be enrolled as asked; the message says why."""


def new_pseudonym(rng: random.Random = _system_random) -> str:
    """Nine characters without look-alikes (O/0, I/1): readable aloud, not derived from her."""
    return "P" + "".join(rng.choices(PSEUDONYM_ALPHABET, k=8))


def patient_for_user(tenant_id: int, user_id: int) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.tenant_id == tenant_id, Patient.user_id == user_id)
    )


def get_patient(tenant_id: int, pseudonym: str) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.tenant_id == tenant_id, Patient.pseudonym == pseudonym)
    )


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
    """Identifiable patient data is for clinicians: their own caseload, the whole practice when
    the tenant allows it, or one patient after an audited emergency-access step."""
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


def enrol(
    tenant: TenantInfo,
    *,
    email: str,
    name: str,
    cohort: str,
    birth_year: int,
    delivery_date: date | None = None,
    clinician_email: str | None = None,
) -> Patient:
    """Create her account (no password yet) and her place in the program."""
    if find_user(tenant.id, email) is not None:
        raise EnrolmentError("email: an account with this address exists already")
    clinician = None
    if clinician_email:
        clinician = find_user(tenant.id, clinician_email)
        if clinician is None or not clinician.has_role(Role.CLINICIAN):
            raise EnrolmentError("clinician_email: no clinician with this address here")
    user = create_user(tenant_id=tenant.id, email=email, name=name, roles=[Role.PATIENT])
    try:
        db.session.flush()
    except IntegrityError:  # the same address enrolled a moment ago by another request
        db.session.rollback()
        raise EnrolmentError("email: an account with this address exists already") from None
    pseudonym = new_pseudonym()
    while get_patient(tenant.id, pseudonym) is not None:
        pseudonym = new_pseudonym()
    patient = Patient(
        tenant_id=tenant.id,
        user_id=user.id,
        pseudonym=pseudonym,
        cohort=cohort,
        birth_year=birth_year,
        delivery_date=delivery_date,
        phase=Phase.INFORMATION,
        clinician_id=clinician.id if clinician else None,
        enrolled_at=datetime.now(UTC),
    )
    db.session.add(patient)
    db.session.flush()
    return patient
