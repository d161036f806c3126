"""Migrations match the models, and run on both PostgreSQL and the demo's SQLite."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from pelvicoach.platform.extensions import db as database


def test_autogenerate_finds_no_difference_on_a_migrated_postgresql(db):
    assert database.engine.dialect.name == "postgresql"
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, database.metadata) == []
