"""The `pelvicoach` command: Flask's CLI with this app, plus the platform's own commands.

Packages add their commands to `app.cli` in their `init_app`; Flask-Migrate adds `db`.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from pelvicoach.platform.config import ConfigError, load_settings
from pelvicoach.platform.jobs import QUEUES


def _create_app():
    from pelvicoach.platform.app import create_app

    return create_app(platform=True)


cli = FlaskGroup(
    name="pelvicoach",
    create_app=_create_app,
    add_version_option=False,
    help="Pelvicoach: run, migrate and administer the platform.",
)


def require_platform_role() -> None:
    """Cross-tenant work needs the platform database role; the web's role would quietly see
    one tenant at a time (or none) and leave the others' jobs waiting."""
    from pelvicoach.platform.extensions import db
    from pelvicoach.platform.rls import may_cross_tenants

    with db.engine.connect() as connection:
        if not may_cross_tenants(connection):
            user = connection.exec_driver_sql("SELECT current_user").scalar_one()
            raise click.ClickException(
                f"the database role {user} cannot do cross-tenant work: set"
                " PELVICOACH_PLATFORM_DATABASE_URL to the platform role (see the README)"
            )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(QUEUES),
    help="Work only this queue (again for more); all of them by default, highest first.",
)
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Work the rq queues (high, default, low), or those named: workers per queue scale apart."""
    from pelvicoach.platform.jobs import run_worker

    require_platform_role()
    try:
        run_worker(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            burst=burst,
            queues=[name for name in QUEUES if name in queues] or list(QUEUES),
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Queue the periodic jobs (run one or more; each run is queued once)."""
    from pelvicoach.platform import schedule
    from pelvicoach.platform.jobs import redis_connection

    connection = redis_connection()
    if connection is None:
        raise click.ClickException("PELVICOACH_REDIS_URL is not set: no scheduler needed")
    require_platform_role()
    schedule.run_forever(connection)


@click.group("outbox")
def outbox_group() -> None:
    """Jobs that wait to be handed to the workers."""


@outbox_group.command("relay")
@with_appcontext
def outbox_relay_command() -> None:
    """Hand every waiting job on now (the scheduler also does this every 30 s)."""
    from pelvicoach.platform import outbox

    require_platform_role()
    click.echo(f"relayed {outbox.relay(limit=100_000)} job(s)")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check every tenant's hash chain; exit 1 when a row was altered or removed."""
    from pelvicoach.platform import audit
    from pelvicoach.platform.extensions import db

    require_platform_role()
    problems = list(audit.verify())
    audit.record("audit.verified", detail={"problems": len(problems)}, tenant_id=None)
    db.session.commit()
    for problem in problems:
        tenant = "platform" if problem.tenant_id is None else f"tenant {problem.tenant_id}"
        click.echo(f"{tenant}, row {problem.seq}: {problem.message}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("audit trail intact")


@click.command("rotate-totp-keys")
@with_appcontext
def rotate_totp_keys_command() -> None:
    """Re-encrypt every authenticator secret with the first of PELVICOACH_TOTP_KEYS (run after
    putting a new key in front; the old one can go once this has finished)."""
    from pelvicoach.platform.accounts import rotate_totp_secrets
    from pelvicoach.platform.audit import record
    from pelvicoach.platform.extensions import db

    require_platform_role()
    count = rotate_totp_secrets()
    record("totp_keys.rotated", detail={"secrets": count}, tenant_id=None)
    db.session.commit()
    click.echo(f"re-encrypted {count} authenticator secret(s) with the newest key")


COMMANDS = (
    worker_command,
    scheduler_command,
    outbox_group,
    audit_group,
    rotate_totp_keys_command,
)


def main() -> None:
    """Console entry point: a bad setting ends with one line naming the variable, before any
    command (or `--help`) tries to build the app."""
    try:
        load_settings()
    except ConfigError as exc:
        click.echo(f"pelvicoach: configuration error: {exc}", err=True)
        sys.exit(2)
    cli.main(prog_name="pelvicoach")


if __name__ == "__main__":
    main()
