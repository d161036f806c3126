"""Taking a file in, confirming or cancelling its import, and forgetting it afterwards. The work
on its rows is done by the jobs in `jobs.py`; nothing here commits."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from pelvicoach.platform import outbox
from pelvicoach.platform.extensions import db
from pelvicoach.platform.spreadsheets import kind_of
from pelvicoach.platform.tenancy import cross_tenant
from pelvicoach.programs.enrolment.bulk import jobs
from pelvicoach.programs.enrolment.bulk.models import EnrolmentImport, ImportState, RefusedRow

# An import nobody confirmed is dropped after this; a finished one's report is kept this long.
KEEP_UNCONFIRMED = timedelta(days=7)
KEEP_REPORT = timedelta(days=30)


def upload(
    tenant_id: int, user_id: int, filename: str, data: bytes, locale: str
) -> EnrolmentImport:
    """Keep the file and have it checked; UnreadableError (from `kind_of`) for one that is empty or
    no CSV or XLSX at all, so the form can say so at once."""
    kind_of(data, filename)
    row = EnrolmentImport(
        tenant_id=tenant_id,
        uploaded_by=user_id,
        filename=filename[-255:],
        digest=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        locale=locale,
        state=ImportState.CHECKING,
        created_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.flush()
    outbox.defer(jobs.check_import, row.id, tenant_id=tenant_id, job_id=f"import-check-{row.id}")
    return row


def uploaded_before(row: EnrolmentImport) -> EnrolmentImport | None:
    """The last import of the same file that ran, so the preview can say so."""
    return db.session.scalar(
        select(EnrolmentImport)
        .where(
            EnrolmentImport.tenant_id == row.tenant_id,
            EnrolmentImport.digest == row.digest,
            EnrolmentImport.id != row.id,
            EnrolmentImport.state == ImportState.DONE,
        )
        .order_by(EnrolmentImport.created_at.desc())
        .limit(1)
    )


def _move(row: EnrolmentImport, frm: ImportState, to: ImportState, **values: object) -> bool:
    """A conditional UPDATE: of two officers pressing at once, one moves it."""
    moved = db.session.execute(
        update(EnrolmentImport)
        .where(EnrolmentImport.id == row.id, EnrolmentImport.state == frm)
        .values(state=to, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return moved.rowcount == 1


def confirm(row: EnrolmentImport, user_id: int, *, invite: bool, link_prefix: str) -> bool:
    """Start the import of a checked file; False when it was not waiting for that."""
    if not _move(
        row,
        ImportState.CHECKED,
        ImportState.IMPORTING,
        confirmed_by=user_id,
        confirmed_at=datetime.now(UTC),
        invite=invite,
        progress=0,
    ):
        return False
    outbox.defer(
        jobs.run_import,
        row.id,
        link_prefix,
        tenant_id=row.tenant_id,
        job_id=f"import-run-{row.id}",
    )
    return True


def cancel(row: EnrolmentImport) -> bool:
    if not _move(row, ImportState.CHECKED, ImportState.CANCELLED, content=None):
        return False
    db.session.execute(delete(RefusedRow).where(RefusedRow.import_id == row.id))
    return True


def purge() -> int:
    """Periodic job (platform role): files nobody confirmed within a week, and the reports of
    imports a month old, hold names and addresses nobody needs any more."""
    now = datetime.now(UTC)
    with cross_tenant(db.session, "purge old enrolment files and reports"):
        stale = db.session.execute(
            update(EnrolmentImport)
            .where(
                EnrolmentImport.state == ImportState.CHECKED,
                EnrolmentImport.created_at < now - KEEP_UNCONFIRMED,
            )
            .values(state=ImportState.CANCELLED, content=None)
        ).rowcount
        old = db.session.execute(
            delete(EnrolmentImport).where(EnrolmentImport.created_at < now - KEEP_REPORT)
        ).rowcount
        db.session.commit()
    return stale + old
