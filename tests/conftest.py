"""Test harness: real PostgreSQL, real Redis, real Chromium.

Each pytest-xdist worker gets a fresh PostgreSQL database (created and migrated at start, dropped
at the end) and its own Redis database index. With PELVICOACH_REQUIRE_SERVICES=1 a missing
service fails the run; without it, the tests that need it are skipped with a one-line reason.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg
import pyotp
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from pelvicoach.platform.tenancy import cross_tenant, tenant_context

pytest_plugins = ("own_postgres",)  # the fixture `own_postgres`: a cluster of a test's own
TENANT_ZONE = ZoneInfo("Europe/Amsterdam")  # a tenant's time zone unless it chose another
REPO = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get(
    "PELVICOACH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_REDIS_URL = os.environ.get("PELVICOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("PELVICOACH_CHROMIUM", "/usr/bin/chromium")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the isolation tests' attempt counts (recorded as properties, so they also arrive
    from pytest-xdist workers)."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "isolation":
                terminalreporter.write_line(f"isolation: {value}")


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    """Argon2 at its lowest cost in tests (production's costs a fifth of a second a hash, and
    the suite signs in thousands of times): the same code, hashes and checks, only cheaper."""
    from argon2 import PasswordHasher

    from pelvicoach.platform import accounts

    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    accounts._dummy_hash.cache_clear()
    yield
    accounts._hasher = production
    accounts._dummy_hash.cache_clear()


def services_required() -> bool:
    return os.environ.get("PELVICOACH_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Fail when services are required, skip otherwise."""
    if services_required():
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # set by pytest-xdist in each worker
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)


APP_ROLE = f"pelvicoach_app_{WORKER}"
PLATFORM_ROLE = f"pelvicoach_platform_{WORKER}"
BASE_URL = "http://pelvicoach.test"  # the base domain the tests configure


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """A fresh database for this worker, migrated by its owner (the test server's superuser).

    The web app connects as `APP_ROLE` and the platform processes (commands, workers, the test
    body) as `PLATFORM_ROLE`: neither a superuser nor BYPASSRLS, data rights only, exactly as in
    production, so row-level security is really in force in every test.
    """
    server = make_url(TEST_DATABASE_URL)
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"pelvicoach_test_{WORKER}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        unavailable(
            f"PostgreSQL at {server.host}:{server.port}: {' '.join(str(exc).split())[:160]}"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        for role in (APP_ROLE, PLATFORM_ROLE):
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(owner_url: str) -> str:
    """The web app role's URL to the migrated test database."""
    app_url = _as_role(owner_url, APP_ROLE)
    os.environ.update(
        PELVICOACH_DATABASE_URL=app_url,
        PELVICOACH_PLATFORM_DATABASE_URL=_as_role(owner_url, PLATFORM_ROLE),
        PELVICOACH_MIGRATION_DATABASE_URL=owner_url,
        PELVICOACH_DATABASE_APP_ROLE=APP_ROLE,
        PELVICOACH_DATABASE_PLATFORM_ROLE=PLATFORM_ROLE,
    )
    from flask_migrate import upgrade

    from pelvicoach.platform.app import create_app
    from pelvicoach.platform.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app_url


@pytest.fixture(scope="session")
def platform_database_url(database_url: str) -> str:
    return os.environ["PELVICOACH_PLATFORM_DATABASE_URL"]


@pytest.fixture(scope="session")
def owner_engine(owner_url: str):
    engine = create_engine(owner_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    parts = urlsplit(TEST_REDIS_URL)
    index = int(parts.path.strip("/") or 15) - WORKER_INDEX
    if index < 0:
        pytest.fail(f"not enough Redis databases below {TEST_REDIS_URL} for worker {WORKER}")
    url = f"redis://{parts.netloc}/{index}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {parts.netloc}: {exc}")
    return url


