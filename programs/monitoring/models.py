"""The thread between a woman and her clinician."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import BigId, db
from pelvicoach.platform.tenancy import TenantScoped


class Message(TenantScoped, db.Model):
    """One message. `from_patient` says which side wrote it; `read_at` is set when the other
    side opens the thread, so each side counts what it has not read."""

    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "ix_messages_tenant_id_patient_id_created_at", "tenant_id", "patient_id", "created_at"
        ),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_patient: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User | None] = relationship(lazy="joined")


class PlanChange(TenantScoped, db.Model):
    """A change her clinician made to her plan, why (for the record) and, optionally, a short
    note to her. Her home page shows it until she has seen it."""

    __tablename__ = "plan_changes"
    __table_args__ = (
        Index(
            "ix_plan_changes_tenant_id_patient_id_changed_at",
            "tenant_id",
            "patient_id",
            "changed_at",
        ),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # programs.monitoring.adjustments.Change
    level: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClinicianNote(TenantScoped, db.Model):
    """A note on her record by a clinician: read by the staff who may open her record, never by
    admins or analysts; hers to see in her data (AVG/GDPR article 15)."""

    __tablename__ = "clinician_notes"
    __table_args__ = (
        Index(
            "ix_clinician_notes_tenant_id_patient_id_written_at",
            "tenant_id",
            "patient_id",
            "written_at",
        ),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    author: Mapped[User | None] = relationship(lazy="joined")
