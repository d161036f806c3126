"""Her training plan and the sessions she logs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class Completion(StrEnum):
    FULLY = "fully"
    PARTLY = "partly"


class Effort(StrEnum):
    EASY = "easy"
    RIGHT = "right"
    TOO_HARD = "too_hard"


class TrainingPlan(TenantScoped, db.Model):
    """Where she is in the training and in bladder training: one row per patient, changed by
    her choices (and, later, her clinician's)."""

    __tablename__ = "training_plans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "patient_id", name="uq_training_plans_tenant_id_patient"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer, default=1)
    highest_level: Mapped[int] = mapped_column(Integer, default=1)
    level_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Her first logged session: weeks of practice (re-assessment, the 8-week alert) count from it.
    practice_started_on: Mapped[date | None] = mapped_column(Date)
    # Set by her newest intake that opened the training (urge or mixed: on), then by her
    # clinician.
    bladder_training: Mapped[bool] = mapped_column(Boolean, default=False)
    bladder_start_minutes: Mapped[int | None] = mapped_column(Integer)
    bladder_weeks_done: Mapped[int] = mapped_column(Integer, default=0)
    bladder_week_started_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExerciseSession(TenantScoped, db.Model):
    """One guided set she did and logged. The busiest table there is (a billion rows over the
    platform's life): on PostgreSQL partitioned by month of `day` (migration 0027,
    `training.partitions`), so old months can be detached whole; its index leads with tenant
    and patient and ends with the time. `client_id` comes from her device, so a log sent twice
    (a double tap, an offline queue replayed) is stored once: the unique key holds within a day
    (a partitioned table's keys must include the partition's column), `log_session` looks at
    the days either side."""

    __tablename__ = "exercise_sessions"
    __table_args__ = (
        Index(
            "ix_exercise_sessions_tenant_id_patient_id_performed_at",
            "tenant_id",
            "patient_id",
            "performed_at",
        ),
        UniqueConstraint(
            "tenant_id", "patient_id", "client_id", "day", name="uq_exercise_sessions_client_id"
        ),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    performed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)  # her own calendar day, in the tenant's time zone
    level: Mapped[int] = mapped_column(Integer)
    completion: Mapped[Completion] = mapped_column(enum_column(Completion, "completion"))
    effort: Mapped[Effort] = mapped_column(enum_column(Effort, "effort"))
    leaked: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PracticeDay(TenantScoped, db.Model):
    """Sets she logged per day of hers: the rollup reports read instead of the session log, a
    row a day rather than a row a set. The database keeps it (a trigger on exercise_sessions,
    migration 0022), so every way a set arrives counts: the portal, the API, a seed."""

    __tablename__ = "practice_days"
    # The last four weeks of a tenant, read as one range (the report's sets a week)
    __table_args__ = (
        Index("ix_practice_days_tenant_id_day", "tenant_id", "day", "patient_id", "sets"),
    )

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sets: Mapped[int] = mapped_column(Integer)
    # Her newest set of the day (migration 0029): her newest set of all is one key read away
    # (the caseload's "last active"), not one per monthly partition of the session log.
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PracticeWeeks(TenantScoped, db.Model):
    """The weeks since enrolment in which she logged a set, the first twelve, as bits (week w is
    bit w - 1): the report's retention curve reads a row per woman rather than her days. Kept by
    the database from practice_days (triggers, migration 0023), her weeks counted from the day
    she enrolled in her tenant's time zone, as the report counts them."""

    __tablename__ = "practice_weeks"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    weeks: Mapped[int] = mapped_column(Integer)
