"""Background jobs: rq on Redis when it is configured, in-process otherwise (the demo).

Jobs take ids, never ORM objects, so they mean the same thing in a worker minutes later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask.typing import ResponseReturnValue
from redis import Redis
from rq import Queue, Retry, Worker

from pelvicoach.platform.database import end_transaction
from pelvicoach.platform.extensions import db

QUEUES = ("high", "default", "low")
RETRY_INTERVALS = [10, 60, 300]

log = logging.getLogger(__name__)


def retry_policy() -> Retry:
    """Every job is idempotent, so a failed one is tried again a few times, further apart."""
    return Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)


def redis_connection() -> Redis | None:
    """The app's shared Redis client, or None when jobs run in-process."""
    return current_app.extensions.get("pelvicoach.redis")


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    **kwargs: Any,
) -> Any:
    """Queue `func(*args, **kwargs)`; without Redis run it now, in this process."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    connection = redis_connection()
    if connection is None:
        log.info("running job %s in-process", func.__qualname__)
        return func(*args, **kwargs)
    return Queue(queue, connection=connection).enqueue(
        func,
        *args,
        job_id=job_id,
        retry=retry_policy(),
        **kwargs,
    )


def after_response(func: Callable[..., Any], *args: Any) -> None:
    """Run `func(*args)` once this request's response has been sent, in an app context of its
    own: the visitor never waits for it, and the response's timing tells nothing of it."""
    g.setdefault("after_response", []).append((func, args))


def _schedule_after_response(response: ResponseReturnValue) -> ResponseReturnValue:
    work = g.pop("after_response", None)
    if work:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _run_after_response(app, work))  # type: ignore[union-attr]
    return response


def _run_after_response(app: Flask, work: list[tuple[Callable[..., Any], tuple]]) -> None:
    for func, args in work:
        with app.app_context():
            try:
                func(*args)
            except Exception:  # the response is gone; log it, the next piece still runs
                log.exception("work after the response failed: %s", func.__qualname__)
                end_transaction()  # the connection may be the reason, and dead


def run_worker(app: Flask, *, burst: bool = False, queues: Sequence[str] = QUEUES) -> None:
    """Work the queues, highest first, inside an app context that forked job processes inherit."""
    connection = app.extensions.get("pelvicoach.redis")
    if connection is None:
        raise RuntimeError("PELVICOACH_REDIS_URL is not set: jobs run in-process, no worker needed")
    with app.app_context():
        worked = [Queue(name, connection=connection) for name in queues]
        Worker(worked, connection=connection).work(burst=burst, with_scheduler=True)


def init_app(app: Flask) -> None:
    app.after_request(_schedule_after_response)
    url = app.config.get("REDIS_URL")
    if url:
        app.extensions["pelvicoach.redis"] = Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )


def _dispose_inherited_pool() -> None:
    """A forked job process must not reuse the parent's pooled database connections."""
    if has_app_context():
        db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_inherited_pool)
