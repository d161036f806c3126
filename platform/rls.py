"""PostgreSQL row-level security: isolation layer 2, so a forgotten filter still returns nothing.

Every table with a `tenant_id` column gets ENABLE and FORCE ROW LEVEL SECURITY and a policy
comparing `tenant_id` with the transaction's tenant, as the owner-defined function
`pelvicoach_tenant()` reads it: the tenant's id, 0 for the platform, or NULL when the setting
`app.tenant` is missing or its MAC does not verify (`pelvicoach.platform.tenancy.bind` signs it
at transaction begin with a key derived from the app's secret key; `db upgrade` stores that
key where only the owner can read it). So a role cannot name another tenant by a setting: SQL
injected into a web request can read the request's own tenant at most. Rows without a tenant
(the operator's account, platform audit events) are visible in the platform context only; the
tenant directory (`tenants`, `tenant_domains`: names, slugs and domains, to route requests)
also before a transaction names its tenant.

Three database roles: the owner runs migrations; the app role serves the web; the platform role
does cross-tenant work (outbox relay, scheduler, audit verification, seeding) and alone writes
the tenant directory. Only the owner and the platform role have a policy that honours
`app.cross_tenant = 'on'`. The web's one cross-tenant read (the operator's job backlog) goes
through an owner-defined function that returns a count. The operator's console adds tenants and
suspends them from the web: the app role writes the directory only in a transaction bound to the
platform (which a tenant's request can never name), and a trigger keeps a tenant from changing
its own status.

This runs after every `db upgrade`, so a table added by a later migration is covered without
anyone remembering to write its policy; a test checks that every such table is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"
PLATFORM_POLICY = "platform_work"
# The transaction's tenant: an id, 0 for the platform, NULL when unbound (once per query).
CURRENT = "(SELECT pelvicoach_tenant())"
PLATFORM = f"{CURRENT} = 0"
# The directory is also readable unbound: a request reads it to find its tenant, and binds after.
NO_TENANT = f"coalesce({CURRENT}, 0) = 0"
CROSS = "current_setting('app.cross_tenant', true) = 'on'"
# The tenant directory: readable in the platform context, because a request's tenant is found
# by its slug or custom domain before it is known. Writes stay tenant-bound.
DIRECTORY = frozenset({"tenant_domains"})
# Tables without a tenant_id of their own that belong to a row of a tenant table.
CHILD_TABLES = {"user_roles": ("users", "user_id")}
# Append-only: the app may add and read audit rows, never change or remove them; a chain's
# head moves forward but is never removed.
# Published program versions are never changed either: a change is a new version.
APPEND_ONLY = frozenset({"audit_events", "program_versions"})
# Shared, tenant-less caches that only platform processes (the job workers) fill.
PLATFORM_WRITES = frozenset({"audio_clips"})
NO_DELETE = frozenset({"audit_heads", "tenants"})
# Owner-defined functions the roles may call, each returning only what its caller needs.
FUNCTIONS = ("pelvicoach_tenant()", "pelvicoach_outbox_backlog()", "pelvicoach_outbox_lag()")
# And those only the platform role may call: making the session log's monthly partitions.
PLATFORM_FUNCTIONS = ("pelvicoach_session_partitions(date, date)",)
# What a tenant may change of its own directory row: its settings, not its slug or status.
TENANT_SETTINGS = (
    "name",
    "brand_color",
    "accent_color",
    "logo_digest",
    "favicon_digest",
    "welcome",
    "support_email",
    "support_phone",
    "privacy_url",
    "clinicians_see_all_patients",
    "time_zone",
    "retention_months",
    "report_min_group",
)
# What the operator's console (the app role, bound to the platform) changes besides.
OPERATOR_SETTINGS = ("status",)


# A tenant's status (suspended or not) changes in the platform's context only.
STATUS_GUARD = f"""
CREATE OR REPLACE FUNCTION pelvicoach_private.tenant_status_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND coalesce({CURRENT}, -1) <> 0 AND NOT {CROSS} THEN
    RAISE EXCEPTION 'a tenant''s status is changed by the platform only'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""


# A partition is reached through its partitioned table, whose policies and grants apply; the
# roles get none on the partition itself, so no one reads one past those policies.
NOT_A_PARTITION = (
    "NOT EXISTS (SELECT 1 FROM pg_class p JOIN pg_namespace n ON n.oid = p.relnamespace"
    " WHERE p.relname = t.table_name AND n.nspname = t.table_schema AND p.relispartition)"
)


def tenant_tables(connection: Connection) -> dict[str, bool]:
    """Each table in the database with a tenant_id column, and whether it may be NULL. Read from
    the catalogue, not the models: after a partial upgrade some models have no table yet."""
    rows = connection.execute(
        text(
            "SELECT c.table_name, c.is_nullable = 'YES' FROM information_schema.columns c"  # noqa: S608 (constants)
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'"
            f" AND t.table_type = 'BASE TABLE' AND {NOT_A_PARTITION} ORDER BY c.table_name"
        )
    )
    return dict(rows.all())


def all_tables(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT table_name FROM information_schema.tables t"  # noqa: S608 (constants)
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            f" AND {NOT_A_PARTITION} ORDER BY table_name"
        )
    )
    return list(rows.scalars())


def _own_rows(nullable: bool) -> str:
    own = f"tenant_id = {CURRENT}"
    if nullable:
        own = f"({own} OR (tenant_id IS NULL AND {PLATFORM}))"
    return own


