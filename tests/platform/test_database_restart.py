"""PostgreSQL restarted under load, on a cluster of the test's own (initdb as the postgres user;
the suite's server stays up): while it is down every request fails fast with a 503 and
Retry-After, never a 500; within seconds of it coming back requests succeed again; and no
acknowledged write is lost (every enrolment answered 201 is in the database)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from http_helpers import free_port
from own_postgres import migrated
from sqlalchemy import select, text

from pelvicoach.platform import api_keys
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.services import create_tenant

THREADS = 4
LOAD_SECONDS = 8.0
RESTART_AT = 2.0
PACE = 0.25  # seconds between one client's requests: 16 a second in all, under the API's limits


def test_requests_fail_fast_while_postgresql_restarts_and_no_write_is_lost(
    own_postgres, make_app, serve, redis_url
):
    # The rate limiter is one object per process: it keeps the suite's storage and limits (the
    # clients stay under them), so later tests in this worker find it as it was.
    web_settings = {"REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    roles = migrated(own_postgres, make_app, **web_settings)
    platform = make_app(
        platform=True, SQLALCHEMY_DATABASE_URI=own_postgres.url(roles[1]), **web_settings
    )
    with platform.app_context():
        tenant = create_tenant(slug="linde", name="Praktijk Linde", kind="practice")
        database.session.commit()
        with tenant_context(tenant.id, database.session):
            _key, secret = api_keys.create(tenant.id, "load", ["enrolments:write"], None)
            database.session.commit()
        tenant_id = tenant.id
        database.engine.dispose()
    web = make_app(SQLALCHEMY_DATABASE_URI=own_postgres.url(roles[0]), **web_settings)
    base = serve(web)

    answers: list[tuple[float, float, int, str]] = []  # (sent, answered, status, her id)
    started = time.monotonic()
    lock = threading.Lock()

    def load(worker: int) -> None:
        number = 0
        while time.monotonic() - started < LOAD_SECONDS:
            number += 1
            body = (
                f'{{"email": "w{worker}-{number}@example.nl", "name": "Vrouw {worker}",'
                ' "birth_year": 1993}'
            ).encode()
            request = urllib.request.Request(
                f"{base}/t/linde/api/v1/enrolments",
                data=body,
                headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
            )
            sent = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status, text = answer.status, answer.read().decode()
            except urllib.error.HTTPError as error:
                status, text = error.code, error.read().decode()
            with lock:
                answers.append((sent, time.monotonic(), status, text))
            time.sleep(PACE)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(RESTART_AT)
    down = time.monotonic()
    own_postgres.restart()
    up = time.monotonic()
    for thread in threads:
        thread.join()

    statuses = [status for _sent, _done, status, _text in answers]
    unexpected = [text[:300] for _sent, _done, status, text in answers if status not in (201, 503)]
    assert not unexpected, unexpected
    failed = [(sent, done) for sent, done, status, _text in answers if status == 503]
    assert failed, "no request met the restart"
    assert max(done - sent for sent, done in failed) < 2.0  # fast, not a hung connection
    recovered = [done for sent, done, status, _text in answers if status == 201 and sent > down]
    assert recovered, "nothing succeeded after the restart"
    assert min(recovered) - up < 5.0
    acknowledged = {
        json.loads(text)["pseudonym"] for _sent, _done, status, text in answers if status == 201
    }
    with platform.app_context(), tenant_context(tenant_id, database.session):
        stored = set(database.session.scalars(select(Patient.pseudonym)))
    assert acknowledged <= stored
    assert len(acknowledged) == statuses.count(201)  # each answer its own woman


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/t/linde/login", "text/html"), ("/t/linde/api/v1/enrolments", "application/problem+json")],
)
def test_no_database_at_all_is_a_quick_503(make_app, path, kind):
    """Nothing listens where the database should be: the page, or the API's problem details,
    says so at once, with Retry-After; the process stays up for when it returns."""
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    )
    started = time.monotonic()
    answer = app.test_client().get(path)
    assert answer.status_code == 503
    assert answer.mimetype == kind
    assert answer.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5


def test_a_connection_cut_after_the_answer_was_made_does_not_turn_it_into_a_500(
    app, db, owner_engine
):
    """The server ends the connection between the response and the session's closing rollback
    (a restart at that moment): the answer stands, and the dead connection is let go."""

    @app.after_request
    def cut_the_connection(response):
        pid = database.session.scalar(text("SELECT pg_backend_pid()"))
        with owner_engine.connect() as owner:
            owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return response

    assert app.test_client().get("/healthz").status_code == 200
    with app.app_context():  # and the pool hands out a live connection next
        assert database.session.scalar(text("SELECT 1")) == 1
