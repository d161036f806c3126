"""Downloads of the report: asked for on the page, built by a job (the report, then the file),
fetched through a link that expires. Only what the page publishes goes into a file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import delete

from pelvicoach.platform import outbox
from pelvicoach.platform.extensions import as_utc, db
from pelvicoach.platform.tenancy import cross_tenant
from pelvicoach.reporting import export_files, services
from pelvicoach.reporting.models import ExportFormat, ExportState, ReportExport
from pelvicoach.reporting.report import Setting
from pelvicoach.tenants.models import Tenant

LINK_VALID = timedelta(hours=24)

log = logging.getLogger(__name__)


def ask_for(
    tenant_id: int, user_id: int, fmt: ExportFormat, setting: str, locale: str
) -> ReportExport:
    """Store the request and queue its job with the caller's transaction."""
    now = datetime.now(UTC)
    row = ReportExport(
        tenant_id=tenant_id,
        requested_by=user_id,
        format=fmt,
        filter=setting,
        locale=locale,
        state=ExportState.QUEUED,
        progress=0,
        created_at=now,
        expires_at=now + LINK_VALID,
    )
    db.session.add(row)
    db.session.flush()
    outbox.defer(build, row.id, tenant_id=tenant_id, job_id=f"report-export-{row.id}")
    return row


def build(export_id: int) -> None:
    """The job: the tenant's published report (from the cache when fresh), then the file in the
    language of whoever asked. A second run of a finished export does nothing. One that fails
    says so on its page at once (asking again is one click) rather than showing a bar that never
    moves while the job is tried again; the error goes to the log."""
    row = db.session.get(ReportExport, export_id)
    if row is None or not row.busy:
        return
    row.state, row.progress = ExportState.RUNNING, 5
    db.session.commit()
    try:
        _make(row)
    except Exception:
        log.exception("report export %s failed", export_id)
        db.session.rollback()
        row = db.session.get(ReportExport, export_id)
        row.state, row.finished_at = ExportState.FAILED, datetime.now(UTC)
    db.session.commit()


def _make(row: ReportExport) -> None:
    tenant = db.session.get(Tenant, row.tenant_id)
    report = services.published(tenant).report(Setting.parse(row.filter))
    row.progress = 60
    db.session.commit()
    with force_locale(row.locale):
        row.content = export_files.WRITERS[row.format](report, tenant.name)
    row.state, row.progress, row.finished_at = ExportState.DONE, 100, datetime.now(UTC)


def expired(row: ReportExport, now: datetime | None = None) -> bool:
    return as_utc(row.expires_at) <= (now or datetime.now(UTC))


def purge() -> int:
    """Periodic job (platform role): files past their link's life go."""
    with cross_tenant(db.session, "purge expired report downloads"):
        gone = db.session.execute(
            delete(ReportExport).where(ReportExport.expires_at < datetime.now(UTC))
        ).rowcount
        db.session.commit()
    return gone
