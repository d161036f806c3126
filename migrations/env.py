"""Alembic environment: runs inside the Flask app (Flask-Migrate).

Migrations connect as the schema owner (`PELVICOACH_MIGRATION_DATABASE_URL`), the web and the
platform processes as roles without DDL rights. After every upgrade on PostgreSQL, row-level
security and those roles' grants are brought in line with the models.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine

from pelvicoach.platform import rls
from pelvicoach.platform.database import compared
from pelvicoach.platform.tenancy import binding_key

config = context.config
# Keep the app's own loggers alive: fileConfig would otherwise disable every existing logger.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
migration_url = current_app.config.get(
    "MIGRATION_DATABASE_URL"
) or target_db.engine.url.render_as_string(hide_password=False)
config.set_main_option("sqlalchemy.url", migration_url.replace("%", "%%"))


def run_migrations_offline() -> None:
    context.configure(url=migration_url, target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", compared)
    engine = create_engine(migration_url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=target_db.metadata, **conf_args
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Data migrations must see every tenant's rows: the owner is under FORCEd
                    # row-level security too.
                    connection.exec_driver_sql("SELECT set_config('app.cross_tenant', 'on', true)")
                context.run_migrations()
                if connection.dialect.name == "postgresql":
                    rls.sync(
                        connection,
                        current_app.config.get("DATABASE_APP_ROLE"),
                        current_app.config.get("DATABASE_PLATFORM_ROLE"),
                        binding_key=binding_key(current_app.config["SECRET_KEY"]),
                    )
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
