"""A clinician's time-limited access to a patient outside her caseload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db
from pelvicoach.platform.tenancy import TenantScoped


class EmergencyAccess(TenantScoped, db.Model):
    """Granted with a reason, audited, and over after a few hours."""

    __tablename__ = "emergency_accesses"
    __table_args__ = (
        Index("ix_emergency_accesses_tenant_id_patient", "tenant_id", "patient_id", "clinician_id"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
