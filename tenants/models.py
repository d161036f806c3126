"""The tenant: an insurer or a practice that runs its own branded coach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Self

from sqlalchemy import JSON, Boolean, DateTime, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import db, enum_column
from pelvicoach.platform.tenancy import TenantScoped

DEFAULT_TIME_ZONE = "Europe/Amsterdam"
DEFAULT_BRAND = "#0b5fa5"
DEFAULT_ACCENT = "#8a3b76"
DEFAULT_RETENTION_MONTHS = 24
DEFAULT_REPORT_MIN_GROUP = 10  # k of small-cell suppression
REPORT_FLOOR = 5  # the least k any tenant may set


class TenantKind(StrEnum):
    INSURER = "insurer"
    PRACTICE = "practice"


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(db.Model):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[TenantKind] = mapped_column(enum_column(TenantKind, "kind"))
    status: Mapped[TenantStatus] = mapped_column(
        enum_column(TenantStatus, "status"), default=TenantStatus.ACTIVE
    )
    brand_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_BRAND)
    accent_color: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_ACCENT, server_default=DEFAULT_ACCENT
    )
    # The digests of its logo and favicon (`TenantAsset`): part of their addresses, so they
    # can be cached for good and a new upload is a new address.
    logo_digest: Mapped[str | None] = mapped_column(String(16))
    favicon_digest: Mapped[str | None] = mapped_column(String(16))
    # Her welcome on the portal's first page, per locale ({"nl": ..., "en": ...}).
    welcome: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    support_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    support_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    privacy_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Clinicians see their own caseload; a practice may open every patient to every clinician.
    clinicians_see_all_patients: Mapped[bool] = mapped_column(Boolean, default=False)
    # Dates and times on its pages are shown in this zone (an IANA name).
    time_zone: Mapped[str] = mapped_column(
        String(40), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE
    )
    # A patient's account is erased after this many months without her signing in.
    retention_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RETENTION_MONTHS, server_default=str(DEFAULT_RETENTION_MONTHS)
    )
    # Its report hides groups smaller than this (it may raise it; never below REPORT_FLOOR).
    report_min_group: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_REPORT_MIN_GROUP, server_default=str(DEFAULT_REPORT_MIN_GROUP)
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


@dataclass(frozen=True)
class TenantInfo:
    """A tenant as a request holds it: read once when the request starts, then a plain value, so
    an error page or a log line never goes back to the database (or a failed session) for it.
    Changing a tenant means loading its `Tenant` row."""

    id: int
    slug: str
    name: str
    kind: str
    status: str
    brand_color: str
    accent_color: str
    logo_digest: str | None
    favicon_digest: str | None
    welcome: dict[str, str]
    support_email: str
    support_phone: str
    privacy_url: str
    clinicians_see_all_patients: bool
    time_zone: str
    retention_months: int
    report_min_group: int

    @classmethod
    def of(cls, tenant: Tenant) -> Self:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            kind=tenant.kind,
            status=tenant.status,
            brand_color=tenant.brand_color,
            accent_color=tenant.accent_color,
            logo_digest=tenant.logo_digest,
            favicon_digest=tenant.favicon_digest,
            welcome=dict(tenant.welcome or {}),
            support_email=tenant.support_email,
            support_phone=tenant.support_phone,
            privacy_url=tenant.privacy_url,
            clinicians_see_all_patients=tenant.clinicians_see_all_patients,
            time_zone=tenant.time_zone,
            retention_months=tenant.retention_months,
            report_min_group=tenant.report_min_group,
        )

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantDomain(TenantScoped, db.Model):
    """A custom domain (e.g. bekkenbodem.delinde.nl) that serves one tenant's site."""

    __tablename__ = "tenant_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )


class AssetKind(StrEnum):
    LOGO = "logo"
    FAVICON = "favicon"


class TenantAsset(TenantScoped, db.Model):
    """An uploaded brand image, decoded and re-encoded on the way in (no metadata, capped size).
    Kept in the database, not on a web server's disk, so every web process serves the same."""

    __tablename__ = "tenant_assets"

    tenant_id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        Integer, db.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[AssetKind] = mapped_column(enum_column(AssetKind, "kind"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(16))
    mimetype: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )
