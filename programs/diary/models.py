"""Her bladder diaries and their entries."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class EntryKind(StrEnum):
    DRINK = "drink"
    VOID = "void"
    LEAK = "leak"
    PAD = "pad"
    BED = "bed"
    WAKE = "wake"


class DrinkKind(StrEnum):
    WATER = "water"
    COFFEE_TEA = "coffee_tea"
    MILK = "milk"
    FIZZY = "fizzy"
    ALCOHOL = "alcohol"
    OTHER = "other"


class LeakAmount(StrEnum):
    DROPS = "drops"
    SMALL = "small"
    LARGE = "large"


class LeakActivity(StrEnum):
    COUGH_SNEEZE = "cough_sneeze"
    LIFTING = "lifting"
    EXERCISE = "exercise"
    URGE = "urge"
    NO_REASON = "no_reason"
    OTHER = "other"


class Diary(TenantScoped, db.Model):
    __tablename__ = "bladder_diaries"
    __table_args__ = (
        Index("ix_bladder_diaries_tenant_id_patient_id", "tenant_id", "patient_id", "starts_on"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    ends_on: Mapped[date] = mapped_column(Date)  # the day after the last: complete from then
    # The measures of her summary outside the typical range (comma-separated keys; leaks
    # left out, she is here for them), kept with each entry so the caseload reads one column.
    out_of_range: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DiaryEntry(TenantScoped, db.Model):
    """One thing she noted: a drink, a void, a leak, a pad, going to bed or getting up.
    `client_id` from her device keeps a double tap (or an offline replay) to one entry."""

    __tablename__ = "bladder_diary_entries"
    __table_args__ = (
        Index("ix_bladder_diary_entries_tenant_id_diary_id_at", "tenant_id", "diary_id", "at"),
        UniqueConstraint(
            "tenant_id", "diary_id", "client_id", name="uq_bladder_diary_entries_client_id"
        ),
    )

    id: Mapped[BigId]
    diary_id: Mapped[int] = mapped_column(ForeignKey("bladder_diaries.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "entry_kind"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    millilitres: Mapped[int | None] = mapped_column(Integer)  # a drink, or a measured void
    drink: Mapped[DrinkKind | None] = mapped_column(enum_column(DrinkKind, "drink_kind"))
    urgency: Mapped[int | None] = mapped_column(Integer)  # 0-4, with a void or a leak
    leak_amount: Mapped[LeakAmount | None] = mapped_column(enum_column(LeakAmount, "leak_amount"))
    activity: Mapped[LeakActivity | None] = mapped_column(
        enum_column(LeakActivity, "leak_activity")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
