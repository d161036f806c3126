"""The reports read from a streaming replica when there is one (PELVICOACH_REPORTING_DATABASE_URL),
so their long GROUP BYs leave the primary to the portal.

The facts are refreshed on the primary, the only server that takes writes, and committed; the
replica then serves the report once it has replayed that commit (its WAL position), waiting at
most REPORTING_REPLICA_WAIT seconds. A replica further behind than that, or not answering,
leaves the report to the primary, as without a replica: the figures are never older than the
facts just refreshed. Row-level security holds there too: the replica is a copy of the primary,
policies, binding key and all, and its transaction is bound to the tenant as every other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session

from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import bind_current

log = logging.getLogger(__name__)
BIND = "reporting"
POLL = 0.05  # seconds between looks at how far the replica has replayed
REPLAYED = text(
    "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn),"
    " coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)"
)


def _engine() -> Engine | None:
    return db.engines.get(BIND) if BIND in current_app.config.get("SQLALCHEMY_BINDS", {}) else None


@contextmanager
def reading(session: Session | scoped_session) -> Iterator[Connection]:
    """The connection a report counts on: the replica's once it has what `session` wrote,
    else the session's own."""
    engine = _engine()
    replica = None
    if engine is not None:
        session.commit()  # the facts just refreshed, for the replica to replay
        position = session.scalar(select(func.pg_current_wal_lsn()))
        replica = _caught_up(engine, position, current_app.config["REPORTING_REPLICA_WAIT"])
    if replica is None:
        yield session.connection()
        return
    try:
        yield replica
    finally:
        replica.rollback()
        replica.close()


def _caught_up(engine: Engine, position: str, wait: float) -> Connection | None:
    """A connection to the replica in a transaction bound to the current tenant, once it has
    replayed up to `position`; None when it has not within `wait` seconds or cannot answer."""
    deadline = time.monotonic() + wait
    try:
        connection = engine.connect()
    except OperationalError as exc:
        log.warning("reporting replica unavailable, the primary reports: %s", exc.orig)
        return None
    try:
        connection.begin()
        bind_current(connection)
        while True:
            replayed, behind = connection.execute(REPLAYED, {"position": position}).one()
            if replayed:
                log.info("report read from the replica (last replayed %.1f s ago)", behind)
                return connection
            if time.monotonic() >= deadline:
                log.warning(
                    "reporting replica still behind after %.1f s (last replayed %.1f s ago):"
                    " the primary reports",
                    wait,
                    behind,
                )
                break
            time.sleep(POLL)
    except OperationalError as exc:
        log.warning("reporting replica failed, the primary reports: %s", exc.orig)
    connection.close()
    return None
