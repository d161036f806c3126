"""Published program versions: append-only, one document each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db
from pelvicoach.platform.tenancy import TenantScoped


class ProgramVersion(TenantScoped, db.Model):
    """What a tenant's patients follow: the default program with the tenant's changes, checked
    and frozen. Never updated or deleted (the database grants neither); a change is a new
    version, and patients move to it when they start their next phase."""

    __tablename__ = "program_versions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_program_versions_tenant_id_number"),
    )

    id: Mapped[BigId]
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The tenant's changes to the default it was derived from, kept to derive the next one.
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProgramDraft(TenantScoped, db.Model):
    """The change an admin is preparing: overrides over the default, checked on every save and
    published when she says so. One per tenant."""

    __tablename__ = "program_drafts"

    tenant_id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The version it was started from: publishing over a newer one would undo its changes.
    based_on: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
