"""The operator brings a tenant on board: the tenant, then an invitation to its first admin.

Both are written in the operator's one transaction: the tenant in the platform's context, the
invitation in the new tenant's own (row-level security holds for the operator as for anyone),
and the audit trail gets an event in each chain.
"""

from __future__ import annotations

from collections.abc import Callable

from pelvicoach.platform import audit
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants.models import Tenant
from pelvicoach.tenants.services import create_tenant
from pelvicoach.tenants.staff import services as staff
from pelvicoach.tenants.staff.models import StaffInvitation


def invite_admin(
    tenant: Tenant, *, name: str, email: str, link: Callable[[str], str], locale: str
) -> StaffInvitation:
    """An admin invitation at `tenant`, sent from outside it (StaffError as for any invite)."""
    with tenant_context(tenant.id, db.session):
        invitation = staff.invite(
            tenant.id,
            tenant.kind,
            email=email,
            name=name,
            details=staff.Details(roles=frozenset({Role.ADMIN})),
            invited_by=None,
            link=link,
            site_name=tenant.name,
            locale=locale,
        )
        audit.record(
            "staff.invited",
            object_type="staff_invitation",
            object_id=str(invitation.id),
            detail={
                "after": {"email": invitation.email, "roles": invitation.roles},
                "by": "operator",
            },
        )
    return invitation


def onboard(
    *,
    slug: str,
    name: str,
    kind: str,
    admin_name: str,
    admin_email: str,
    link: Callable[[str], str],
    locale: str,
) -> Tenant:
    """TenantError or StaffError before anything is kept (the caller rolls back and commits)."""
    tenant = create_tenant(slug=slug, name=name, kind=kind)
    db.session.flush()
    audit.record(
        "tenant.created",
        tenant_id=None,
        object_type="tenant",
        object_id=str(tenant.id),
        detail={"after": {"slug": tenant.slug, "name": tenant.name, "kind": tenant.kind}},
    )
    invite_admin(tenant, name=admin_name, email=admin_email, link=link, locale=locale)
    return tenant
