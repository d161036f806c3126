"""A download of the report (CSV, Excel or PDF), built by a job: where it stands, and the file
until its link expires."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
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


class ReportFacts(TenantScoped, db.Model):
    """Each woman's facts as the report counts them, a row per woman: where she is in the coach,
    her intake's outcome, her answers at the check-ins, her referral and the messages she was
    sent. Only what holds until her data changes is kept (the days that pass are applied when
    the report is counted), so a row is recomputed only when a trigger marks her stale
    (`ReportStale`, migration 0025): the report then reads 100,000 rows, not the joins and
    window functions that make them."""

    __tablename__ = "report_facts"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    # The report's filters
    cohort: Mapped[str] = mapped_column(String(16))
    age: Mapped[str] = mapped_column(String(8))  # band
    version: Mapped[int] = mapped_column(Integer)  # 0: none pinned
    clinician_id: Mapped[int | None] = mapped_column(Integer)  # her team is read at count time
    enrolled_on: Mapped[date] = mapped_column(Date)  # in the tenant's time zone
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" of enrolled_on
    # Where she is, and what training asks of her
    stage: Mapped[int] = mapped_column(SmallInteger)
    planned: Mapped[int] = mapped_column(SmallInteger)  # her plan's sets a day
    started_on: Mapped[date | None] = mapped_column(Date)  # her practice began
    # Her latest intake
    type: Mapped[str | None] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    control: Mapped[str | None] = mapped_column(String(16))
    red_flag: Mapped[str | None] = mapped_column(String(3))
    route: Mapped[str | None] = mapped_column(String(16))
    # Her answers at the check-ins (None: not answered)
    pgi_8: Mapped[str | None] = mapped_column(String(16))
    change_8: Mapped[str | None] = mapped_column(String(16))
    pgi_12: Mapped[str | None] = mapped_column(String(16))
    change_12: Mapped[str | None] = mapped_column(String(16))
    # Care she was advised, confirmed or went to
    referral: Mapped[str] = mapped_column(String(16))
    referral_reason: Mapped[str | None] = mapped_column(String(16))
    referral_kind: Mapped[str | None] = mapped_column(String(32))
    # Reminders and nudges sent, and those followed by a set that day or the next
    reminders: Mapped[int] = mapped_column(Integer)
    reminders_returned: Mapped[int] = mapped_column(Integer)
    nudges: Mapped[int] = mapped_column(Integer)
    nudges_returned: Mapped[int] = mapped_column(Integer)


class ReportStale(TenantScoped, db.Model):
    """A woman whose facts changed since they were counted: a row per change (a statement's
    women), added by triggers on the tables her facts come from (migration 0025). Rows are
    never merged: a refresh removes the rows it saw and recomputes those women, so a change
    committed while it ran keeps its own row for the next refresh."""

    __tablename__ = "report_stale"
    __table_args__ = (Index("ix_report_stale_tenant_id", "tenant_id"),)

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
