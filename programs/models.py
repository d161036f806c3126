"""A patient's place in the program."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
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
from pelvicoach.platform.extensions import BIG_ID, db
from pelvicoach.platform.tenancy import TenantScoped


class Phase(StrEnum):
    """Where she is: learning, becoming aware, intake, training, or referred to care."""

    INFORMATION = "information"
    AWARENESS = "awareness"
    INTAKE = "intake"
    TRAINING = "training"
    REFERRED = "referred"


class Cohort(StrEnum):
    POSTPARTUM = "postpartum"
    MENOPAUSE = "menopause"


class Patient(TenantScoped, db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "pseudonym", name="uq_patients_tenant_id_pseudonym"),
        Index("ix_patients_tenant_id_clinician_id", "tenant_id", "clinician_id"),
        Index("ix_patients_tenant_id_phase", "tenant_id", "phase"),
        CheckConstraint(
            "phase IN ('information', 'awareness', 'intake', 'training', 'referred')",
            name="phase",
        ),
        CheckConstraint("cohort IN ('postpartum', 'menopause')", name="cohort"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    # Everything that leaves the clinical views names her by this, never by name or e-mail.
    pseudonym: Mapped[str] = mapped_column(String(16))
    cohort: Mapped[str] = mapped_column(String(16), default=Cohort.POSTPARTUM)
    birth_year: Mapped[int] = mapped_column(Integer)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(16), default=Phase.INFORMATION)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    clinician: Mapped[User | None] = relationship(foreign_keys=[clinician_id])

    def __repr__(self) -> str:
        return f"<Patient {self.pseudonym} tenant={self.tenant_id}>"


class EmergencyAccess(TenantScoped, db.Model):
    """A clinician's time-limited access to a patient outside her caseload, with its reason."""

    __tablename__ = "emergency_accesses"
    __table_args__ = (
        Index("ix_emergency_accesses_tenant_id_patient", "tenant_id", "patient_id", "clinician_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
