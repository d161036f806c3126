"""A member of staff's professional details, and invitations to join a tenant."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, as_utc, db
from pelvicoach.platform.tenancy import TenantScoped


class StaffProfile(TenantScoped, db.Model):
    """What a clinician records about herself: her registration and where she works."""

    __tablename__ = "staff_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    registration: Mapped[str] = mapped_column(String(24), default="")
    organisation: Mapped[str] = mapped_column(String(160), default="")
    # The team she belongs to, where a practice has several: the report's filter by team.
    team: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # At an insurer: the contracted provider of its directory she works for.
    care_provider_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("care_providers.id", ondelete="RESTRICT")
    )


class StaffInvitation(TenantScoped, db.Model):
    """An expiring, single-use link to join a tenant with given roles. Only the token's digest
    is kept: a copy of the database joins no one."""

    __tablename__ = "staff_invitations"
    __table_args__ = (Index("ix_staff_invitations_tenant_id_email", "tenant_id", "email"),)

    id: Mapped[BigId]
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    roles: Mapped[list[str]] = mapped_column(JSON)
    registration: Mapped[str] = mapped_column(String(24), default="")
    organisation: Mapped[str] = mapped_column(String(160), default="")
    team: Mapped[str] = mapped_column(String(60), default="", server_default="")
    care_provider_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("care_providers.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and as_utc(self.expires_at) > datetime.now(UTC)
        )
