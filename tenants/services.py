"""Creating and finding tenants."""

from __future__ import annotations

import re

from sqlalchemy import select

from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import PUBLIC_READ, SLUG_PATTERN
from pelvicoach.tenants.models import Tenant, TenantDomain, TenantInfo, TenantKind

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")
DOMAIN = re.compile(r"^(?=.{4,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class TenantError(ValueError):
    """A tenant cannot be created as asked; the message says why, for a person to read."""


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


def add_domain(tenant: Tenant, domain: str) -> TenantDomain:
    domain = domain.strip().lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise TenantError("domain: not a valid host name")
    taken = db.session.scalar(
        select(TenantDomain.domain)
        .where(TenantDomain.domain == domain)
        .execution_options(**{PUBLIC_READ: True})
    )
    if taken is not None:
        raise TenantError(f"domain: {domain} is in use")
    row = TenantDomain(tenant_id=tenant.id, domain=domain)
    db.session.add(row)
    return row


def create_tenant(*, slug: str, name: str, kind: str, brand_color: str = "#0b5fa5") -> Tenant:
    """Add a tenant to the session (the caller commits)."""
    if not SLUG_PATTERN.match(slug):
        raise TenantError(
            "slug: use 1-40 lower-case letters, digits and hyphens, not starting or ending with -"
        )
    if slug in RESERVED_SLUGS:
        raise TenantError(f"slug: {slug!r} is reserved for the platform")
    if kind not in set(TenantKind):
        raise TenantError(f"kind: must be one of {', '.join(TenantKind)}")
    if not HEX_COLOUR.match(brand_color):
        raise TenantError("brand colour: use the #rrggbb form")
    if not name.strip():
        raise TenantError("name: required")
    if get_by_slug(slug) is not None:
        raise TenantError(f"slug: {slug!r} is taken")
    tenant = Tenant(slug=slug, name=name.strip(), kind=kind, brand_color=brand_color.lower())
    db.session.add(tenant)
    return tenant


def update_settings(tenant: Tenant, changes: dict[str, object]) -> list[str]:
    """Apply validated setting changes; return the names of those that really changed."""
    changed = []
    for name in ("brand_color", "clinicians_see_all_patients"):
        if name not in changes:
            continue
        value = changes[name]
        if name == "brand_color":
            value = str(value).lower()
        if getattr(tenant, name) != value:
            setattr(tenant, name, value)
            changed.append(name)
    return changed
