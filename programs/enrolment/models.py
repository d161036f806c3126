"""A patient's place in the program: her cohort, her phase and the program version she follows."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import BigId, as_utc, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class Phase(StrEnum):
    """Where she is: learning, becoming aware, intake, training, or referred to care."""

    INFORMATION = "information"
    AWARENESS = "awareness"
    INTAKE = "intake"
    TRAINING = "training"
    REFERRED = "referred"


class StopReason(StrEnum):
    """Why the coach stopped for her: she withdrew her consent, or her tenant ended it."""

    WITHDRAWN = "withdrawn"
    HER_REQUEST = "her_request"
    LEFT = "left"  # moved to another insurer or practice
    COMPLETED = "completed"
    OTHER = "other"


class Cohort(StrEnum):
    POSTPARTUM = "postpartum"
    MENOPAUSE = "menopause"


class Patient(TenantScoped, db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "pseudonym", name="uq_patients_tenant_id_pseudonym"),
        Index("ix_patients_tenant_id_clinician_id", "tenant_id", "clinician_id"),
        Index("ix_patients_tenant_id_phase", "tenant_id", "phase"),
        Index("ix_patients_tenant_id_import_id", "tenant_id", "import_id"),
    )

    id: Mapped[BigId]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    # Everything that leaves the clinical views names her by this, never by name or e-mail.
    pseudonym: Mapped[str] = mapped_column(String(16))
    cohort: Mapped[Cohort] = mapped_column(enum_column(Cohort, "cohort"), default=Cohort.POSTPARTUM)
    birth_year: Mapped[int] = mapped_column(Integer)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    phase: Mapped[Phase] = mapped_column(enum_column(Phase, "phase"), default=Phase.INFORMATION)
    # The program version she follows: pinned when a phase starts, so a tenant publishing a new
    # version never changes the exercises or rules under her feet halfway through a phase.
    program_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("program_versions.id", ondelete="RESTRICT")
    )
    phase_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )
    # The file she was enrolled from, so its invitations go out once and a retried job resumes.
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment_imports.id", ondelete="SET NULL")
    )
    # Set when she was erased: the row stays, under her pseudonym alone, for the counts.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while nothing is done with her data but keeping it: no coaching, no reminders.
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stop_reason: Mapped[StopReason | None] = mapped_column(enum_column(StopReason, "stop_reason"))
    # When the retention job told her that her account goes unless she signs in.
    retention_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    clinician: Mapped[User | None] = relationship(foreign_keys=[clinician_id])

    def __repr__(self) -> str:
        return f"<Patient {self.pseudonym} tenant={self.tenant_id}>"


class InvitationState(StrEnum):
    SENT = "sent"
    OPENED = "opened"
    REGISTERED = "registered"
    EXPIRED = "expired"
    REVOKED = "revoked"


class PatientInvitation(TenantScoped, db.Model):
    """Her way in: an expiring, single-use link to choose a password and give consent. Only
    the token's digest is kept."""

    __tablename__ = "patient_invitations"
    __table_args__ = (
        Index("ix_patient_invitations_tenant_id_patient_id", "tenant_id", "patient_id"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def state(self, now: datetime) -> InvitationState:
        if self.registered_at is not None:
            return InvitationState.REGISTERED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if as_utc(self.expires_at) <= now:
            return InvitationState.EXPIRED
        return InvitationState.OPENED if self.opened_at else InvitationState.SENT


class ConsentKind(StrEnum):
    TERMS = "terms"
    PRIVACY = "privacy"
    HEALTH_DATA = "health_data"  # AVG/GDPR article 9: explicit consent to process health data


class Consent(TenantScoped, db.Model):
    """What she agreed to, which version of it, and when; withdrawing keeps the record."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_tenant_id_patient_id", "tenant_id", "patient_id"),)

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind, "kind"))
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
