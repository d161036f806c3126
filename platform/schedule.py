"""Periodic jobs: the platform's declared here, later layers' registered. Each run has a
deterministic id (name and time slot), so two schedulers, or a restarted one, never queue the
same run twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import delete, or_

from pelvicoach.platform import audit, idempotency, outbox, sessions
from pelvicoach.platform.extensions import db
from pelvicoach.platform.jobs import retry_policy
from pelvicoach.platform.password_reset import PasswordResetToken
from pelvicoach.platform.tenancy import cross_tenant

log = logging.getLogger(__name__)


def relay_outbox() -> int:
    return outbox.relay()


def verify_audit_trail() -> int:
    problems = list(audit.verify())
    for problem in problems:
        log.error(
            "audit chain of tenant %s broken at %s: %s",
            problem.tenant_id,
            problem.seq,
            problem.message,
        )
    return len(problems)


def purge_reset_tokens() -> int:
    """Spent and expired reset tokens are of no use to anyone after a day."""
    cutoff = datetime.now(UTC) - timedelta(days=1)
    with cross_tenant(db.session, "purge spent password-reset tokens"):
        result = db.session.execute(
            delete(PasswordResetToken).where(
                or_(PasswordResetToken.used_at < cutoff, PasswordResetToken.expires_at < cutoff)
            )
        )
        db.session.commit()
    return result.rowcount


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], object]
    every: int  # seconds
    queue: str = "low"

    def job_id(self, now: float) -> str:
        return f"periodic-{self.name}-{int(now // self.every)}"


PERIODIC = [
    Periodic("outbox-relay", relay_outbox, every=30, queue="high"),
    Periodic("purge-reset-tokens", purge_reset_tokens, every=3600),
    Periodic("purge-sessions", sessions.purge, every=3600),
    Periodic("purge-outbox", outbox.purge, every=3600),
    Periodic("purge-idempotency-keys", idempotency.purge, every=3600),
    Periodic("audit-verify", verify_audit_trail, every=86400),
]


def register(periodic: Periodic) -> None:
    """A periodic job of a later layer (reminders, reports), added by its package's init_app;
    the platform itself imports nothing above it."""
    if all(known.name != periodic.name for known in PERIODIC):
        PERIODIC.append(periodic)


def tick(connection: Redis, now: float | None = None) -> list[str]:
    """Queue every periodic job whose current slot has no run yet; return the ids queued."""
    now = time.time() if now is None else now
    queued = []
    for periodic in PERIODIC:
        job_id = periodic.job_id(now)
        # Claim the slot atomically, so two schedulers never both queue it.
        if not connection.set(f"pelvicoach:slot:{job_id}", 1, nx=True, ex=periodic.every * 2):
            continue
        Queue(periodic.queue, connection=connection).enqueue(
            periodic.func,
            job_id=job_id,
            retry=retry_policy(),
            result_ttl=max(periodic.every * 2, 600),
        )
        queued.append(job_id)
    return queued


def run_forever(connection: Redis, pause: float = 5.0) -> None:
    while True:
        try:
            for job_id in tick(connection):
                log.info("scheduled %s", job_id)
        except Exception:  # Redis hiccup: try again next round
            log.exception("scheduler tick failed")
        time.sleep(pause)
