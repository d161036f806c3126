"""PostgreSQL row-level security: isolation layer 2, so a forgotten filter still returns nothing.

Every table with a `tenant_id` column gets ENABLE and FORCE ROW LEVEL SECURITY and a policy
comparing `tenant_id` with the per-transaction setting `app.tenant_id` (written by
`pelvicoach.platform.tenancy` at transaction begin). No tenant set means no tenant rows; rows
without a tenant (the platform operator's account, platform audit events) are visible only when
no tenant is set.

Three database roles: the owner runs migrations; the app role serves the web; the platform role
does cross-tenant work (outbox relay, scheduler, audit verification, seeding). Only the owner and
the platform role have a policy that honours `app.cross_tenant = 'on'`: the app role may set it,
or any other setting, and still sees one tenant at a time. The web's one cross-tenant need (the
operator's job backlog) goes through an owner-defined function that returns a count.

This runs after every `db upgrade`, so a table added by a later migration is covered without
anyone remembering to write its policy; a test checks that every such table is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"
PLATFORM_POLICY = "platform_work"
CURRENT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
CROSS = "current_setting('app.cross_tenant', true) = 'on'"
# The tenant directory: readable without a tenant (the platform context), because a request's
# tenant is found by its slug or custom domain before it is known. Writes stay tenant-bound.
DIRECTORY = frozenset({"tenant_domains"})
# Tables without a tenant_id of their own that belong to a row of a tenant table.
CHILD_TABLES = {"user_roles": ("users", "user_id")}
# Append-only: the app may add and read audit rows, never change or remove them.
APPEND_ONLY = frozenset({"audit_events"})
# Functions the app may call: owner-defined, each returning only what its caller needs.
FUNCTION_PREFIX = "pelvicoach_"


def tenant_tables(connection: Connection) -> dict[str, bool]:
    """Each table in the database with a tenant_id column, and whether it may be NULL. Read from
    the catalogue, not the models: after a partial upgrade some models have no table yet."""
    rows = connection.execute(
        text(
            "SELECT c.table_name, c.is_nullable = 'YES' FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'"
            " AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
        )
    )
    return dict(rows.all())


def all_tables(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    )
    return list(rows.scalars())


def _own_rows(nullable: bool) -> str:
    own = f"tenant_id = {CURRENT}"
    if nullable:
        own = f"({own} OR (tenant_id IS NULL AND {CURRENT} IS NULL))"
    return own


def sync(connection: Connection, app_role: str | None, platform_role: str | None = None) -> None:
    """Apply policies (and the roles' grants) to every table there is; safe to repeat.

    The connection's own role (the owner) and `platform_role` get the cross-tenant policy."""
    if app_role is not None and app_role == platform_role:
        raise ValueError("the app role must not be the platform role")
    owner = connection.exec_driver_sql("SELECT current_user").scalar_one()
    quote = connection.dialect.identifier_preparer.quote
    platform = ", ".join(quote(role) for role in dict.fromkeys([owner, platform_role]) if role)
    run = connection.exec_driver_sql
    existing = set(all_tables(connection))
    for table, nullable in tenant_tables(connection).items():
        own = _own_rows(nullable)
        readable = f"{own} OR {CURRENT} IS NULL" if table in DIRECTORY else own
        _policy(run, table, f"USING ({readable}) WITH CHECK ({own})")
        run(f'DROP POLICY IF EXISTS public_read ON "{table}"')  # before 0003: a public read
        _platform_policy(run, table, platform)
    for table, (parent, column) in CHILD_TABLES.items():
        if table in existing:
            # The parent's own policy applies inside the subquery: only its visible rows count.
            owned = f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = "{table}".{column})'  # noqa: S608
            _policy(run, table, f"USING ({owned}) WITH CHECK ({owned})")
    if "tenants" in existing:
        # A tenant sees its own row; the platform context (no tenant) sees the directory and
        # creates tenants; nobody sees another tenant's row from inside a tenant.
        visible = f"id = {CURRENT} OR {CURRENT} IS NULL"
        _policy(run, "tenants", f"FOR SELECT USING ({visible})")
        _policy(run, "tenants", f"FOR INSERT WITH CHECK ({CURRENT} IS NULL)", "platform_insert")
        _policy(run, "tenants", f"FOR UPDATE USING ({visible})", "own_update")
        _platform_policy(run, "tenants", platform)
    for role in (app_role, platform_role):
        if role:
            _grant(connection, role)


def _policy(run: Callable[[str], object], table: str, clause: str, name: str = POLICY) -> None:
    run(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    run(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    run(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    run(f'CREATE POLICY {name} ON "{table}" {clause}')


def _platform_policy(run: Callable[[str], object], table: str, roles: str) -> None:
    """Cross-tenant work, for the owner and the platform role only, when they ask for it."""
    _policy(run, table, f"TO {roles} USING ({CROSS}) WITH CHECK ({CROSS})", PLATFORM_POLICY)


def platform_functions(connection: Connection) -> Iterable[str]:
    """The owner-defined functions the roles may call, with their argument types."""
    rows = connection.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname LIKE :prefix"
        ),
        {"prefix": f"{FUNCTION_PREFIX}%"},
    )
    return list(rows.scalars())


def _grant(connection: Connection, role: str) -> None:
    """Data access only, no DDL, no TRUNCATE, audit rows append-only."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    run = connection.exec_driver_sql
    run(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    for table in all_tables(connection):
        run(f'REVOKE ALL ON "{table}" FROM {quoted}')
        if table == "alembic_version":
            rights = "SELECT"
        elif table == "tenants":
            rights = "SELECT, INSERT, UPDATE"  # tenants are never deleted by the app
        elif table in APPEND_ONLY:
            rights = "SELECT, INSERT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        run(f'GRANT {rights} ON "{table}" TO {quoted}')
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    for function in platform_functions(connection):
        run(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        run(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}")


def may_cross_tenants(connection: Connection) -> bool:
    """Whether this connection's role can do cross-tenant work: a superuser, BYPASSRLS, or a
    role named in the platform policy. SQLite has no row-level security at all."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(
        connection.execute(
            text(
                "SELECT r.rolsuper OR r.rolbypassrls OR EXISTS ("
                "  SELECT 1 FROM pg_policies p WHERE p.schemaname = current_schema()"
                "  AND p.policyname = :policy AND current_user = ANY(p.roles))"
                " FROM pg_roles r WHERE r.rolname = current_user"
            ),
            {"policy": PLATFORM_POLICY},
        ).scalar()
    )
