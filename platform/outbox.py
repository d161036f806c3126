"""Jobs that must not be lost: written in the same transaction as the change that needs them.

`defer()` adds an outbox row to the caller's transaction. Once the response has been sent, the
rows are relayed to rq (or, without Redis, run in-process), each read in its own tenant's context;
whatever could not be relayed, because Redis was down, stays in the table until the relay loop
(`pelvicoach outbox relay`, the scheduler's periodic job, both platform processes) hands it on.
A job runs through `run()`, which locks its row and marks it done, so a job relayed twice still
has its effect once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, has_request_context
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import JSON, DateTime, Index, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, as_utc, db
from pelvicoach.platform.jobs import QUEUES, after_response, redis_connection, retry_policy
from pelvicoach.platform.tenancy import PlatformOrTenantScoped, cross_tenant, tenant_context

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5  # then the job stays in the table, visible to the operator, and is not retried
KEEP_DONE = timedelta(days=7)
# Jobs a running job defers are relayed when it finishes, not half a minute later.
_deferred_in_job: ContextVar[list[tuple[int, int | None]] | None] = ContextVar(
    "outbox_deferred", default=None
)


class OutboxJob(PlatformOrTenantScoped, db.Model):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_pending", "done_at", "relayed_at"),)

    id: Mapped[BigId]
    job_id: Mapped[str] = mapped_column(String(128), unique=True)
    queue: Mapped[str] = mapped_column(String(16))
    func: Mapped[str] = mapped_column(String(128))
    args: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _retry_after() -> timedelta:
    """How old a claim or a relay must be before the job counts as lost and goes again
    (PELVICOACH_OUTBOX_RETRY_AFTER)."""
    return timedelta(seconds=current_app.config.get("OUTBOX_RETRY_AFTER", 600))


def _dotted(func: Any) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def defer(
    func: Any, *args: Any, tenant_id: int | None, queue: str = "default", job_id: str | None = None
) -> OutboxJob:
    """Queue `func(*args)` with the caller's transaction. Arguments must be JSON (ids, not
    objects); the job runs in `tenant_id`'s context. The same `job_id` (letters, digits, - and _)
    is only ever run once."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    dotted = _dotted(func)
    if job_id is None:
        digest = hashlib.sha256(json.dumps([dotted, tenant_id, args]).encode()).hexdigest()[:32]
        job_id = f"{func.__name__}-{digest}"
    row = OutboxJob(
        tenant_id=tenant_id,
        job_id=job_id,
        queue=queue,
        func=dotted,
        args=list(args),
        created_at=datetime.now(UTC),
    )
    db.session.flush()  # the caller's pending rows, under the caller's own tenant guard
    with tenant_context(tenant_id, db.session):  # the row is written as its own tenant
        db.session.add(row)
    in_job = _deferred_in_job.get()
    if in_job is not None:
        in_job.append((row.id, tenant_id))
    elif has_request_context():
        g.setdefault("outbox_jobs", []).append((row.id, tenant_id))
    return row


