"""How the app holds its database connections: pooled, and handed back clean.

A pooled connection serves one request after another, of different tenants. Whatever a request
left in its database session (settings, prepared statements, cursors; SQL injected into it
might plant them to catch the next request's signed tenant binding) is wiped when the
connection goes back to the pool, and psycopg prepares no statements of its own that a planted
one could stand in for. Temporary objects are refused to the roles altogether (`rls.sync`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from pelvicoach.platform.extensions import db

# The monthly partitions of a partitioned table (and its default one), made by the database and
# named by `pelvicoach_session_partitions` (migration 0027): no model describes them.
PARTITION = re.compile(r".+_(y\d{4}m\d{2}|default)")


def compared(_object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object`: compare the models with their tables, not with the tables'
    partitions (and so not with the indexes PostgreSQL made on them)."""
    if type_ == "table" and reflected and compare_to is None and name:
        return not PARTITION.fullmatch(name)
    return True


def engine_options(database_url: str) -> dict[str, Any]:
    """Pool settings that suit each backend: for servers, connections recycled, not pinged.
    Statement parameters (signed tenant bindings among them) stay out of error messages.

    No ping before each checkout (a round trip on every request): a connection the server has
    cut fails its request's first statement, which answers 503 with Retry-After
    (`errors.handle_database_unavailable`), and SQLAlchemy then replaces every connection of
    the pool older than that error, so one request of a process meets a restart, not each
    (tests/platform/test_database_restart.py)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return {"hide_parameters": True}
    return {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_recycle": 1800,
        "hide_parameters": True,
        # A server that does not answer fails a request in seconds (a 503), not at the
        # operating system's TCP timeout.
        "connect_args": {"prepare_threshold": None, "connect_timeout": 5},
    }


# DISCARD ALL, as PostgreSQL spells it out, but for its DISCARD PLANS: the plans the server keeps
# are of statements that are wiped here, and of the owner's functions, which no one can plant.
# Dropping those made the tenant check that every policy calls plan its statements again at each
# request's first call (about 0.2 ms a request: tests/perf/bench_pages.py).
RESET_SESSION = (
    "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *;"
    " SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES"
)


def _discard_session_state(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    if reset_state.terminate_only:
        return
    dbapi_connection.rollback()
    dbapi_connection.autocommit = True  # as one statement, not a transaction left open
    try:
        dbapi_connection.execute(RESET_SESSION)
    finally:
        dbapi_connection.autocommit = False


def end_transaction(_error: BaseException | None = None) -> None:
    """Roll back what the request began; with the database gone there is nothing to roll back
    on, and the answer must not fail for it. Also the app context's last teardown: a server
    that cut the connection after the response was made (a restart) must not turn it into a
    500 when the session is closed."""
    try:
        db.session.rollback()
    except Exception:  # the connection is dead: let it go without a word to the server
        db.session().invalidate()


def init_app(app: Flask) -> None:
    # After Flask-SQLAlchemy's own teardown was registered, so it runs before it.
    app.teardown_appcontext(end_transaction)
    with app.app_context():
        engines: list[Engine] = list(db.engines.values())  # the primary, and a replica
    for engine in engines:
        if engine.dialect.name == "postgresql":
            event.listen(engine, "reset", _discard_session_state)
