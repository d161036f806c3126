"""The jobs' Redis down, a Redis of the test's own (the suite's stays up): the portal keeps
working (sign-in, her pages), a job asked for meanwhile waits in the outbox in PostgreSQL, and
when Redis is back it runs once: never lost, never twice."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from http_helpers import free_port
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from pelvicoach.platform import outbox
from pelvicoach.platform.extensions import db as database

PASSWORD = "correct-horse-battery-staple"  # the conftest's users


@pytest.fixture
def own_redis(tmp_path) -> Iterator[SimpleNamespace]:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    running: list[subprocess.Popen] = []

    def start() -> None:
        running.append(
            subprocess.Popen(
                [
                    "redis-server",
                    *("--port", str(port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for _ in range(200):
            try:
                Redis.from_url(url, socket_timeout=1).ping()
                return
            except RedisError:
                time.sleep(0.05)
        pytest.fail("the test's Redis did not start")

    def stop() -> None:
        server = running.pop()
        server.terminate()
        server.wait(timeout=10)

    start()
    yield SimpleNamespace(url=url, start=start, stop=stop)
    for server in running:
        server.terminate()
        server.wait(timeout=10)


def test_the_portal_works_without_redis_and_jobs_run_once_after(
    own_redis,
    make_app,
    platform_twin,
    run_jobs,
    smtp_server,
    make_tenant,
    make_patient,
    db,
    redis_url,
):
    mailbox, port = smtp_server
    # Jobs on the Redis that goes down; rate limits on the suite's: the limiter is one object
    # per process, and pointed at a stopped Redis it would leave the rest of this worker's tests
    # counting in memory.
    app = make_app(
        REDIS_URL=own_redis.url,
        RATELIMIT_STORAGE_URI=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
    )
    linde = make_tenant("linde")
    make_patient(linde, "lotte@example.nl", phase="training")
    client = app.test_client()
    own_redis.stop()

    # Her portal, with Redis gone: sign-in (rate-limited in memory), her pages
    signed = client.post("/t/linde/login", data={"email": "lotte@example.nl", "password": PASSWORD})
    assert signed.status_code == 302, signed.text
    home = client.get("/t/linde/", follow_redirects=True)
    assert home.status_code == 200
    assert home.request.path.startswith("/t/linde/")
    assert "login" not in home.request.path  # still signed in: sessions live in PostgreSQL
    # A job asked for meanwhile (a reset link for another woman): the page answers, the job
    # waits in the outbox
    other = app.test_client()
    asked = other.post("/t/linde/forgot-password", data={"email": "lotte@example.nl"})
    assert asked.status_code == 302
    waiting = (
        select(func.count())
        .select_from(outbox.OutboxJob)
        .where(outbox.OutboxJob.relayed_at.is_(None))
    )
    database.session.expire_all()
    assert database.session.scalar(waiting) == 1
    with platform_twin(app).app_context():
        assert outbox.relay() == 0  # Redis still down: handed on later, not lost
    database.session.expire_all()
    assert database.session.scalar(waiting) == 1
    assert mailbox.messages == []

    # Redis back: the job is handed on and runs, once
    own_redis.start()
    with platform_twin(app).app_context():
        assert outbox.relay() == 1
        assert outbox.relay() == 0
    assert run_jobs(app) == 2  # the reset job, then the mail it wrote
    with platform_twin(app).app_context():
        assert outbox.relay() == 0
    assert run_jobs(app) == 0
    database.session.expire_all()
    assert database.session.scalar(waiting) == 0
    (message,) = mailbox.messages
    assert message["To"] == "lotte@example.nl"
