"""PostgreSQL row-level security: isolation layer 2, so a forgotten filter still returns nothing.

Every table with a `tenant_id` column gets ENABLE and FORCE ROW LEVEL SECURITY and one policy
comparing `tenant_id` with the per-transaction setting `app.tenant_id` (written by
`pelvicoach.platform.tenancy` at transaction begin). No tenant set means no tenant rows; rows
without a tenant (the platform operator's account, platform audit events) are visible only when
no tenant is set. `app.cross_tenant = 'on'` is the explicit, audited cross-tenant path.

This runs after every `db upgrade`, so a table added by a later migration is covered without
anyone remembering to write its policy; a test checks that every such table is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"
CURRENT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
CROSS = "current_setting('app.cross_tenant', true) = 'on'"
# Routing data that must be readable before a tenant is known; writes stay tenant-bound.
PUBLIC_READ = frozenset({"tenant_domains"})
# Tables without a tenant_id of their own that belong to a row of a tenant table.
CHILD_TABLES = {"user_roles": ("users", "user_id")}
# Append-only: the app may add and read audit rows, never change or remove them.
APPEND_ONLY = frozenset({"audit_events"})


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


def _predicate(nullable: bool) -> str:
    own = f"tenant_id = {CURRENT}"
    if nullable:
        own = f"({own} OR (tenant_id IS NULL AND {CURRENT} IS NULL))"
    return f"{own} OR {CROSS}"


def sync(connection: Connection, app_role: str | None) -> None:
    """Apply policies (and the app role's grants) to every table there is; safe to repeat."""
    run = connection.exec_driver_sql
    existing = set(all_tables(connection))
    for table, nullable in tenant_tables(connection).items():
        predicate = _predicate(nullable)
        _policy(run, table, f"USING ({predicate}) WITH CHECK ({predicate})")
        run(f'DROP POLICY IF EXISTS public_read ON "{table}"')
        if table in PUBLIC_READ:
            run(f'CREATE POLICY public_read ON "{table}" FOR SELECT USING (true)')
    for table, (parent, column) in CHILD_TABLES.items():
        if table in existing:
            # The parent's own policy applies inside the subquery: only its visible rows count.
            owned = f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = "{table}".{column})'  # noqa: S608
            _policy(run, table, f"USING ({owned}) WITH CHECK ({owned})")
    if "tenants" in existing:
        # Anyone may read a tenant (resolution happens before one is known); only the platform
        # creates one; a tenant changes only itself.
        platform = f"{CURRENT} IS NULL OR {CROSS}"
        _policy(run, "tenants", "FOR SELECT USING (true)")
        _policy(run, "tenants", f"FOR INSERT WITH CHECK ({platform})", "platform_insert")
        _policy(run, "tenants", f"FOR UPDATE USING (id = {CURRENT} OR {platform})", "own_update")
    if app_role:
        _grant(connection, app_role)


def _policy(run: Callable[[str], object], table: str, clause: str, name: str = POLICY) -> None:
    run(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    run(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    run(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    run(f'CREATE POLICY {name} ON "{table}" {clause}')


def _grant(connection: Connection, role: str) -> None:
    """The app role: data access only, no DDL, no TRUNCATE, audit rows append-only."""
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
