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
from pelvicoach.platform.extensions import BigId, db, enum_column
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

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    clinician: Mapped[User | None] = relationship(foreign_keys=[clinician_id])

    def __repr__(self) -> str:
        return f"<Patient {self.pseudonym} tenant={self.tenant_id}>"
