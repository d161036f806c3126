"""Jobs that must not be lost survive a Redis outage and then run exactly once."""

from __future__ import annotations

import pyotp
from jobs_fixtures import count_call
from sqlalchemy import select

from pelvicoach.platform import outbox, schedule
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.jobs import redis_connection
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.outbox import OutboxJob
from pelvicoach.platform.tenancy import tenant_context

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def test_a_change_commits_while_redis_is_down_and_its_job_runs_once_later(
    make_app, redis_url, db, make_tenant, make_patient, run_jobs, cli, smtp_server
):
    mailbox, port = smtp_server
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USERNAME": None}
    make_patient(make_tenant("linde"), "sanne@example.nl")
    # Everything that uses Redis points at a closed port: the queue and the rate limiter.
    down = make_app(REDIS_URL=CLOSED_REDIS, RATELIMIT_STORAGE_URI=CLOSED_REDIS, **mail)
    response = down.test_client().post(
        "/t/linde/forgot-password", data={"email": "sanne@example.nl"}
    )
    assert response.status_code == 302  # the request succeeded although Redis is unreachable

    (pending,) = database.session.scalars(select(OutboxJob)).all()
    assert pending.func.endswith(":send_reset_link")
    assert pending.relayed_at is None
    assert pending.done_at is None

    # Redis is back: the relay (platform work) hands the job on; a worker runs it, and the mail
    # job it queues.
    up = make_app(platform=True, REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url, **mail)
    with up.app_context():
        assert outbox.relay() == 1
        assert outbox.relay() == 0  # handed on already
    assert run_jobs(up) == 2
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["To"] == "sanne@example.nl"

    # Running a job again, as a duplicate delivery would, has no second effect.
    database.session.expire_all()
    rows = database.session.scalars(select(OutboxJob)).all()
    assert all(row.done_at is not None for row in rows)
    with up.app_context():
        assert {outbox.run(row.id, row.tenant_id) for row in rows} == {"skipped"}
    assert len(mailbox.messages) == 1
    assert database.session.scalar(select(OutgoingMail.body)) is None  # sent: the link is gone


def test_without_redis_the_job_runs_after_the_request(
    make_app, db, make_tenant, make_patient, smtp_server
):
    mailbox, port = smtp_server
    make_patient(make_tenant("linde"), "sanne@example.nl")
    app = make_app(
        REDIS_URL=None,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USERNAME=None,
        RATELIMIT_STORAGE_URI="memory://",
    )
    app.test_client().post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    assert len(mailbox.messages) == 1
    assert all(database.session.scalars(select(OutboxJob.done_at)).all())


def test_a_rolled_back_change_leaves_no_job(app, db, make_tenant):
    tenant = make_tenant("linde")
    with app.app_context(), tenant_context(tenant.id, database.session):
        outbox.defer(count_call, "x", tenant_id=tenant.id)
        database.session.rollback()
    assert database.session.scalars(select(OutboxJob)).all() == []


def test_jobs_run_in_their_tenants_context(app, platform_app, db, make_tenant, run_jobs):
    count_call.calls.clear()
    tenant = make_tenant("linde")
    with app.app_context(), tenant_context(tenant.id, database.session):
        job = outbox.defer(count_call, "hello", tenant_id=tenant.id, job_id="count-hello")
        database.session.commit()
        assert job.job_id == "count-hello"
    with app.app_context():
        assert outbox.relay() == 0  # the web's role reads no tenant's jobs from outside it
    with platform_app.app_context():
        assert outbox.relay() == 1
    assert run_jobs() == 1
    assert count_call.calls == [("hello", tenant.id)]


def test_periodic_jobs_have_deterministic_ids(app):
    with app.app_context():
        connection = redis_connection()
        first = schedule.tick(connection, now=1_000_000.0)
        assert set(first) == {
            "periodic-outbox-relay-33333",
            "periodic-purge-reset-tokens-277",
            "periodic-purge-sessions-277",
            "periodic-purge-outbox-277",
            "periodic-purge-idempotency-keys-277",
            "periodic-audit-verify-11",
            # registered by the programs layer
            "periodic-reminders-dispatch-16666",
            "periodic-reminders-nudge-277",
            "periodic-purge-enrolment-imports-277",
            "periodic-purge-code-signups-277",
            "periodic-retention-11",
            "periodic-session-partitions-11",
            # and by reporting
            "periodic-purge-report-exports-277",
            "periodic-report-facts-3333",
        }
        assert schedule.tick(connection, now=1_000_010.0) == []  # same slots: nothing new
        assert set(schedule.tick(connection, now=1_000_030.0)) == {
            "periodic-outbox-relay-33334",
            "periodic-reminders-dispatch-16667",
        }