def run(outbox_id: int, tenant_id: int | None) -> str:
    """rq entry point: run an outbox job once, in its tenant's context.

    The row is claimed first (attempt counted, start time set, committed), so a second copy of
    the job that arrives while the first runs is skipped even if the job commits on its own.
    A claim older than `_retry_after()` counts as a crashed run and may be taken over; a run
    that failed may be retried at once."""
    session = db.session
    now = datetime.now(UTC)
    with tenant_context(tenant_id, session):
        claimed = session.execute(
            update(OutboxJob)
            .where(
                OutboxJob.id == outbox_id,
                OutboxJob.done_at.is_(None),
                OutboxJob.attempts < MAX_ATTEMPTS,
                (OutboxJob.started_at.is_(None))
                | (OutboxJob.started_at < now - _retry_after())
                | (OutboxJob.failed_at >= OutboxJob.started_at),
            )
            .values(started_at=now, attempts=OutboxJob.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if claimed.rowcount != 1:
            return "skipped"
        row = session.get(OutboxJob, outbox_id)
        deferred: list[tuple[int, int | None]] = []
        token = _deferred_in_job.set(deferred)
        try:
            _resolve(row.func)(*row.args)
        except Exception:
            session.rollback()
            session.get(OutboxJob, outbox_id).failed_at = datetime.now(UTC)
            session.commit()
            raise  # rq retries with backoff and, in the end, keeps it in its failed registry
        finally:
            _deferred_in_job.reset(token)
        session.get(OutboxJob, outbox_id).done_at = datetime.now(UTC)
        session.commit()
    if deferred:
        relay_jobs(deferred)
    return "done"


def purge() -> int:
    """Forget jobs done a week ago (periodic job, platform role): their arguments may name a
    person (the address a reset link went to)."""
    cutoff = datetime.now(UTC) - KEEP_DONE
    with cross_tenant(db.session, "purge finished outbox jobs"):
        result = db.session.execute(delete(OutboxJob).where(OutboxJob.done_at < cutoff))
        db.session.commit()
    return result.rowcount


def backlog() -> int:
    """Jobs of every tenant not done yet, for the operator's console in a web process. In
    PostgreSQL through an owner-defined function, as the web's role sees one tenant at a time."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalar(select(func.pelvicoach_outbox_backlog()))
    with cross_tenant(db.session, "operator: count waiting jobs"):
        return db.session.scalar(
            select(func.count()).select_from(OutboxJob).where(OutboxJob.done_at.is_(None))
        )


def lag() -> float:
    """Seconds since the oldest job not done yet was stored (0: none waiting): how far the
    workers are behind. Across tenants as `backlog` counts them."""
    if db.session.get_bind().dialect.name == "postgresql":
        return float(db.session.scalar(select(func.pelvicoach_outbox_lag())))
    with cross_tenant(db.session, "metrics: age of the oldest waiting job"):
        oldest = db.session.scalar(
            select(func.min(OutboxJob.created_at)).where(OutboxJob.done_at.is_(None))
        )
    if oldest is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - as_utc(oldest)).total_seconds())


def relay(limit: int = 500) -> int:
    """Hand every waiting job on; returns how many were handed on.

    Platform work: it reads waiting job ids across tenants, which only the platform role can."""
    now = datetime.now(UTC)
    with cross_tenant(db.session, "outbox relay reads waiting job ids"):
        pending = db.session.execute(
            select(OutboxJob.id, OutboxJob.tenant_id)
            .where(
                OutboxJob.done_at.is_(None),
                OutboxJob.attempts < MAX_ATTEMPTS,
                (OutboxJob.relayed_at.is_(None)) | (OutboxJob.relayed_at < now - _retry_after()),
            )
            .order_by(OutboxJob.id)
            .limit(limit)
        ).all()
    db.session.rollback()
    return relay_jobs([(outbox_id, tenant_id) for outbox_id, tenant_id in pending])


def relay_jobs(jobs: list[tuple[int, int | None]]) -> int:
    """Hand these jobs on (or run them here without Redis), each read in its own tenant's
    context, so a web process needs no cross-tenant view to relay what its request deferred."""
    session = db.session
    connection = redis_connection()
    handed = 0
    for outbox_id, tenant_id in jobs:
        if connection is None:
            run(outbox_id, tenant_id)
            handed += 1
            continue
        with tenant_context(tenant_id, session):
            row = session.get(OutboxJob, outbox_id)
            if row is None or row.done_at is not None or row.attempts >= MAX_ATTEMPTS:
                session.rollback()
                continue
            try:
                Queue(row.queue, connection=connection).enqueue(
                    run,
                    outbox_id,
                    tenant_id,
                    job_id=row.job_id,
                    retry=retry_policy(),
                )
            except RedisError as exc:
                log.warning("outbox: Redis unavailable, jobs wait in the table: %s", exc)
                session.rollback()
                break
            row.relayed_at = datetime.now(UTC)
        session.commit()
        handed += 1
    return handed


def init_app(app: Flask) -> None:
    @app.after_request
    def relay_this_requests_jobs(response):
        """After the response is sent: the visitor does not wait for the jobs, and how long the
        request took tells nothing about what they do (a reset link for a known address)."""
        deferred = g.pop("outbox_jobs", None)
        if deferred and response.status_code < 400:
            after_response(relay_jobs, deferred)
        return response
