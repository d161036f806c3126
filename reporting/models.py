"""A download of the report (CSV, Excel or PDF), built by a job: where it stands, and the file
until its link expires."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportExport(TenantScoped, db.Model):
    """Only published figures go in (the file is the page's report, as suppressed), so the
    file holds no woman; it is still kept for a day only, then its link answers 410."""

    __tablename__ = "report_exports"
    __table_args__ = (Index("ix_report_exports_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[BigId]
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    format: Mapped[ExportFormat] = mapped_column(enum_column(ExportFormat, "export_format"))
    filter: Mapped[str] = mapped_column(String(100), default="")  # "dim:value", "" for all
    locale: Mapped[str] = mapped_column(String(5))
    state: Mapped[ExportState] = mapped_column(enum_column(ExportState, "export_state"))
    progress: Mapped[int] = mapped_column(Integer, default=0)  # per cent
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def busy(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)