def test_periodic_jobs_run(app, db, make_tenant, run_jobs):
    with app.app_context():
        schedule.tick(redis_connection(), now=2_000_000.0)
    assert run_jobs() == 14  # each of the periodic jobs above, once


def test_failed_jobs_are_visible_to_the_operator(
    app, client, db, make_user, sign_in_staff, run_jobs
):
    from jobs_fixtures import fail
    from rq import Queue

    with app.app_context():
        Queue("low", connection=redis_connection()).enqueue(fail, job_id="doomed-1")
    run_jobs()
    operator = make_user(None, "ops@pelvicoach.nl", "operator")
    sign_in_staff(None, operator)
    page = client.get("/operator/")
    assert "doomed-1" in page.text
    assert "jobs_fixtures.fail" in page.text


def test_demo_mails_land_in_the_operators_mailbox(
    make_app, db, make_tenant, make_patient, make_user
):
    app = make_app(  # the demo is one platform process
        platform=True,
        PELVICOACH_MODE="demo",
        MAIL_SERVER="",
        REDIS_URL=None,
        RATELIMIT_STORAGE_URI="memory://",
    )
    make_patient(make_tenant("linde"), "sanne@example.nl")
    client = app.test_client()
    client.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    operator = make_user(None, "ops@pelvicoach.nl", "operator")
    client.post(
        "/login", data={"email": operator.email, "password": "correct-horse-battery-staple"}
    )
    client.post("/login/verify", data={"code": pyotp.TOTP(operator.totp_secret).now()})
    page = client.get("/operator/mailbox")
    assert "sanne@example.nl" in page.text
    assert "/t/linde/reset-password/" in page.text
    # outside the demo there is no such page
    assert make_app().test_client().get("/operator/mailbox").status_code == 404


def test_a_failing_job_is_retried_then_left_for_the_operator(
    platform_app, db, make_tenant, run_jobs
):
    from jobs_fixtures import fail

    tenant = make_tenant("linde")
    with platform_app.app_context(), tenant_context(tenant.id, database.session):
        job = outbox.defer(fail, tenant_id=tenant.id, job_id="always-fails")
        database.session.commit()
        job_row_id = job.id
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        with platform_app.app_context():
            with tenant_context(tenant.id, database.session):
                # as if the last hand-over was long ago: the relay offers it again
                database.session.get(OutboxJob, job_row_id).relayed_at = None
                database.session.commit()
            outbox.relay()
        run_jobs()
    database.session.expire_all()
    row = database.session.get(OutboxJob, job_row_id)
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert row.done_at is None
    assert row.failed_at is not None
    with platform_app.app_context():
        assert outbox.relay() == 0  # given up on: it waits for a person


def test_without_redis_a_reset_request_is_answered_before_its_mail_goes_out(
    make_app, db, make_tenant, make_patient, serve
):
    """The mail server holds the mail until the test has its answer: had the request waited
    for the mail, it would not have been answered at all."""
    import asyncio
    import socket
    import threading
    import urllib.request

    from aiosmtpd.controller import Controller

    release, received = threading.Event(), []

    class HeldMailbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 30)
            received.append(envelope.rcpt_tos)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(HeldMailbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        make_patient(make_tenant("linde"), "sanne@example.nl")
        app = make_app(
            REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://", MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port, MAIL_USERNAME=None,
        )  # fmt: skip
        base = serve(app)
        request = urllib.request.Request(
            f"{base}/t/linde/forgot-password", data=b"email=sanne%40example.nl", method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200  # the redirect to the sign-in page, followed
        assert received == []  # answered while the mail is still held
        release.set()
        for _ in range(100):
            if received:
                break
            threading.Event().wait(0.1)
        assert received == [["sanne@example.nl"]]
    finally:
        release.set()
        controller.stop()


def test_done_jobs_are_forgotten_after_a_week(platform_app, db, make_tenant):
    from datetime import UTC, datetime, timedelta

    tenant = make_tenant("linde")
    with tenant_context(tenant.id, database.session):
        old = outbox.defer(count_call, "old", tenant_id=tenant.id)
        recent = outbox.defer(count_call, "recent", tenant_id=tenant.id)
        outbox.defer(count_call, "waiting", tenant_id=tenant.id)
        old.done_at = datetime.now(UTC) - timedelta(days=8)
        recent.done_at = datetime.now(UTC) - timedelta(days=1)
        database.session.commit()
    with platform_app.app_context():
        assert outbox.purge() == 1
    left = {row.args[0] for row in database.session.scalars(select(OutboxJob))}
    assert left == {"recent", "waiting"}
