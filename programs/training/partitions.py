"""The session log's monthly partitions on PostgreSQL (migration 0027).

The scheduler makes the months ahead every day, so a set never waits on one (a day no month
covers yet lands in the default partition, and moves into its month when that is made). Old
months are detached whole by the owner (`pelvicoach sessions detach`): a detached month is a
table of its own, to archive with pg_dump and drop, while the daily rollups the reports read
(`practice_days`, `practice_weeks`) keep counting it. SQLite keeps one table: nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection

from pelvicoach.platform.extensions import db

PARENT = "exercise_sessions"
BACK = timedelta(days=31)  # last month too: sets logged offline arrive late
AHEAD = timedelta(days=92)  # three months: a scheduler down for weeks costs nothing
LOCK_WAIT = "5s"


@dataclass(frozen=True)
class Partition:
    name: str
    first: date | None  # None: the default partition
    until: date | None  # the day after its last
    rows: int  # the planner's estimate (reltuples), not a count: cheap on a billion rows


def ensure(first: date | None = None, last: date | None = None) -> int:
    """Make the monthly partitions from `first` to `last` that are missing (default: last month
    to three months ahead), through the owner's function (the platform role may call it).
    Returns how many it made; commits."""
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    today = datetime.now(UTC).date()
    made = db.session.scalar(
        select(func.pelvicoach_session_partitions(first or today - BACK, last or today + AHEAD))
    )
    db.session.commit()
    return made


def listed(connection: Connection) -> list[Partition]:
    """The partitions there are, oldest month first, the default last."""
    rows = connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    ).all()
    partitions = []
    for name, bound, estimate in rows:
        if bound == "DEFAULT":
            partitions.append(Partition(name, None, None, max(estimate, 0)))
            continue
        # FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')
        first, until = (date.fromisoformat(part.split("'")[1]) for part in bound.split(" TO "))
        partitions.append(Partition(name, first, until, max(estimate, 0)))
    return sorted(partitions, key=lambda p: (p.first is None, p.first or date.min))


def detach(connection: Connection, before: date) -> list[str]:
    """Detach every month that ended on or before `before`, each in a transaction of its own;
    returns their names. Needs the owner's connection. Each takes the parent's strongest lock
    for a moment: waiting for it longer than LOCK_WAIT would hold up every set logged meanwhile,
    so it gives up instead (run it again when no long report is running)."""
    old = [p.name for p in listed(connection) if p.until is not None and p.until <= before]
    connection.commit()
    connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_WAIT}'")
    for name in old:
        connection.exec_driver_sql(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}"')
        connection.commit()
    return old


@click.group("sessions")
def sessions_group() -> None:
    """The session log's monthly partitions (PostgreSQL)."""


@sessions_group.command("partitions")
@with_appcontext
def partitions_command() -> None:
    """Make the months ahead (the scheduler does so daily) and list the partitions."""
    made = ensure()
    with db.engine.connect() as connection:
        for partition in listed(connection):
            months = (
                f"{partition.first} .. {partition.until - timedelta(days=1)}"
                if partition.first and partition.until
                else "default: any day no month covers"
            )
            click.echo(f"{partition.name}  {months}  ~{partition.rows} sets")
    click.echo(f"made {made} partition(s)")


@sessions_group.command("detach")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Detach the months that ended on or before this day (YYYY-MM-DD).",
)
@with_appcontext
def detach_command(before: datetime) -> None:
    """Detach old months from the session log, as the database owner
    (PELVICOACH_MIGRATION_DATABASE_URL): each becomes a table of its own, to archive with
    pg_dump -t and then drop. The reports keep counting them (their rollups stay)."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    if not url:
        raise click.ClickException("set PELVICOACH_MIGRATION_DATABASE_URL (the owner) to detach")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                raise click.ClickException("only PostgreSQL partitions the session log")
            names = detach(connection, before.date())
    finally:
        engine.dispose()
    for name in names:
        click.echo(f"detached {name}: archive it (pg_dump -t {name}), then DROP TABLE {name}")
    click.echo(f"detached {len(names)} partition(s)")
