"""Commands to create tenants and users from the shell (first admin, operator accounts)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from pelvicoach.platform import audit, passwords
from pelvicoach.platform.accounts import Role, create_user
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants.models import TenantKind
from pelvicoach.tenants.services import TenantError, create_tenant, get_by_slug


@click.command("create-tenant")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. 'horizon'.")
@click.option("--name", required=True, help="Name shown to patients and staff.")
@click.option("--kind", type=click.Choice([k.value for k in TenantKind]), required=True)
@click.option("--brand-color", default="#0b5fa5", show_default=True, help="#rrggbb")
@with_appcontext
def create_tenant_command(slug: str, name: str, kind: str, brand_color: str) -> None:
    """Create a tenant (an insurer or a practice)."""
    try:
        tenant = create_tenant(slug=slug, name=name, kind=kind, brand_color=brand_color)
    except TenantError as exc:
        raise click.BadParameter(str(exc)) from None
    db.session.flush()
    audit.record(
        "tenant.created",
        tenant_id=None,
        object_type="tenant",
        object_id=str(tenant.id),
        detail={"slug": tenant.slug, "kind": tenant.kind, "via": "cli"},
    )
    db.session.commit()
    click.echo(f"created tenant {tenant.slug} (id {tenant.id})")


@click.command("create-user")
@click.option("--tenant", "slug", help="Tenant slug; leave out for the platform operator.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles.",
)
@click.password_option(help="Prompted for when left out.")
@with_appcontext
def create_user_command(
    slug: str | None, email: str, name: str, roles: tuple[str, ...], password: str
) -> None:
    """Create a user account at a tenant, or the platform operator."""
    tenant_id = None
    if slug:
        tenant = get_by_slug(slug)
        if tenant is None:
            raise click.BadParameter(f"no tenant {slug!r}", param_hint="--tenant")
        tenant_id = tenant.id
    staff = set(roles) - {Role.PATIENT, Role.OPERATOR}
    problems = passwords.problems(
        password, staff=bool(staff) or Role.OPERATOR in roles, email=email
    )
    if problems:
        raise click.BadParameter(" ".join(problems), param_hint="--password")
    with tenant_context(tenant_id, db.session):
        try:
            user = create_user(
                tenant_id=tenant_id, email=email, name=name, roles=roles, password=password
            )
            db.session.flush()
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        audit.record(
            "user.created",
            object_type="user",
            object_id=str(user.id),
            detail={"roles": sorted(roles), "via": "cli"},
        )
        db.session.commit()
        click.echo(f"created user {user.email} (id {user.id}) with roles {', '.join(roles)}")
