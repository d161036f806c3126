"""Tenant API keys: shown once, stored as a hash, scoped, revocable, last use remembered."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import JSON, DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import as_utc, db
from pelvicoach.platform.tenancy import TenantScoped
from pelvicoach.platform.tokens import digest

SCOPES = {
    "enrolments:write": "enrol patients",
    "program:write": "change program settings",
    "reports:read": "read anonymized reports",
}
PREFIX = "pck"
TOUCH_EVERY = timedelta(minutes=1)  # last-use writes are throttled; one per minute is plenty


class ApiKey(TenantScoped, db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # The public part of the key, to find the row; the secret part is only ever hashed.
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def create(
    tenant_id: int, name: str, scopes: list[str], created_by: int | None
) -> tuple[ApiKey, str]:
    """Return the key row and the full key, which is never shown or stored again."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"unknown or missing scopes: {', '.join(sorted(unknown)) or 'none'}")
    lookup, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        tenant_id=tenant_id,
        name=name.strip()[:80],
        lookup=lookup,
        secret_hash=digest(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    db.session.add(key)
    return key, f"{PREFIX}_{lookup}_{secret}"


def authenticate(tenant_id: int, presented: str) -> ApiKey | None:
    prefix, _, rest = presented.partition("_")
    lookup, _, secret = rest.partition("_")
    if prefix != PREFIX or not lookup or not secret:
        return None
    key = db.session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.lookup == lookup)
    )
    if (
        key is None
        or not key.is_active
        or not secrets.compare_digest(key.secret_hash, digest(secret))
    ):
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or as_utc(key.last_used_at) < now - TOUCH_EVERY:
        key.last_used_at = now
    return key


def revoke(key: ApiKey) -> None:
    key.revoked_at = key.revoked_at or datetime.now(UTC)
