"""Migrations match the models, and run on both PostgreSQL and the demo's SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from pelvicoach.platform.database import compared
from pelvicoach.platform.extensions import db as database

OPTIONS = {"compare_type": True, "include_object": compared}  # as migrations/env.py compares


def test_autogenerate_finds_no_difference_on_a_migrated_postgresql(db):
    assert database.engine.dialect.name == "postgresql"
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=OPTIONS)
        assert compare_metadata(context, database.metadata) == []


def test_migrations_build_the_sqlite_demo_database(make_app, tmp_path):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={},
        MIGRATION_DATABASE_URL=None,
    )
    with app.app_context():
        upgrade()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=OPTIONS)
            assert compare_metadata(context, database.metadata) == []


@pytest.fixture
def database_of_its_own(owner_url: str, database_url: str) -> Iterator[str]:
    """A database owned by a role that is no superuser, as `deploy/postgres/init.sh` makes it;
    yields that owner's URL."""
    server = make_url(owner_url)
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    owner = f"pelvicoach_owner_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    name = f"{server.database}_owned"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone():
            admin.execute(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOBYPASSRLS')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    yield server.set(username=owner, database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_non_superuser_owner_migrates_up_down_and_up_again(make_app, database_of_its_own):
    url = make_url(database_of_its_own)
    web_url = url.set(username=os.environ["PELVICOACH_DATABASE_APP_ROLE"])
    migrating = make_app(
        SQLALCHEMY_DATABASE_URI=web_url.render_as_string(hide_password=False),
        MIGRATION_DATABASE_URL=database_of_its_own,
    )
    with migrating.app_context():
        upgrade()
        downgrade(revision="0002")
        upgrade()
    # The web's role on it: the binding verifies, the role cannot cross tenants, no settings.
    ready = migrating.test_client().get("/readyz")
    assert ready.status_code == 200, ready.json


def test_0031_gives_her_plan_the_bladder_training_her_newest_intake_opened(make_app, tmp_path):
    """Unless her clinician switched it off after that intake."""
    from sqlalchemy import text

    from pelvicoach.programs.demo import seed_demo

    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={},
        MIGRATION_DATABASE_URL=None,
    )
    with app.app_context():
        upgrade(revision="0030")
        seed_demo()
        run = database.session.execute
        newest = {}  # each woman's newest intake: does it open bladder training?
        for her, _done, on in run(
            text("SELECT patient_id, completed_at, bladder_training FROM intakes ORDER BY 2")
        ):
            newest[her] = bool(on)
        trained = [her for (her,) in run(text("SELECT patient_id FROM training_plans"))]
        urge = sorted(her for her in trained if newest.get(her))
        assert len(urge) >= 2
        run(text("UPDATE training_plans SET bladder_training = false"))  # as 0030 kept them
        run(
            text(
                "INSERT INTO plan_changes (tenant_id, patient_id, kind, reason, note, changed_by,"
                " changed_at) SELECT tenant_id, patient_id, 'bladder_off', 'Geen aandrang meer',"
                " '', NULL, '2999-01-01' FROM training_plans WHERE patient_id = :her"
            ),
            {"her": urge[0]},
        )
        database.session.commit()
        upgrade()
        plans = dict(run(text("SELECT patient_id, bladder_training FROM training_plans")).all())
    assert sorted(her for her, on in plans.items() if on) == urge[1:]
