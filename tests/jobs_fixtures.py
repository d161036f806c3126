"""Module-level job functions: rq imports jobs by dotted path, so they cannot live in a test."""

from __future__ import annotations

from pelvicoach.platform.extensions import db
from pelvicoach.tenants.models import Tenant


def recolour_tenant(tenant_id: int, colour: str) -> str:
    """A change a tenant's own context may make (its settings)."""
    tenant = db.session.get(Tenant, tenant_id)
    tenant.brand_color = colour
    db.session.commit()
    return colour


def count_call(value: str) -> None:
    from pelvicoach.platform.tenancy import current_tenant_id

    count_call.calls.append((value, current_tenant_id()))


count_call.calls = []


def fail() -> None:
    raise RuntimeError("this job always fails")
