"""Creating and finding tenants."""

from __future__ import annotations

import re

from sqlalchemy import select

from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import SLUG_PATTERN
from pelvicoach.tenants.models import Tenant, TenantKind

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class TenantError(ValueError):
    """A tenant cannot be created as asked; the message says why, for a person to read."""


def get_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def create_tenant(*, slug: str, name: str, kind: str, brand_color: str = "#0b5fa5") -> Tenant:
    """Add a tenant to the session (the caller commits)."""
    if not SLUG_PATTERN.match(slug):
        raise TenantError(
            "slug: use 1-40 lower-case letters, digits and hyphens, not starting or ending with -"
        )
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