def sync(
    connection: Connection,
    app_role: str | None,
    platform_role: str | None = None,
    *,
    binding_key: bytes,
) -> None:
    """Apply policies, the roles' grants and the binding key to every table there is; safe to
    repeat. The connection's own role (the owner) and `platform_role` get the cross-tenant
    policy and write the tenant directory."""
    if app_role is not None and app_role == platform_role:
        raise ValueError("the app role must not be the platform role")
    if connection.scalar(text("SELECT to_regprocedure('pelvicoach_tenant()')")) is None:
        return  # a schema from before 0003 (downgraded): its own policies stay as they are
    _store_binding_key(connection, binding_key)
    owner = connection.exec_driver_sql("SELECT current_user").scalar_one()
    quote = connection.dialect.identifier_preparer.quote
    platform = ", ".join(quote(role) for role in dict.fromkeys([owner, platform_role]) if role)
    run = connection.exec_driver_sql
    existing = set(all_tables(connection))
    for table, nullable in tenant_tables(connection).items():
        own = _own_rows(nullable)
        _policy(run, table, f"USING ({own}) WITH CHECK ({own})")
        run(f'DROP POLICY IF EXISTS public_read ON "{table}"')  # before 0003: a public read
        run(f'DROP POLICY IF EXISTS directory_read ON "{table}"')
        if table in DIRECTORY:
            run(f'CREATE POLICY directory_read ON "{table}" FOR SELECT USING ({NO_TENANT})')
        _platform_policy(run, table, platform)
    for table, (parent, column) in CHILD_TABLES.items():
        if table in existing:
            # The parent's own policy applies inside the subquery: only its visible rows count.
            owned = f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = "{table}".{column})'  # noqa: S608
            _policy(run, table, f"USING ({owned}) WITH CHECK ({owned})")
    if "tenants" in existing:
        # A tenant sees and changes its own row; the platform context sees the directory; only
        # the platform role and the owner create tenants or change another's.
        own = f"id = {CURRENT}"
        run('DROP POLICY IF EXISTS platform_insert ON "tenants"')  # before 0003
        _policy(run, "tenants", f"FOR SELECT USING ({own} OR {NO_TENANT})")
        _policy(run, "tenants", f"FOR UPDATE USING ({own}) WITH CHECK ({own})", "own_update")
        directory_writers = ", ".join(
            dict.fromkeys([platform, *([quote(app_role)] if app_role else [])])
        )
        _policy(
            run,
            "tenants",
            f"TO {directory_writers} USING ({PLATFORM}) WITH CHECK ({PLATFORM})",
            "platform_directory",
        )
        _platform_policy(run, "tenants", platform)
        run(STATUS_GUARD)
        run('DROP TRIGGER IF EXISTS status_by_platform ON "tenants"')
        run(
            'CREATE TRIGGER status_by_platform BEFORE UPDATE OF status ON "tenants"'
            " FOR EACH ROW EXECUTE FUNCTION pelvicoach_private.tenant_status_guard()"
        )
    # No temporary objects for anyone: a temporary table or view of the same name would shadow
    # a real one for the next request on the same pooled connection.
    database = quote(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    for grantee in ("PUBLIC", *(quote(role) for role in (app_role, platform_role) if role)):
        run(f"REVOKE TEMPORARY ON DATABASE {database} FROM {grantee}")
    if app_role:
        _grant(connection, app_role, writes_directory=False)
    if platform_role:
        _grant(connection, platform_role, writes_directory=True)


def _store_binding_key(connection: Connection, key: bytes) -> None:
    """HMAC-SHA256's inner and outer keys, so the check in SQL needs only sha256(). The schema
    `pelvicoach_private` is the owner's alone."""
    padded = key.ljust(64, b"\0")
    connection.execute(
        text(
            "INSERT INTO pelvicoach_private.binding_key (id, inner_key, outer_key)"
            " VALUES (1, :inner, :outer) ON CONFLICT (id) DO UPDATE"
            " SET inner_key = excluded.inner_key, outer_key = excluded.outer_key"
        ),
        {
            "inner": bytes(b ^ 0x36 for b in padded),
            "outer": bytes(b ^ 0x5C for b in padded),
        },
    )


def _policy(run: Callable[[str], object], table: str, clause: str, name: str = POLICY) -> None:
    run(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    run(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    run(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    run(f'CREATE POLICY {name} ON "{table}" {clause}')


def _platform_policy(run: Callable[[str], object], table: str, roles: str) -> None:
    """Cross-tenant work, for the owner and the platform role only, when they ask for it."""
    _policy(run, table, f"TO {roles} USING ({CROSS}) WITH CHECK ({CROSS})", PLATFORM_POLICY)


def _grant(connection: Connection, role: str, *, writes_directory: bool) -> None:
    """Data access only, no DDL, no TRUNCATE, audit rows append-only."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    run = connection.exec_driver_sql
    run(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    for table in all_tables(connection):
        run(f'REVOKE ALL ON "{table}" FROM {quoted}')
        if table == "alembic_version":
            rights = "SELECT"
        elif table == "tenants" and not writes_directory:
            rights = f"SELECT, INSERT, UPDATE ({', '.join(TENANT_SETTINGS + OPERATOR_SETTINGS)})"
        elif table in PLATFORM_WRITES:
            rights = "SELECT, INSERT, DELETE" if writes_directory else "SELECT"
        elif table in APPEND_ONLY:
            rights = "SELECT, INSERT"
        elif table in NO_DELETE:
            rights = "SELECT, INSERT, UPDATE"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        run(f'GRANT {rights} ON "{table}" TO {quoted}')
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    for function in FUNCTIONS:
        run(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        run(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}")
    for function in PLATFORM_FUNCTIONS:
        run(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC, {quoted}")
        if writes_directory:
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
