"""Which information modules she has read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db
from pelvicoach.platform.tenancy import TenantScoped


class ModuleRead(TenantScoped, db.Model):
    __tablename__ = "module_reads"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "patient_id", "module_key", name="uq_module_reads_tenant_id_patient"
        ),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    module_key: Mapped[str] = mapped_column(String(40))
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
