"""The `pelvicoach` command: Flask's CLI with this app, plus the platform's own commands.

Packages add their commands to `app.cli` in their `init_app`; Flask-Migrate adds `db`.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from pelvicoach.platform.config import ConfigError


def _create_app():
    from pelvicoach.platform.app import create_app

    return create_app()


cli = FlaskGroup(
    name="pelvicoach",
    create_app=_create_app,
    add_version_option=False,
    help="Pelvicoach: run, migrate and administer the platform.",
)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Work the rq queues (high, default, low)."""
    from pelvicoach.platform.jobs import run_worker

    try:
        run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    """Console entry point: a bad setting ends with one line naming the variable."""
    try:
        cli.main(prog_name="pelvicoach")
    except ConfigError as exc:
        click.echo(f"pelvicoach: configuration error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
