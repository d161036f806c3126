"""Who may open a patient's record, the emergency-access step, and the audit of every read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision
from pelvicoach.platform.accounts import Role, User, UserRole
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mails
from pelvicoach.programs.care.models import EmergencyAccess
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.models import Tenant

EMERGENCY_ACCESS_HOURS = 4


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
    _tell_admins(patient.tenant_id, clinician, now)
    audit.record(
        "patient.emergency_access",
        object_type="patient",
        object_id=patient.pseudonym,
        detail={"reason": grant.reason, "hours": EMERGENCY_ACCESS_HOURS},
    )
    return grant


def _tell_admins(tenant_id: int, clinician: User, when: datetime) -> None:
    """Her tenant's admins learn that emergency access was used, and by whom: not for whom, nor
    why (the reason may name her); the audit trail, for those who may read it, holds both."""
    admins = db.session.execute(
        select(User.email, User.name, User.locale)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.tenant_id == tenant_id, User.active.is_(True), UserRole.role == Role.ADMIN)
    ).all()
    site = db.session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))
    mails = []
    for email, name, locale in admins:
        with force_locale(locale or "nl"):
            mails.append(
                (
                    email,
                    _("Emergency access used at %(site)s", site=site),
                    _(
                        "Hello %(name)s,\n\n%(clinician)s opened the record of a patient outside"
                        " her own caseload on %(when)s, by emergency access for %(hours)s hours."
                        " The reason is kept in the audit trail.\n",
                        name=name,
                        clinician=clinician.name,
                        when=format_datetime(when, "short"),
                        hours=EMERGENCY_ACCESS_HOURS,
                    ),
                )
            )
    queue_mails(tenant_id=tenant_id, mails=mails, purpose="emergency_access")


def record_read(patient: Patient, what: str = "record") -> None:
    """Every staff read of a patient's data goes into the audit trail (NEN 7513)."""
    if current_user.is_authenticated and current_user.is_staff:
        audit.record(
            "patient.read",
            object_type="patient",
            object_id=patient.pseudonym,
            detail={"view": what},
        )


# What staff did that showed them her record: opening it, asking emergency access to it, and
# writing her GP a letter out of it.
READS = ("patient.read", "patient.emergency_access", "patient.gp_letter")


def who_looked(patient: Patient, limit: int = 200) -> list[tuple[AuditEvent, User | None]]:
    """Staff reads of her record, newest first, with who it was: she has a right to know."""
    rows = db.session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.tenant_id == patient.tenant_id,
            AuditEvent.object_type == "patient",
            AuditEvent.object_id == patient.pseudonym,
            AuditEvent.action.in_(READS),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return [(event, user) for event, user in rows]
