"""Three database roles: the web's app role sees one tenant at a time whatever it sets; only the
platform role (and the owner) may work across tenants, and only when they ask to."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pytest
from jobs_fixtures import count_call
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.rls import DIRECTORY, all_tables, tenant_tables
from pelvicoach.platform.tenancy import bind, binding_key, tenant_context

HOSTILE_VALUES = ("on", "true", "1", "yes", "all", "*", "off", "")


def _connect(url: str):
    engine = create_engine(url, poolclass=NullPool)
    return engine, engine.connect()


@pytest.fixture
def key(database_url) -> bytes:
    """The binding key of the app's secret key (the test session's)."""
    return binding_key(os.environ["PELVICOACH_SECRET_KEY"])


@pytest.fixture
def web_connection(database_url):
    """A raw connection as the web app's role: what SQL injection in a web process would get."""
    engine, connection = _connect(database_url)
    yield connection
    connection.close()
    engine.dispose()


def _settings_the_policies_read(connection) -> set[str]:
    """Every setting named in a policy or in a function a policy calls."""
    texts = connection.execute(
        text(
            "SELECT coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies"
            " UNION ALL SELECT prosrc FROM pg_proc WHERE proname LIKE 'pelvicoach\\_%'"
        )
    ).scalars()
    return {name for row in texts for name in re.findall(r"current_setting\('([^']+)'", row)}


def _set(connection, name: str, value: str, local: bool = True) -> None:
    connection.execute(
        text("SELECT set_config(:name, :value, :local)"),
        {"name": name, "value": value, "local": local},
    )


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


def _forgeries(connection, key, linde, horizon) -> list[str]:
    """What someone without the app's secret key might put in `app.tenant` to be linde."""
    pid = connection.connection.dbapi_connection.info.backend_pid
    other_pid_mac = hmac.new(key, f"{linde.id}:{pid + 1}".encode(), hashlib.sha256).hexdigest()
    wrong_key_mac = hmac.new(b"guess", f"{linde.id}:{pid}".encode(), hashlib.sha256).hexdigest()
    return [
        str(linde.id),
        f"{linde.id}:{'0' * 64}",
        f"{linde.id}:{other_pid_mac}",  # replayed from another connection
        f"{linde.id}:{wrong_key_mac}",
        f"{linde.id}:{other_pid_mac}:{linde.id}",
        f"0{linde.id}:{'0' * 64}",
        f"{'9' * 200}:{'0' * 64}",
        f"{linde.id},{horizon.id}",
        f"{linde.id} OR true",
        "platform",
        "-1",
        "",
    ]


def test_the_web_role_reads_no_row_of_another_tenant_whatever_it_sets(
    two_tenants, web_connection, owner_engine, key
):
    linde, horizon = two_tenants
    with owner_engine.connect() as owner:
        assert len(_rows_of(owner, linde.id)) >= 7  # the owner (superuser here) sees them all
        settings = _settings_the_policies_read(owner)
    assert settings == {"app.tenant", "app.cross_tenant"}
    tried = 0
    # Working for horizon, with every other setting the policies read set to anything...
    for setting in sorted(settings - {"app.tenant"}):
        for value in HOSTILE_VALUES:
            for local in (True, False):  # this transaction, or the whole session
                with web_connection.begin():
                    bind(web_connection, horizon.id, key)
                    _set(web_connection, setting, value, local)
                    assert _rows_of(web_connection, linde.id) == {}, (setting, value, local)
                    assert _rows_of(web_connection, horizon.id)  # it does see its own tenant
                    tried += 1
                with web_connection.begin():
                    web_connection.execute(text("RESET ALL"))
    # ...and naming linde without the key, even with the cross-tenant setting on: unbound, it
    # sees the directory (to route requests), no row of any tenant's data.
    for forged in _forgeries(web_connection, key, linde, horizon):
        with web_connection.begin():
            _set(web_connection, "app.cross_tenant", "on")
            _set(web_connection, "app.tenant", forged)
            for tenant in (linde, horizon):
                assert set(_rows_of(web_connection, tenant.id)) == {"tenants", *DIRECTORY}
            tried += 1
    assert tried > 2 * len(HOSTILE_VALUES)


def test_unbound_the_web_role_sees_the_directory_and_nothing_else(
    two_tenants, web_connection, make_user
):
    make_user(None, "ops@pelvicoach.nl", "operator")  # a platform row
    with web_connection.begin():
        assert web_connection.execute(text("SELECT pelvicoach_tenant()")).scalar() is None
        for table in tenant_tables(web_connection):
            count = web_connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
            assert count == (2 if table in DIRECTORY else 0), table
        assert web_connection.execute(text("SELECT count(*) FROM tenants")).scalar() == 2


def test_the_platform_context_of_the_web_role_sees_the_directory_only(
    two_tenants, web_connection, key
):
    linde, _horizon = two_tenants
    with web_connection.begin():
        bind(web_connection, None, key, cross=True)
        seen = _rows_of(web_connection, linde.id)
    # The tenant directory (names, slugs, custom domains) routes requests before a tenant is
    # known; no row of a tenant's own data is visible there.
    assert set(seen) == {"tenants", *DIRECTORY}


