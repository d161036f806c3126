"""The audit trail (NEN 7513): who did what to which record, when and from where.

Append-only: the app's database role may INSERT and SELECT here, nothing else. Each row carries
the hash of the previous row of its tenant and a gap-free sequence number, so `pelvicoach audit
verify` can tell when a row was altered or removed. Rows name patients by pseudonym only.

Writers of one chain queue on its head row (`audit_heads`): taking the next number is an UPDATE
of that row, which locks it in PostgreSQL and takes the write lock in SQLite before anything is
read, so parallel requests never pick the same number and no row is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Update,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, as_utc, db
from pelvicoach.platform.tenancy import (
    TenantScoped,
    cross_tenant,
    current_tenant_id,
    same_tenant,
    tenant_context,
)

GENESIS = "0" * 64
PLATFORM_CHAIN = 0  # the chain of events without a tenant


class AuditEvent(TenantScoped, db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("uq_audit_events_tenant_id_seq", "tenant_id", "seq", unique=True),
        Index(
            "uq_audit_events_platform_seq",
            "seq",
            unique=True,
            postgresql_where=text("tenant_id IS NULL"),
            sqlite_where=text("tenant_id IS NULL"),
        ),
        Index("ix_audit_events_tenant_id_object", "tenant_id", "object_type", "object_id"),
    )

    id: Mapped[BigId]
    tenant_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="RESTRICT")
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_roles: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        payload = [
            self.tenant_id,
            self.seq,
            as_utc(self.occurred_at).astimezone(UTC).isoformat(),
            self.actor_id,
            self.actor_roles,
            self.action,
            self.object_type,
            self.object_id,
            self.ip,
            self.request_id,
            self.detail,
            self.prev_hash,
        ]
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()


class AuditHead(TenantScoped, db.Model):
    """The newest row of one chain: its number and hash."""

    __tablename__ = "audit_heads"

    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="RESTRICT")
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def request_origin() -> tuple[str | None, str | None]:
    """Where the current request came from: (IP address, request id), or nothing outside one."""
    if not has_request_context():
        return None, None
    return request.remote_addr, g.get("request_id")


def _actor() -> tuple[int | None, str]:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, ",".join(sorted(current_user.roles))
    return None, ""


def before_after(changed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{name: (before, after)} of what changed as the audit detail keeps it."""
    return {
        "before": {name: values[0] for name, values in changed.items()},
        "after": {name: values[1] for name, values in changed.items()},
    }


def record_changes(
    action: str, changed: dict[str, list[Any]], *, object_type: str, object_id: str
) -> None:
    """Audit a change with its before and after, only where something really changed."""
    if changed:
        record(action, object_type=object_type, object_id=object_id, detail=before_after(changed))


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    tenant_id: int | None = ...,  # type: ignore[assignment]
    actor_id: int | None = ...,  # type: ignore[assignment]
    actor_roles: str | None = None,
    origin: tuple[str | None, str | None] | None = None,
) -> AuditEvent:
    """Append an event to the tenant's chain in the caller's transaction (committed with it).

    `origin` is (IP address, request id) for a job acting on a request made earlier; by
    default they are the current request's."""
    if tenant_id is ...:
        tenant_id = current_tenant_id()
    default_actor, default_roles = _actor()
    if actor_id is ...:
        actor_id = default_actor
    session = db.session
    session.flush()  # the caller's pending rows, under the caller's own tenant guard
    ip, request_id = origin or request_origin()
    with tenant_context(tenant_id, session):
        seq, prev_hash = _next_link(tenant_id)
        event = AuditEvent(
            tenant_id=tenant_id,
            seq=seq,
            occurred_at=datetime.now(UTC),
            actor_id=actor_id,
            actor_roles=actor_roles if actor_roles is not None else default_roles,
            action=action,
            object_type=object_type,
            object_id=object_id,
            ip=ip,
            request_id=request_id,
            detail=detail,
            prev_hash=prev_hash,
        )
        event.hash = event.compute_hash()
        session.add(event)
        session.execute(_head(tenant_id).values(hash=event.hash))
    return event


def _head(tenant_id: int | None) -> Update:
    chain = PLATFORM_CHAIN if tenant_id is None else tenant_id
    return (
        update(AuditHead)
        .where(AuditHead.chain == chain)
        .execution_options(synchronize_session=False)
    )


def _next_link(tenant_id: int | None) -> tuple[int, str]:
    """Take the chain's next number and the hash to link to, holding the head until commit."""
    session = db.session
    take = _head(tenant_id).values(seq=AuditHead.seq + 1).returning(AuditHead.seq, AuditHead.hash)
    taken = session.execute(take).first()
    if taken is None:  # the chain's first event: start it (once, whoever comes first)
        dialect = session.get_bind().dialect.name
        start = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            start(AuditHead)
            .values(
                chain=PLATFORM_CHAIN if tenant_id is None else tenant_id,
                tenant_id=tenant_id,
                seq=0,
                hash=GENESIS,
            )
            .on_conflict_do_nothing()
        )
        taken = session.execute(take).one()
    return taken.seq, taken.hash


@dataclass(frozen=True)
class Problem:
    tenant_id: int | None
    seq: int
    message: str


def verify() -> Iterator[Problem]:
    """Walk every tenant's chain; yield each break (altered row, missing row, broken link, and
    newest rows removed: the chain must end where its head says)."""
    session = db.session
    with cross_tenant(session, "verify every tenant's audit chain"):
        heads = {head.tenant_id: head for head in session.scalars(select(AuditHead))}
        chains = set(session.scalars(select(AuditEvent.tenant_id).distinct())) | set(heads)
        for tenant_id in chains:
            expected_seq, prev_hash = 1, GENESIS
            rows = session.scalars(
                select(AuditEvent)
                .where(same_tenant(AuditEvent.tenant_id, tenant_id))
                .order_by(AuditEvent.seq)
                .execution_options(yield_per=1000)
            )
            for row in rows:
                if row.seq != expected_seq:
                    yield Problem(
                        tenant_id, row.seq, f"row(s) {expected_seq}..{row.seq - 1} missing"
                    )
                elif row.prev_hash != prev_hash:
                    yield Problem(tenant_id, row.seq, "link to the previous row is broken")
                if row.compute_hash() != row.hash:
                    yield Problem(tenant_id, row.seq, "row was altered")
                expected_seq, prev_hash = row.seq + 1, row.hash
            head = heads.get(tenant_id)
            if head is not None and (head.seq, head.hash) != (expected_seq - 1, prev_hash):
                yield Problem(
                    tenant_id,
                    head.seq,
                    f"the chain ends at row {expected_seq - 1}, not at its head",
                )
