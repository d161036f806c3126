"""`Idempotency-Key` for API calls that create things: a client that did not hear the answer
(a timeout, a dropped connection) sends the same call again and gets the first answer, with its
status, instead of a second patient.

The key is claimed in a transaction of its own before the call runs (INSERT ... ON CONFLICT DO
NOTHING), so of two calls racing with one key exactly one runs; the other is told to wait (409)
until the first has answered, and then gets its answer. The same key with another body is a
client's mistake: 409. Keys are kept 24 hours, per API key."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, g, make_response, request
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.errors import problem
from pelvicoach.platform.extensions import db, insert_once
from pelvicoach.platform.tenancy import TenantScoped, cross_tenant

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class IdempotencyKey(TenantScoped, db.Model):
    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    api_key_id: Mapped[int] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None: the first call still runs
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _fingerprint() -> str:
    """The call as the client meant it: method, path and body (JSON read, so key order and
    spacing do not matter)."""
    raw = request.get_data(cache=True)
    try:
        body: Any = json.loads(raw) if raw else None
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: the bytes
        canonical = raw.hex()
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(json.dumps(row.body), status=row.status, mimetype=_mimetype(row.status))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _mimetype(status: int) -> str:
    return "application/json" if status < 400 else "application/problem+json"


def run_once(view: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `view` for this call, or answer as the call with the same key did before."""
    key = request.headers.get(HEADER)
    if key is None:
        return view(*args, **kwargs)
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        return problem(400, "Bad Request", f"{HEADER}: 1 to {MAX_KEY_LENGTH} printable characters.")
    tenant_id, api_key_id, fingerprint = g.api_key.tenant_id, g.api_key.id, _fingerprint()
    identity = {"tenant_id": tenant_id, "api_key_id": api_key_id, "key": key}
    now = datetime.now(UTC)
    db.session.execute(  # an expired key of the same name makes way
        delete(IdempotencyKey)
        .filter_by(**identity)
        .where(IdempotencyKey.created_at < now - KEEP_FOR)
    )
    claimed = insert_once(
        IdempotencyKey,
        {**identity, "request_hash": fingerprint, "status": None, "body": None, "created_at": now},
        ["tenant_id", "api_key_id", "key"],
        returning=IdempotencyKey.key,
    )
    db.session.commit()
    if claimed is None:
        row = db.session.scalar(select(IdempotencyKey).filter_by(**identity))
        if row is None or row.request_hash != fingerprint:
            return problem(409, "Conflict", f"This {HEADER} was used for another request.")
        if row.status is None:
            response = problem(409, "Conflict", f"A request with this {HEADER} is still running.")
            response.headers["Retry-After"] = "1"
            return response
        return _replay(row)
    try:
        result = view(*args, **kwargs)
    except Exception:
        db.session.rollback()
        db.session.execute(delete(IdempotencyKey).filter_by(**identity))  # it may be tried again
        db.session.commit()
        raise
    response = make_response(result)
    if response.status_code >= 500:
        db.session.execute(delete(IdempotencyKey).filter_by(**identity))
    else:
        db.session.execute(
            update(IdempotencyKey)
            .filter_by(**identity)
            .values(status=response.status_code, body=response.get_json(silent=True))
        )
    db.session.commit()
    return response


def purge() -> int:
    """Keys older than a day answer nothing any more: remove them (a periodic job)."""
    with cross_tenant(db.session, "purge expired idempotency keys"):
        removed = db.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < datetime.now(UTC) - KEEP_FOR)
        )
        db.session.commit()
    return removed.rowcount
