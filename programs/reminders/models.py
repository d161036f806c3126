"""Her reminder plan and every reminder or nudge sent (or about to be)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class ReminderPlan(TenantScoped, db.Model):
    """Her days and times (wall-clock, in `time_zone`), and `next_at`, the next slot in UTC:
    the dispatcher reads only plans whose `next_at` has come, by its index."""

    __tablename__ = "reminder_plans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "patient_id", name="uq_reminder_plans_tenant_id_patient"),
        Index("ix_reminder_plans_next_at", "next_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday 0
    times: Mapped[list[str]] = mapped_column(JSON, default=list)  # "HH:MM"
    time_zone: Mapped[str] = mapped_column(String(64))
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_until: Mapped[date | None] = mapped_column(Date)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    calendar_generation: Mapped[int] = mapped_column(Integer, default=0)  # 0: no feed
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SendKind(StrEnum):
    REMINDER = "reminder"
    NUDGE = "nudge"


class ReminderSend(TenantScoped, db.Model):
    """One reminder or nudge, by its slot: stored before the e-mail goes out (`sent_at` empty)
    and marked once it has, so a dispatch run twice sends once and a failed one is retried."""

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "patient_id", "slot", name="uq_reminder_sends_slot"),
        Index("ix_reminder_sends_tenant_id_sent_at", "tenant_id", "sent_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[SendKind] = mapped_column(enum_column(SendKind, "send_kind"))
    slot: Mapped[str] = mapped_column(String(40))  # a reminder's UTC time, or "nudge7:<date>"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # For the report: the day it went out, in her tenant's time zone, and whether she logged a
    # set that day or the next (kept by the database as her practice days come and go,
    # migration 0024)
    day: Mapped[date | None] = mapped_column(Date)
    returned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
