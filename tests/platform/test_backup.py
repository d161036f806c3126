"""A backup is only as good as its restore: `pg_dump` of the live database (custom format, by
the owner), `pg_restore` into a new database, and everything is back: every row, the policies,
triggers and functions of row-level security and the rollups, the grants, the migration head;
and the web's role sees one tenant at a time there, bound as a request binds it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pelvicoach.platform.tenancy import bind, binding_key
from pelvicoach.reporting import facts

# What a restore must bring back besides the rows, read from the catalogue.
CATALOGUE = {
    "tables": "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    "policies": "SELECT tablename, policyname, roles::text, qual FROM pg_policies ORDER BY 1, 2",
    "forced": "SELECT relname FROM pg_class WHERE relforcerowsecurity ORDER BY 1",
    "triggers": "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
    " WHERE NOT tgisinternal ORDER BY 1, 2",
    "functions": "SELECT proname, prosecdef FROM pg_proc"
    " WHERE proname LIKE 'pelvicoach%' ORDER BY 1",
    "grants": "SELECT table_name, grantee, privilege_type FROM information_schema.table_privileges"
    " WHERE grantee LIKE 'pelvicoach%' ORDER BY 1, 2, 3",
    "head": "SELECT version_num FROM alembic_version",
}


def dsn(url: str, database_name: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database_name:
        parsed = parsed.set(database=database_name)
    return parsed.render_as_string(hide_password=False)


def described(conninfo: str) -> dict[str, list]:
    with psycopg.connect(conninfo) as connection:
        found = {name: connection.execute(sql).fetchall() for name, sql in CATALOGUE.items()}
        found["rows"] = [
            (table, connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for (table,) in found["tables"]
        ]
    return found


@pytest.fixture
def restored_name(owner_url: str) -> Iterator[str]:
    name = f"{make_url(owner_url).database}_restored"
    with psycopg.connect(dsn(owner_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(dsn(owner_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restores_every_row_policy_and_trigger(
    owner_url, database_url, db, platform_app, make_tenant, make_patient, restored_name, tmp_path
):
    linde, horizon = make_tenant("linde"), make_tenant("horizon")
    ours = {make_patient(linde, f"vrouw{n}@linde.nl").id for n in range(3)}
    make_patient(horizon, "iris@horizon.nl")
    facts.refresh_all()
    backup = tmp_path / "pelvicoach.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(backup), "--dbname", dsn(owner_url)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["pg_restore", "--exit-on-error", "--dbname", dsn(owner_url, restored_name), str(backup)],
        check=True,
        capture_output=True,
    )
    before, after = described(dsn(owner_url)), described(dsn(owner_url, restored_name))
    assert after == before
    assert dict(after["rows"])["report_facts"] == 4
    assert after["policies"]
    assert after["triggers"]

    # The web's role on the restored copy: one tenant at a time, as before, its binding still
    # verified against the restored key (what every request does at its first statement)
    web = create_engine(make_url(database_url).set(database=restored_name))
    try:
        with web.begin() as connection:
            bind(connection, linde.id, binding_key(platform_app.config["SECRET_KEY"]))
            assert connection.scalar(text("SELECT pelvicoach_tenant()")) == linde.id
            assert set(connection.scalars(text("SELECT id FROM patients"))) == ours
            assert set(connection.scalars(text("SELECT patient_id FROM report_facts"))) == ours
        with web.begin() as connection:  # unbound: nothing at all
            assert connection.scalar(text("SELECT count(*) FROM patients")) == 0
    finally:
        web.dispose()