def test_the_web_role_writes_the_tenant_directory_only_as_the_platform(
    two_tenants, web_connection, key
):
    """The operator's console adds and suspends tenants from the web, bound to the platform;
    a tenant's transaction changes its own settings only, never its status, slug or another."""
    _linde, horizon = two_tenants
    with web_connection.begin():
        bind(web_connection, None, key)
        for statement in ("DELETE FROM tenant_domains", "UPDATE tenant_domains SET domain = 'x'"):
            assert web_connection.execute(text(statement)).rowcount == 0, statement
    for tenant_id in (None, horizon.id):  # never: the slug (its addresses), removal
        for statement in (
            "UPDATE tenants SET slug = 'taken-over'",
            "DELETE FROM tenants",
            "DELETE FROM audit_heads",
        ):
            with web_connection.begin():
                bind(web_connection, tenant_id, key)
                with pytest.raises(DBAPIError, match="permission denied"):
                    web_connection.execute(text(statement))
    with web_connection.begin():
        bind(web_connection, horizon.id, key)
        with pytest.raises(DBAPIError, match="by the platform only"):
            web_connection.execute(text("UPDATE tenants SET status = 'suspended'"))
    insert = text("INSERT INTO tenants (slug, name, kind) VALUES ('x', 'X', 'practice')")
    for tenant_id in (horizon.id, "unbound"):
        with web_connection.begin():
            if tenant_id != "unbound":
                bind(web_connection, tenant_id, key)
            with pytest.raises(DBAPIError, match="row-level security"):
                web_connection.execute(insert)
    with web_connection.begin():
        bind(web_connection, horizon.id, key)
        changed = web_connection.execute(text("UPDATE tenants SET brand_color = '#123456'"))
        assert changed.rowcount == 1  # its own settings, and nothing else
    with web_connection.begin():
        bind(web_connection, None, key)  # the operator's console
        added = web_connection.execute(
            text(
                "INSERT INTO tenants (slug, name, kind, status, brand_color, accent_color,"
                " welcome, support_email, support_phone, privacy_url, clinicians_see_all_patients,"
                " time_zone) VALUES ('nieuw', 'Nieuw', 'practice', 'active', '#123456',"
                " '#123456', '{}', '', '', '', false, 'Europe/Amsterdam') RETURNING id"
            )
        ).scalar_one()
        suspended = web_connection.execute(
            text("UPDATE tenants SET status = 'suspended' WHERE id = :id"), {"id": horizon.id}
        )
        assert (added > horizon.id, suspended.rowcount) == (True, 1)


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


def test_the_platform_role_crosses_tenants_only_when_it_asks(
    two_tenants, platform_database_url, key
):
    linde, horizon = two_tenants
    engine, connection = _connect(platform_database_url)
    with connection:
        with connection.begin():
            bind(connection, horizon.id, key)  # working for a tenant, it is held to it
            assert _rows_of(connection, linde.id) == {}
        with connection.begin():
            bind(connection, None, key, cross=True)
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


def test_a_pooled_connection_goes_back_clean(app, db, database_url):
    """What SQL injected into one request might leave in its database session, for the next
    request on the same connection: none of it survives, and temporary objects are refused."""
    from pelvicoach.platform.extensions import db as database

    with app.app_context():
        engine = database.engine
        with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(text("CREATE TEMPORARY VIEW users AS SELECT 1 AS id"))
            connection.rollback()
            connection.execute(text("SELECT set_config('search_path', 'pg_catalog', false)"))
            connection.execute(text("PREPARE planted AS SELECT 1"))
            connection.execute(text("SELECT set_config('app.tenant', 'planted', false)"))
            connection.execute(text("DECLARE planted CURSOR WITH HOLD FOR SELECT 1"))
            connection.execute(text("LISTEN planted"))
            connection.execute(text("SELECT pg_advisory_lock(4242)"))
            connection.commit()
            pid = connection.connection.dbapi_connection.info.backend_pid
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection.info.backend_pid == pid  # the same
            assert connection.execute(text("SHOW search_path")).scalar() == '"$user", public'
            prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements"))
            assert prepared.scalar() == 0
            planted = connection.execute(text("SELECT current_setting('app.tenant', true)"))
            assert not planted.scalar()  # a binding caught here would serve the next request
            assert connection.execute(text("SELECT count(*) FROM pg_cursors")).scalar() == 0
            listening = connection.execute(text("SELECT count(*) FROM pg_listening_channels()"))
            assert listening.scalar() == 0
            locks = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = :pid"),
                {"pid": pid},
            )
            assert locks.scalar() == 0


def test_a_web_role_with_settings_of_its_own_is_not_ready(make_app, db, owner_engine):
    web = make_app()
    with owner_engine.connect() as owner:
        database_name = owner.exec_driver_sql("SELECT current_database()").scalar_one()
        role = make_url(web.config["SQLALCHEMY_DATABASE_URI"]).username
        owner.exec_driver_sql(
            f'ALTER ROLE "{role}" IN DATABASE "{database_name}" SET work_mem = \'8MB\''
        )
        owner.commit()
        try:
            response = make_app().test_client().get("/readyz")
        finally:
            owner.exec_driver_sql(f'ALTER ROLE "{role}" IN DATABASE "{database_name}" RESET ALL')
            owner.commit()
    assert response.status_code == 503
    assert "settings of its own" in response.json["reason"]