@pytest.fixture(autouse=True, scope="session")
def _test_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings every app built in the tests starts from (tests may override per app)."""
    os.environ.update(
        PELVICOACH_ENV="test",
        PELVICOACH_SECRET_KEY=SECRET,
        PELVICOACH_INSTANCE_PATH=str(tmp_path_factory.mktemp("instance")),
        PELVICOACH_BASE_DOMAIN="pelvicoach.test",
    )
    os.environ.pop("PELVICOACH_REDIS_URL", None)


class FreshContextClient(FlaskClient):
    """Each request as in production: an empty `contextvars` context and its own app context.
    Otherwise the test's app context (and its cross-tenant view of the data, see `db`) would
    leak into the app under test, and `g` from one request into the next.

    Requests go to the configured base domain (not Werkzeug's `localhost`, which only the demo
    serves), and responses are closed at once, so work after the response runs as it would."""

    def open(self, *args: object, **kwargs: object):
        application = self.application
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", BASE_URL)
        kwargs.setdefault("buffered", True)

        def request() -> object:
            with application.app_context():
                return FlaskClient.open(self, *args, **kwargs)

        return contextvars.Context().run(request)


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database: a web app (the app role), or with `platform=True` one
    for platform work (the platform role). Each one's pool is closed after the test."""
    from pelvicoach.platform.app import create_app
    from pelvicoach.platform.extensions import db

    built: list[Flask] = []

    def build(platform: bool = False, **config: object) -> Flask:
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **config}, platform=platform)
        app.test_client_class = FreshContextClient
        app.test_overrides = config  # for its platform twin, see `platform_twin`
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def platform_twin(make_app: Callable[..., Flask]) -> Callable[[Flask], Flask]:
    """The same app, built for platform work (a worker or a command beside a web process)."""
    twins: dict[int, Flask] = {}

    def twin(app: Flask) -> Flask:
        if app.config["PLATFORM_PROCESS"]:
            return app
        if id(app) not in twins:
            twins[id(app)] = make_app(platform=True, **app.test_overrides)
        return twins[id(app)]

    return twin


@pytest.fixture
def app(make_app: Callable[..., Flask], redis_url: str) -> Flask:
    """The web app, connected as the app role."""
    return make_app(REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url)


@pytest.fixture
def platform_app(app: Flask, platform_twin: Callable[[Flask], Flask]) -> Flask:
    return platform_twin(app)


@pytest.fixture
def db(platform_app: Flask, owner_engine) -> Iterator[object]:
    """The database inside a platform app's context: the test itself sees every tenant's rows
    (requests and commands run without that, see `FreshContextClient`); the owner empties it
    afterwards."""
    from pelvicoach.platform.extensions import db as database

    with (
        platform_app.app_context(),
        cross_tenant(database.session, "test setup and assertions"),
    ):
        yield database
        database.session.remove()
    tables = ", ".join(f'"{t.name}"' for t in database.metadata.sorted_tables)
    with owner_engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def _flush_redis(request: pytest.FixtureRequest) -> Iterator[None]:
    """Rate-limit counters and queues must not leak from one test into the next."""
    if "redis_url" not in request.fixturenames:
        yield
        return
    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield
    client.flushdb()
    client.close()


