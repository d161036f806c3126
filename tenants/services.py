"""Creating, finding, suspending and branding tenants; their custom domains."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from pelvicoach.platform import audit
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import PUBLIC_READ, SLUG_PATTERN
from pelvicoach.tenants.branding import HEX_COLOUR, CleanImage
from pelvicoach.tenants.models import (
    DEFAULT_BRAND,
    AssetKind,
    Tenant,
    TenantAsset,
    TenantDomain,
    TenantInfo,
    TenantKind,
    TenantStatus,
)

DOMAIN = re.compile(r"^(?=.{4,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class TenantError(ValueError):
    """A tenant cannot be created as asked: `problems` maps the field to why, for a person."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.problems = {field: message}


# Sub-domains the platform keeps for itself.
RESERVED_SLUGS = frozenset({"www", "api", "app", "admin", "operator", "static", "mail", "status"})


def get_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def get_by_domain(domain: str) -> Tenant | None:
    return db.session.scalar(
        select(Tenant)
        .join(TenantDomain)
        .where(TenantDomain.domain == domain.lower())
        .execution_options(**{PUBLIC_READ: True})
    )


class Finder:
    """How the platform's request hook finds tenants: as values, not rows."""

    @staticmethod
    def by_slug(slug: str) -> TenantInfo | None:
        tenant = get_by_slug(slug)
        return TenantInfo.of(tenant) if tenant else None

    @staticmethod
    def by_domain(host: str) -> TenantInfo | None:
        tenant = get_by_domain(host)
        return TenantInfo.of(tenant) if tenant else None


def domain_in_use(domain: str) -> bool:
    """Whether any tenant serves `domain` (the directory is readable outside a tenant)."""
    return (
        db.session.scalar(
            select(TenantDomain.domain)
            .where(TenantDomain.domain == domain)
            .execution_options(**{PUBLIC_READ: True})
        )
        is not None
    )


def add_domain(tenant: Tenant, domain: str) -> TenantDomain:
    """Call in the tenant's context; check `domain_in_use` first where the whole directory is
    visible (the primary key refuses a duplicate anyway)."""
    domain = domain.strip().lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise TenantError("domain", _("Not a valid host name, e.g. coach.example.nl."))
    if domain_in_use(domain):
        raise TenantError("domain", _("%(domain)s is in use by a tenant.", domain=domain))
    row = TenantDomain(tenant_id=tenant.id, domain=domain)
    db.session.add(row)
    return row


def domains(tenant_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(TenantDomain.domain)
            .where(TenantDomain.tenant_id == tenant_id)
            .order_by(TenantDomain.domain)
            .execution_options(**{PUBLIC_READ: True})
        )
    )


def set_status(tenant: Tenant, status: TenantStatus) -> bool:
    """Suspend or reactivate; whether anything changed. A suspended tenant's sites answer
    nothing but a notice, and its people cannot sign in."""
    if tenant.status == status:
        return False
    tenant.status = status
    return True


def create_tenant(*, slug: str, name: str, kind: str, brand_color: str = DEFAULT_BRAND) -> Tenant:
    """Add a tenant to the session (the caller commits)."""
    if not SLUG_PATTERN.match(slug):
        raise TenantError(
            "slug",
            _("Use 1-40 lower-case letters, digits and hyphens, not starting or ending with -."),
        )
    if slug in RESERVED_SLUGS:
        raise TenantError("slug", _("%(slug)s is reserved for the platform.", slug=slug))
    if kind not in set(TenantKind):
        raise TenantError("kind", _("Choose insurer or practice."))
    if not HEX_COLOUR.match(brand_color):
        raise TenantError("brand_color", _("Use the #rrggbb form, for example #1f6b45."))
    if not name.strip():
        raise TenantError("name", _("Give a name."))
    if get_by_slug(slug) is not None:
        raise TenantError("slug", _("%(slug)s is taken.", slug=slug))
    tenant = Tenant(slug=slug, name=name.strip(), kind=kind, brand_color=brand_color.lower())
    db.session.add(tenant)
    return tenant


def update_settings(tenant: Tenant, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply validated changes (a schema loaded them); return {name: [before, after]} of what
    really changed, for the audit log."""
    changed = {}
    for name, value in changes.items():
        before = getattr(tenant, name)
        if before != value:
            setattr(tenant, name, value)
            changed[name] = [before, value]
    return changed


def change_setting(tenant_id: int, name: str, value: Any, action: str) -> None:
    """One of a tenant's settings changed from its console, audited where it really changed
    (the caller commits)."""
    tenant = db.session.get(Tenant, tenant_id)
    changed = update_settings(tenant, {name: value})
    audit.record_changes(action, changed, object_type="tenant", object_id=str(tenant_id))


def store_image(tenant: Tenant, kind: AssetKind, image: CleanImage) -> dict[str, list[Any]]:
    """Keep a cleaned logo or favicon; its digest on the tenant names the new address."""
    asset = db.session.get(TenantAsset, (tenant.id, kind)) or TenantAsset(
        tenant_id=tenant.id, kind=kind
    )
    asset.digest, asset.mimetype, asset.content = image.digest, image.mimetype, image.content
    asset.width, asset.height, asset.updated_at = image.width, image.height, datetime.now(UTC)
    db.session.add(asset)
    return update_settings(tenant, {f"{kind}_digest": image.digest})


def remove_image(tenant: Tenant, kind: AssetKind) -> dict[str, list[Any]]:
    asset = db.session.get(TenantAsset, (tenant.id, kind))
    if asset is not None:
        db.session.delete(asset)
    return update_settings(tenant, {f"{kind}_digest": None})


def image(tenant_id: int, kind: AssetKind, digest: str) -> TenantAsset | None:
    asset = db.session.get(TenantAsset, (tenant_id, kind))
    return asset if asset is not None and asset.digest == digest else None
