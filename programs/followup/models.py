"""Her re-assessments, the alerts they (or a reported red flag) raise, and her referrals:
stored with their reasons, because clinicians and reports read them as they were."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped
from pelvicoach.tenants.care_providers import ProviderKind


class Reassessment(TenantScoped, db.Model):
    __tablename__ = "reassessments"
    __table_args__ = (
        Index("ix_reassessments_tenant_id_patient_id", "tenant_id", "patient_id", "completed_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    practice_week: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    isi: Mapped[int] = mapped_column(Integer)
    iciq: Mapped[int | None] = mapped_column(Integer)
    pgi_i: Mapped[int] = mapped_column(Integer)
    version_number: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertKind(StrEnum):
    NO_IMPROVEMENT = "no_improvement"  # the 8-week rule
    RED_FLAG = "red_flag"  # reported with "something changed"


class CareAlert(TenantScoped, db.Model):
    """Advice to see her GP or a pelvic physiotherapist, with why."""

    __tablename__ = "care_alerts"
    __table_args__ = (
        Index("ix_care_alerts_tenant_id_patient_id", "tenant_id", "patient_id", "raised_at"),
        Index("ix_care_alerts_tenant_id_raised_at", "tenant_id", "raised_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind, "alert_kind", 20))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    reassessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("reassessments.id", ondelete="SET NULL")
    )
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A clinician dealt with it (called her, saw her): it leaves the caseload's alerts.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Referral(TenantScoped, db.Model):
    """She said she will go: to which kind of care (and provider, if she chose one), and
    later whether she went."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_tenant_id_patient_id", "tenant_id", "patient_id", "confirmed_at"),
        Index("ix_referrals_tenant_id_confirmed_at", "tenant_id", "confirmed_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("care_alerts.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(40))
    care_kind: Mapped[ProviderKind] = mapped_column(enum_column(ProviderKind, "care_kind", 24))
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_providers.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attended_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
