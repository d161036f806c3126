"""Three database roles: the web's app role sees one tenant at a time whatever it sets; only the
platform role (and the owner) may work across tenants, and only when they ask to."""

from __future__ import annotations

import re

import pytest
from jobs_fixtures import count_call
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pelvicoach.platform import audit
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.rls import DIRECTORY, all_tables, tenant_tables
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants.services import add_domain

HOSTILE_VALUES = ("on", "true", "1", "yes", "all", "*", "off", "")


@pytest.fixture
def two_tenants(make_tenant, make_patient, make_user, db):
    """Every kind of tenant row: accounts, roles, patients, audit, domains."""
    linde = make_tenant("linde", name="Praktijk De Linde")
    horizon = make_tenant("horizon", name="Zorgverzekeraar Horizon", kind="insurer")
    for tenant, prefix in ((linde, "a"), (horizon, "b")):
        clinician = make_user(tenant, f"{prefix}-fysio@example.nl", "clinician")
        make_patient(tenant, f"{prefix}-patient@example.nl", clinician=clinician)
        with tenant_context(tenant.id, database.session):
            add_domain(tenant, f"coach.{prefix}-example.nl")
            audit.record("test.event", tenant_id=tenant.id)
            database.session.commit()
    return linde, horizon


def _connect(url: str):
    engine = create_engine(url, poolclass=NullPool)
    return engine, engine.connect()


@pytest.fixture
def web_connection(database_url):
    """A raw connection as the web app's role: what SQL injection in a web process would get."""
    engine, connection = _connect(database_url)
    yield connection
    connection.close()
    engine.dispose()


def _settings_the_policies_read(connection) -> set[str]:
    rows = connection.execute(
        text("SELECT coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies")
    ).scalars()
    return {name for row in rows for name in re.findall(r"current_setting\('([^']+)'", row)}


def _rows_of(connection, tenant_id: int) -> dict[str, int]:
    """How many rows of `tenant_id` this connection can read, per table that has any."""
    counts = {}
    for table in tenant_tables(connection):
        counts[table] = connection.execute(
            text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :t'),
            {"t": tenant_id},
        ).scalar()
    counts["tenants"] = connection.execute(
        text("SELECT count(*) FROM tenants WHERE id = :t"), {"t": tenant_id}
    ).scalar()
    counts["user_roles"] = connection.execute(
        text(
            "SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id"
            " WHERE u.tenant_id = :t"
        ),
        {"t": tenant_id},
    ).scalar()
    return {table: count for table, count in counts.items() if count}


def test_the_web_role_reads_no_row_of_another_tenant_whatever_it_sets(
    two_tenants, web_connection, owner_engine
):
    linde, horizon = two_tenants
    with owner_engine.connect() as owner:
        assert len(_rows_of(owner, linde.id)) >= 7  # the owner (superuser here) sees them all
        settings = _settings_the_policies_read(owner)
    assert {"app.tenant_id", "app.cross_tenant"} <= settings
    tried = 0
    for setting in sorted(settings - {"app.tenant_id"}):
        for value in HOSTILE_VALUES:
            for local in (True, False):  # this transaction, or the whole session
                with web_connection.begin():
                    web_connection.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(horizon.id)}
                    )
                    web_connection.execute(
                        text("SELECT set_config(:name, :value, :local)"),
                        {"name": setting, "value": value, "local": local},
                    )
                    assert _rows_of(web_connection, linde.id) == {}, (setting, value, local)
                    assert _rows_of(web_connection, horizon.id)  # it does see its own tenant
                    tried += 1
                with web_connection.begin():
                    web_connection.execute(text("RESET ALL"))
    assert tried >= 2 * len(HOSTILE_VALUES)


@pytest.mark.parametrize(
    "value", ["{linde} OR true", "{linde},{horizon}", "-1", "0", "9999999", " {horizon}"]
)
def test_a_forged_tenant_setting_shows_at_most_one_tenant(two_tenants, web_connection, value):
    linde, horizon = two_tenants
    forged = value.format(linde=linde.id, horizon=horizon.id)
    with web_connection.begin():
        web_connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": forged})
        web_connection.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
        refused = None
        try:
            seen = [bool(_rows_of(web_connection, t.id)) for t in (linde, horizon)]
        except DBAPIError as error:  # not a number: the policies refuse to read anything
            seen, refused = [], str(error)
    assert sum(seen) <= 1
    assert refused is None or "invalid input syntax for type integer" in refused


def test_the_platform_context_of_the_web_role_sees_the_directory_only(two_tenants, web_connection):
    linde, _horizon = two_tenants
    with web_connection.begin():
        web_connection.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
        seen = _rows_of(web_connection, linde.id)
    # The tenant directory (names, slugs, custom domains) routes requests before a tenant is
    # known; no row of a tenant's own data is visible there.
    assert set(seen) == {"tenants", *DIRECTORY}


def test_the_web_role_cannot_become_another_role(
    web_connection, owner_engine, platform_database_url
):
    platform_role = make_url(platform_database_url).username
    for statement in (
        f'SET ROLE "{platform_role}"',
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
    ):
        with web_connection.begin(), pytest.raises(DBAPIError, match="permission denied"):
            web_connection.execute(text(statement))
    with owner_engine.connect() as owner:
        tables = all_tables(owner)
    for table in tables:  # no table of its own to hide a policy-free copy in, nor DDL rights
        with web_connection.begin(), pytest.raises(DBAPIError, match=r"must be owner|permission"):
            web_connection.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))
    with web_connection.begin(), pytest.raises(DBAPIError, match="permission denied"):
        web_connection.execute(text("CREATE TABLE stash (x int)"))


def test_the_web_counts_waiting_jobs_only_through_its_function(two_tenants, web_connection, app):
    from pelvicoach.platform import outbox

    for tenant in two_tenants:
        with tenant_context(tenant.id, database.session):
            outbox.defer(count_call, tenant.slug, tenant_id=tenant.id)
            database.session.commit()
    with web_connection.begin():
        assert web_connection.execute(text("SELECT count(*) FROM outbox_jobs")).scalar() == 0
        assert web_connection.execute(text("SELECT pelvicoach_outbox_backlog()")).scalar() == 2
    with app.app_context():
        assert outbox.backlog() == 2


def test_the_platform_role_crosses_tenants_only_when_it_asks(two_tenants, platform_database_url):
    linde, horizon = two_tenants
    engine, connection = _connect(platform_database_url)
    with connection:
        with connection.begin():
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(horizon.id)}
            )
            assert _rows_of(connection, linde.id) == {}  # as a tenant it is held like any role
        with connection.begin():
            connection.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
            assert len(_rows_of(connection, linde.id)) >= 7
    engine.dispose()


def test_platform_commands_refuse_the_web_role(make_app, db, database_url):
    web = make_app(platform=True, SQLALCHEMY_DATABASE_URI=database_url)
    for command in (["outbox", "relay"], ["audit", "verify"]):
        with web.app_context():  # the commands run in the current app's context
            result = web.test_cli_runner().invoke(args=command)
        assert result.exit_code != 0
        assert "cannot do cross-tenant work" in result.output
        assert "PELVICOACH_PLATFORM_DATABASE_URL" in result.output