@pytest.fixture
def client(app: Flask, db: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli(platform_app: Flask, db: object) -> Callable[..., object]:
    """Invoke a `pelvicoach` command as the shell would: fresh context, no tenant, platform
    role."""
    runner = platform_app.test_cli_runner()

    def invoke(*args: str) -> object:
        return contextvars.Context().run(runner.invoke, args=list(args))

    return invoke


@pytest.fixture
def count_queries(app: Flask, db: object) -> Callable[[], object]:
    """`with count_queries() as counter:` ... `counter.count` SQL statements the web app sent."""
    from pelvicoach.platform.extensions import db as database

    with app.app_context():
        engine = database.engine

    class Counter:
        def __init__(self) -> None:
            self.count = 0
            self.statements: list[str] = []

    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


def her_today() -> date:
    """Today as the app counts it, in the tenant's time zone: after 23:00 UTC in winter it is
    already tomorrow in Amsterdam, where `date.today()` on a UTC server is not."""
    return datetime.now(TENANT_ZONE).date()


# --- factories ----------------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_tenant(db: object) -> Callable[..., object]:
    from pelvicoach.tenants.services import create_tenant

    def make(slug: str = "linde", **kwargs: object) -> object:
        defaults = {"name": f"Praktijk {slug.title()}", "kind": "practice"}
        tenant = create_tenant(slug=slug, **{**defaults, **kwargs})
        db.session.commit()
        return tenant

    return make


@pytest.fixture
def make_user(db: object) -> Callable[..., object]:
    from pelvicoach.platform.accounts import create_user

    def make(tenant: object | None, email: str, *roles: str, password: str = PASSWORD) -> object:
        """Staff (and operators) get two-step verification switched on, as they must have."""
        tenant_id = tenant.id if tenant is not None else None
        roles = roles or ("patient",)
        with tenant_context(tenant_id, db.session):
            user = create_user(
                tenant_id=tenant_id,
                email=email,
                name=email.split("@")[0].title() + " Test",
                roles=roles,
                password=password,
            )
            if set(roles) - {"patient"}:
                user.totp_secret = pyotp.random_base32()
            db.session.commit()
        return user

    return make


@pytest.fixture
def make_patient(db: object, make_user: Callable[..., object]) -> Callable[..., object]:
    from pelvicoach.programs.enrolment.models import Patient

    def make(tenant: object, email: str, phase: str = "awareness", clinician=None) -> object:
        user = make_user(tenant, email, "patient")
        with tenant_context(tenant.id, db.session):
            patient = Patient(
                tenant_id=tenant.id,
                user_id=user.id,
                pseudonym=f"PT{user.id:07d}",
                birth_year=1993,
                phase=phase,
                clinician_id=clinician.id if clinician else None,
            )
            db.session.add(patient)
            db.session.commit()
        return patient

    return make


@pytest.fixture
def two_tenants(make_tenant, make_patient, make_user, db) -> tuple[object, object]:
    """Linde and Horizon with a row in every kind of tenant table: accounts, roles, patients,
    a custom domain, audit events."""
    from pelvicoach.platform import audit
    from pelvicoach.tenants.services import add_domain

    linde = make_tenant("linde", name="Praktijk De Linde")
    horizon = make_tenant("horizon", name="Zorgverzekeraar Horizon", kind="insurer")
    for tenant, prefix in ((linde, "a"), (horizon, "b")):
        clinician = make_user(tenant, f"{prefix}-fysio@example.nl", "clinician")
        make_patient(tenant, f"{prefix}-patient@example.nl", clinician=clinician)
        with tenant_context(tenant.id, db.session):
            add_domain(tenant, f"coach.{prefix}-example.nl")
            audit.record("test.event", tenant_id=tenant.id)
            db.session.commit()
    return linde, horizon


@pytest.fixture
def key_for(db: object) -> Callable[..., str]:
    """A tenant API key with these scopes; returns the full key."""
    from pelvicoach.platform import api_keys

    def make(tenant: object, *scopes: str) -> str:
        with tenant_context(tenant.id, db.session):
            _key, secret = api_keys.create(
                tenant.id, "test", list(scopes) or ["reports:read"], None
            )
            db.session.commit()
        return secret

    return make


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[..., object]:
    """Post the login form (the password step only)."""

    def post(tenant_slug: str, email: str, password: str = PASSWORD):
        return client.post(f"/t/{tenant_slug}/login", data={"email": email, "password": password})

    return post


@pytest.fixture
def sign_in_staff(client: FlaskClient, sign_in: Callable[..., object]) -> Callable[..., object]:
    """Password and authenticator code, as a member of staff signs in."""

    def both_steps(tenant_slug: str | None, user: object, password: str = PASSWORD):
        prefix = f"/t/{tenant_slug}" if tenant_slug else ""
        first = client.post(f"{prefix}/login", data={"email": user.email, "password": password})
        assert first.headers["Location"] == f"{prefix}/login/verify", first.text
        code = pyotp.TOTP(user.totp_secret).now()
        return client.post(f"{prefix}/login/verify", data={"code": code})

    return both_steps


# --- live server and browser ------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """`serve(app)` runs the app on 127.0.0.1 on a free port, in threads, until the test ends;
    returns its base URL. The address is its base domain (only configured hosts are served)."""
    servers = []

    def start(app: Flask) -> str:
        app.config["BASE_DOMAIN"] = "127.0.0.1"
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask, db: object, serve: Callable[[Flask], str]) -> str:
    """The app served for the browser and for parallel requests; its base URL."""
    return serve(app)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--disable-quic",
        ],
    }


# --- jobs and mail ------------------------------------------------------------------------------


@pytest.fixture
def run_jobs(app: Flask, platform_twin: Callable[[Flask], Flask]) -> Callable[..., int]:
    """Work every queued rq job in this process, as a worker beside `app` (or the app given)
    would, with the platform role; returns how many succeeded."""
    from rq import Queue, SimpleWorker
    from rq.registry import FinishedJobRegistry
    from rq.timeouts import TimerDeathPenalty

    class Worker(SimpleWorker):
        """In this process and in any thread of it (`background_worker`): no signals."""

        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self) -> None:
            pass

    from pelvicoach.platform.jobs import QUEUES, redis_connection

    def work(worker_app: Flask | None = None) -> int:
        def burst() -> int:
            with platform_twin(worker_app or app).app_context():
                connection = redis_connection()
                queues = [Queue(name, connection=connection) for name in QUEUES]
                finished = [FinishedJobRegistry(queue=queue) for queue in queues]
                before = sum(registry.count for registry in finished)
                Worker(queues, connection=connection).work(burst=True)
                return sum(registry.count for registry in finished) - before

        return contextvars.Context().run(burst)

    return work


@pytest.fixture
def background_worker(
    app: Flask, platform_twin: Callable[[Flask], Flask], run_jobs: Callable[..., int]
) -> Iterator[None]:
    """A worker and the scheduler's outbox relay beside the live server for the whole test, as
    in production: queued jobs are done within a moment, while the browser watches. (The relay
    matters here: werkzeug's development server may run a response's close callbacks, which
    relay a request's jobs, only when the browser lets go of the connection.)"""
    from pelvicoach.platform import outbox

    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                with platform_twin(app).app_context():
                    outbox.relay()
                run_jobs()
            except Exception:  # a broken round must not stop the rounds after it
                logging.getLogger(__name__).exception("background worker round failed")
            stop.wait(0.2)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(make_app: Callable[..., Flask], redis_url: str, smtp_server) -> Flask:
    mailbox, port = smtp_server
    app = make_app(
        REDIS_URL=redis_url,
        RATELIMIT_STORAGE_URI=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
        MAIL_SENDER="Pelvicoach <no-reply@pelvicoach.test>",
    )
    app.mailbox = mailbox
    return app


# --- images -----------------------------------------------------------------------------------


@pytest.fixture
def png() -> Callable[..., bytes]:
    """A real PNG of the given size (optionally with a text chunk, as metadata to strip)."""
    import io

    from PIL import Image, PngImagePlugin

    def make(width: int = 64, height: int = 64, *, comment: str | None = None) -> bytes:
        image = Image.new("RGB", (width, height), (31, 107, 69))
        info = PngImagePlugin.PngInfo()
        if comment:
            info.add_text("Comment", comment)
        out = io.BytesIO()
        image.save(out, format="PNG", pnginfo=info)
        return out.getvalue()

    return make
