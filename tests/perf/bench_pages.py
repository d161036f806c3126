"""Benchmark: the pages people use most, under load, on a million women, against a bare route.

    apt-get install wrk   # the load generator (C, so it is not the bottleneck)
    .venv/bin/python tests/perf/bench_pages.py [--tenants 100] [--patients 10000] [--seconds 20]
        [--rounds 3] [--reuse] [--keep] [--label after] [--write]

Needs PostgreSQL as the test suite does (the server's superuser, trust auth on 127.0.0.1) and
Redis. What it does:
1. A database `pc_bench_pages`, migrated by the owner, filled by `pelvicoach seed --tenants 100
   --patients 10000` (per tenant: a million women with their histories, as the platform role);
   `--reuse` measures a kept one again (`--keep`), migrated to the code at hand.
2. The app on gunicorn as deployed (deploy/gunicorn.conf.py, 4 workers x 2 threads, production
   settings behind one proxy hop, the web's database role: row-level security in force). 64
   women in training and 16 clinicians (an authenticator each) of 16 tenants sign in through the
   pages, each from an address of her own (X-Forwarded-For).
3. wrk, 16 connections for `--seconds` each (after a few seconds' warm-up), cycling through those
   people: her home page; logging a set (the form's POST, a new set each time); the clinician's
   caseload. Then the bare route (tests/perf/bare_app.py: Flask, one primary-key SELECT, the
   same gunicorn settings, on a patient row). Then the three pages again with row-level security
   switched off on every table (and on again after), for what it costs. `--rounds N` does
   all of it N times and reports the medians, each page's ratio taken against the bare route of
   its own round, and row-level security off measured first in every second round: a single
   20-second run on two cores varies by a sixth from one to the next.
Prints requests per second, the ratio to the bare route, p50 and p95 latency, errors (any answer
but 2xx/3xx) and wrk's CPU; `--write` adds the rows to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import redis

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("BENCH_SERVER", "postgres@127.0.0.1:5432")
ADMIN_URL = f"postgresql://{SERVER}/postgres"
DATABASE = "pc_bench_pages"
OWNER_URL = f"postgresql://{SERVER}/{DATABASE}"
APP_ROLE, PLATFORM_ROLE = "pelvicoach_bench_app", "pelvicoach_bench_platform"
HOST = SERVER.split("@", 1)[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
PASSWORD = "bench-pages-password-2026"
BASE_DOMAIN = "pelvicoach.bench"  # each tenant at <slug>.pelvicoach.bench, as in production
TOTP = "PELVICOACHBENCHSTAFFTWOFACTORKEY"
TENANTS_SIGNED_IN, WOMEN_EACH = 16, 4
CONNECTIONS, WORKERS, THREADS = 16, 4, 2
WARM_UP = 3  # seconds of load before each measurement
TARGET_RATIO, TARGET_P95_MS, TARGET_RLS = 0.5, 50.0, 0.15
PAGES = ("patient home", "log a set (POST)", "clinician caseload")


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def environment() -> dict[str, str]:
    def url(role: str) -> str:
        return f"postgresql+psycopg://{role}@{HOST}/{DATABASE}"

    return {
        **os.environ,
        "PELVICOACH_ENV": "production",
        "PELVICOACH_SECRET_KEY": "bench-" + "x" * 40,
        "PELVICOACH_TOTP_KEYS": base64.urlsafe_b64encode(
            b"pelvicoach bench pages key 32 b."
        ).decode(),
        "PELVICOACH_DATABASE_URL": url(APP_ROLE),
        "PELVICOACH_PLATFORM_DATABASE_URL": url(PLATFORM_ROLE),
        "PELVICOACH_MIGRATION_DATABASE_URL": f"postgresql+psycopg://{SERVER}/{DATABASE}",
        "PELVICOACH_DATABASE_APP_ROLE": APP_ROLE,
        "PELVICOACH_DATABASE_PLATFORM_ROLE": PLATFORM_ROLE,
        "PELVICOACH_REDIS_URL": REDIS_URL,
        "PELVICOACH_PROXY_HOPS": "1",
        "PELVICOACH_BASE_DOMAIN": BASE_DOMAIN,
        "PELVICOACH_MAIL_SERVER": "127.0.0.1",
        "PELVICOACH_MAIL_PORT": "9",  # nothing listens: mails wait in the outbox
        "PELVICOACH_LOG_LEVEL": "WARNING",
    }


def pelvicoach(*args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/pelvicoach"), *args],
        env=environment(),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        sys.exit(f"pelvicoach {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr


# --- 1. the data --------------------------------------------------------------------------


def prepare(tenants: int, patients: int, reuse: bool) -> dict[str, Any]:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if reuse and exists.fetchone():
            log("reusing the kept database")
            pelvicoach("db", "upgrade")
            return {"seed_seconds": None}
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        for role in (APP_ROLE, PLATFORM_ROLE):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
    pelvicoach("db", "upgrade")
    log(f"seeding {tenants} tenants x {patients:,} women (pelvicoach seed --jobs {os.cpu_count()})")
    started = time.monotonic()
    out = pelvicoach(
        "seed",
        *("--tenants", str(tenants), "--patients", str(patients)),
        *("--patient-password", PASSWORD, "--staff-password", PASSWORD),
        *("--jobs", str(os.cpu_count() or 1)),
    )
    seconds = time.monotonic() - started
    log(out.strip().splitlines()[-1])
    log("VACUUM ANALYZE")
    with psycopg.connect(OWNER_URL, autocommit=True) as owner:
        owner.execute("VACUUM ANALYZE")
    return {"seed_seconds": seconds}


def sizes() -> dict[str, int]:
    with psycopg.connect(OWNER_URL) as owner:
        owner.execute("SELECT set_config('app.cross_tenant', 'on', false)")

        def count(table: str) -> int:
            return owner.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        return {
            "tenants": count("tenants"),
            "women": count("patients"),
            "sets": count("exercise_sessions"),
            "diary entries": count("bladder_diary_entries"),
            "check-ins": count("reassessments"),
            "bytes": owner.execute("SELECT pg_database_size(current_database())").fetchone()[0],
        }


def people() -> tuple[list[tuple[str, str]], list[tuple[str, str, int]], list[int]]:
    """Women in training (slug, email), a clinician per tenant (slug, email, id), and patient
    ids for the bare route, from the first tenants."""
    with psycopg.connect(OWNER_URL) as owner:
        owner.execute("SELECT set_config('app.cross_tenant', 'on', false)")
        tenants = owner.execute(
            "SELECT id, slug FROM tenants WHERE slug LIKE 'synthetic-%%' ORDER BY id LIMIT %s",
            (TENANTS_SIGNED_IN,),
        ).fetchall()
        women, clinicians = [], []
        for tenant_id, slug in tenants:
            emails = owner.execute(
                "SELECT u.email FROM patients p JOIN users u ON u.id = p.user_id"
                " JOIN training_plans t ON t.patient_id = p.id"
                " WHERE p.tenant_id = %s AND p.phase = 'training' AND p.stopped_at IS NULL"
                " ORDER BY p.id LIMIT %s",
                (tenant_id, WOMEN_EACH),
            ).fetchall()
            women += [(slug, email) for (email,) in emails]
            email, user_id = owner.execute(
                "SELECT u.email, u.id FROM users u JOIN user_roles r ON r.user_id = u.id"
                " WHERE u.tenant_id = %s AND r.role = 'clinician' ORDER BY u.id LIMIT 1",
                (tenant_id,),
            ).fetchone()
            clinicians.append((slug, email, user_id))
        ids = [row[0] for row in owner.execute("SELECT id FROM patients ORDER BY id LIMIT 5000")]
    return women, clinicians, ids


def give_authenticators(user_ids: list[int]) -> None:
    """The clinicians' authenticator secret, sealed as the app seals it."""
    script = (
        "from pelvicoach.platform.app import create_app\n"
        "from pelvicoach.platform.accounts import User\n"
        "from pelvicoach.platform.extensions import db\n"
        "from pelvicoach.platform.tenancy import cross_tenant\n"
        "app = create_app(platform=True)\n"
        "with app.app_context(), cross_tenant(db.session, 'bench: authenticators'):\n"
        f"    for user in db.session.scalars(db.select(User).where(User.id.in_({user_ids!r}))):\n"
        f"        user.totp_secret = {TOTP!r}\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], env=environment(), check=True, cwd=ROOT, capture_output=True
    )


# --- 2. the servers and signing in ----------------------------------------------------------


def serve(
    app: str, port: int, errors: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen:
    """gunicorn on `port`, its error log (warnings and tracebacks) written to `errors`."""
    with errors.open("w") as error_log:  # gunicorn keeps its own handle on the file
        process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                *("--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"),
                *("--workers", str(WORKERS), "--threads", str(THREADS)),
                app,
            ],
            cwd=ROOT,
            env={**environment(), "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(), **(extra or {})},
            stdout=subprocess.DEVNULL,
            stderr=error_log,
        )
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz" if "bare" not in app else "/bare/0")
            connection.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None:
                sys.exit(errors.read_text()[-3000:])
            time.sleep(0.1)
    sys.exit(f"{app} did not start")


class Browser:
    """One person's client: her own address, her cookies (Secure ones too: the proxy in front
    speaks HTTPS), as a phone behind the reverse proxy would send them."""

    def __init__(self, port: int, number: int, slug: str) -> None:
        self.port, self.host = port, f"{slug}.{BASE_DOMAIN}"
        self.address = f"10.{number // 250}.{number % 250}.7"
        self.cookies: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        return {
            "Host": self.host,
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{self.host}/",  # CSRF over HTTPS wants the same origin
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }

    def go(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = self.headers()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer.status, answer.headers.get("Location", ""), text

    def csrf(self, path: str) -> str:
        status, _location, text = self.go("GET", path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
        if status != 200 or not found:
            sys.exit(f"no form at {path} ({status})")
        return found.group(1)

    def sign_in(self, email: str, code: str | None = None) -> None:
        token = self.csrf("/login")
        form = {"email": email, "password": PASSWORD, "csrf_token": token}
        status, location, _text = self.go("POST", "/login", form)
        if status != 302 or ("login" in location and code is None):
            sys.exit(f"{email} could not sign in ({status} to {location})")
        if code is not None:
            token = self.csrf("/login/verify")
            status, location, _text = self.go(
                "POST", "/login/verify", {"code": code, "csrf_token": token}
            )
            if status != 302 or "login" in location:
                sys.exit(f"{email}: second step refused ({status} to {location})")


# --- 3. the load ----------------------------------------------------------------------------

# Each line of the requests file: method, path, body and headers, tab-separated (headers as
# name: value pairs joined by \x1f). "{set}" in a body becomes a new client id per request.
LUA = r"""
local specs, counter, id, threads = {}, 0, 0, {}
refused = {}  -- per thread: answers of 400 and up by status, summed in done()
function setup(thread)
  thread:set("id", id)
  id = id + 1
  threads[#threads + 1] = thread
end
function response(status, headers, body)
  if status > 399 then refused[status] = (refused[status] or 0) + 1 end
end
function init(args)
  for line in io.lines(args[1]) do
    local method, path, body, headers = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local h = {}
    for pair in headers:gmatch("[^\31]+") do
      local name, value = pair:match("^([^:]+): (.*)$")
      h[name] = value
    end
    specs[#specs + 1] = {method, path, body, h}
  end
  counter = math.random(0, #specs - 1)
end
function request()
  counter = counter + 1
  local spec = specs[counter % #specs + 1]
  local body = spec[3]
  if body == "" then
    body = nil
  else
    body = body:gsub("{set}", string.format("%08x-0000-4000-8000-%012x", id, counter))
  end
  return wrk.format(spec[1], spec[2], spec[4], body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.1f %.1f %.1f\n", summary.requests,
    summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("refused")) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  io.write(string.format("SOCKETS connect %d, read %d, write %d, timeout %d;", e.connect,
    e.read, e.write, e.timeout))
  for status, n in pairs(statuses) do io.write(string.format(" %d: %d", status, n)) end
  io.write("\n")
end
"""


def spec(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    return "\t".join((method, path, body, "\x1f".join(f"{k}: {v}" for k, v in headers.items())))


def wrk(port: int, specs: list[str], seconds: int, work: Path) -> dict[str, float]:
    requests = work / "requests.txt"
    requests.write_text("\n".join(specs) + "\n")
    script = work / "load.lua"
    script.write_text(LUA)
    command = [
        "wrk",
        *("-t", "2", "-c", str(CONNECTIONS), "--timeout", "10s", "-s", str(script)),
        f"http://127.0.0.1:{port}",
        "--",
        str(requests),
    ]
    subprocess.run([*command[:1], "-d", f"{WARM_UP}s", *command[1:]], capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [*command[:1], "-d", f"{seconds}s", *command[1:]], capture_output=True, text=True
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        sys.exit(f"wrk said:\n{done.stdout}\n{done.stderr}")
    count, micros, status_errors, socket_errors, p50, p95, p99 = (
        float(x) for x in line.split()[1:]
    )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if status_errors or socket_errors:
        log(next(x for x in done.stdout.splitlines() if x.startswith("SOCKETS")))
    return {
        "rps": count / (micros / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": status_errors + socket_errors,
        "status_errors": status_errors,  # answers but 2xx/3xx: the server's log says which
        "socket_errors": socket_errors,  # connections cut, refused or timed out
        "requests": count,
        "wrk_cpu": 100 * cpu / wall,
    }


def page_specs(
    women: list[Browser], clinicians: list[Browser], tokens: list[str]
) -> dict[str, list[str]]:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return {
        "patient home": [spec("GET", "/", woman.headers()) for woman in women],
        "log a set (POST)": [
            spec(
                "POST",
                "/training/log",
                {**woman.headers(), **form},
                urllib.parse.urlencode(
                    {"csrf_token": token, "client_id": "{set}", "level": "1", "effort": "right"}
                ).replace("%7Bset%7D", "{set}"),
            )
            for woman, token in zip(women, tokens, strict=True)
        ],
        "clinician caseload": [
            spec("GET", "/staff/patients/", clinician.headers()) for clinician in clinicians
        ],
    }


def rls(enabled: bool) -> None:
    """Row-level security on every table that has it (FORCEd, as migrated), or off on all."""
    with psycopg.connect(OWNER_URL, autocommit=True) as owner:
        tables = [
            row[0]
            for row in owner.execute(
                "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
                " GROUP BY c.relname"
            )
        ]
        for table in tables:
            if enabled:
                owner.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
                owner.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            else:
                owner.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
                owner.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(
    port: int,
    specs: dict[str, list[str]],
    bare_port: int,
    bare_specs: list[str],
    seconds: int,
    work: Path,
    *,
    off_first: bool,
) -> dict[str, dict[str, float]]:
    """One round: the pages with row-level security on, and off, with the bare route between
    them; which goes first changes from round to round, so neither always meets the other's
    warmed caches."""
    results: dict[str, dict[str, float]] = {}

    def pages(suffix: str) -> None:
        for page, page_spec in specs.items():
            results[page + suffix] = wrk(port, page_spec, seconds, work)
            log(f"{page + suffix}: {results[page + suffix]}")

    def without_rls() -> None:
        rls(False)
        try:
            pages(", RLS off")
        finally:
            rls(True)

    first, second = (
        (without_rls, lambda: pages("")) if off_first else (lambda: pages(""), without_rls)
    )
    first()
    results["bare route"] = wrk(bare_port, bare_specs, seconds, work)
    log(f"bare route: {results['bare route']}")
    second()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--patients", type=int, default=10_000, help="women per tenant")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="make the database and stop")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure everything this many times, one after the other; report the medians"
        " (a page's ratio to the bare route taken within each round)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    prepared = prepare(args.tenants, args.patients, args.reuse)
    data = sizes()
    log(f"data: {data}")
    if args.seed_only:
        return
    women_of, clinicians_of, patient_ids = people()
    give_authenticators([user_id for _slug, _email, user_id in clinicians_of])
    redis.Redis.from_url(REDIS_URL).flushdb()  # sign-in throttles of an earlier run
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    port, bare_port = free_port(), free_port()
    app_log, bare_log = work / "app.log", work / "bare.log"
    app = serve("pelvicoach.platform.wsgi:app", port, app_log)
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        women = [Browser(port, n, slug) for n, (slug, _email) in enumerate(women_of)]
        tokens = []
        for woman, (_slug, email) in zip(women, women_of, strict=True):
            woman.sign_in(email)
            tokens.append(woman.csrf("/training"))
        clinicians = [
            Browser(port, 1000 + n, slug) for n, (slug, _email, _id) in enumerate(clinicians_of)
        ]
        for clinician, (_slug, email, _id) in zip(clinicians, clinicians_of, strict=True):
            clinician.sign_in(email, pyotp.TOTP(TOTP).now())
        log(f"signed in: {len(women)} women, {len(clinicians)} clinicians")
        specs = page_specs(women, clinicians, tokens)
        bare = serve(
            "tests.perf.bare_app:app",
            bare_port,
            bare_log,
            {"BARE_DATABASE_URL": f"postgresql+psycopg://{SERVER}/{DATABASE}"},
        )
        bare_specs = [spec("GET", f"/bare/{pid}", {}) for pid in patient_ids]
        try:
            for number in range(1, args.rounds + 1):
                rounds.append(
                    measure(
                        *(port, specs, bare_port, bare_specs, args.seconds, work),
                        off_first=number % 2 == 0,
                    )
                )
                log(f"round {number} of {args.rounds} done")
        finally:
            bare.terminate()
            bare.wait()
    finally:
        app.terminate()
        app.wait()
        for name in (app_log, bare_log):
            said = name.read_text() if name.exists() else ""
            if any(word in said for word in ("Traceback", "WARNING", "ERROR", "CRITICAL")):
                log(f"{name.name} (last 4,000 characters):\n{said[-4000:]}")
        shutil.rmtree(work, ignore_errors=True)
    report(rounds, data, prepared, args)
    if not args.keep:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def summary(rounds: list[dict[str, dict[str, float]]], page: str) -> dict[str, Any]:
    """A page's medians over the rounds: its figures, its ratio to the bare route of the same
    round, and what switching row-level security off gained in the same round."""
    runs = [r[page] for r in rounds]
    offs = [r[f"{page}, RLS off"] for r in rounds if f"{page}, RLS off" in r]

    def median(values: list[float]) -> float:
        return statistics.median(values)

    return {
        "rps": median([run["rps"] for run in runs]),
        "p50": median([run["p50"] for run in runs]),
        "p95": median([run["p95"] for run in runs]),
        "errors": sum(run["errors"] for run in runs),
        "wrk_cpu": max(run["wrk_cpu"] for run in runs),
        "ratio": median([r[page]["rps"] / r["bare route"]["rps"] for r in rounds]),
        "off": median([off["rps"] for off in offs]) if offs else None,
        "cost": (
            median([r[f"{page}, RLS off"]["rps"] / r[page]["rps"] - 1 for r in rounds])
            if offs
            else None
        ),
        "spread": (min(run["rps"] for run in runs), max(run["rps"] for run in runs)),
    }


def rls_cell(r: dict[str, Any]) -> str:
    return "" if r["off"] is None else f"{r['off']:,.0f} ({r['cost']:+.0%})"


def report(rounds: list, data: dict, prepared: dict, args: argparse.Namespace) -> None:
    rows = []
    print(
        f"\n{'page':24} {'req/s':>7} {'x bare':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}"
        f" {'RLS off':>8} {'RLS cost':>8} {'wrk CPU':>7} {'req/s over the rounds':>22}"
    )
    for page in (*PAGES, "bare route"):
        r = summary(rounds, page)
        met = page == "bare route" or (
            r["ratio"] >= TARGET_RATIO
            and r["p95"] <= TARGET_P95_MS
            and (r["cost"] or 0) <= TARGET_RLS
        )
        cost = "" if r["cost"] is None else f"{r['cost']:+.0%}"
        print(
            f"{page:24} {r['rps']:7.0f} {r['ratio']:7.2f} {r['p50']:7.1f} {r['p95']:7.1f}"
            f" {r['errors']:6.0f} {r['off'] or 0:8.0f}"
            f" {cost:>8} {r['wrk_cpu']:6.0f}%"
            f" {r['spread'][0]:10.0f} to {r['spread'][1]:.0f}"
        )
        rows.append((page, r, met))
    if not args.write:
        return
    with psycopg.connect(ADMIN_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    machine = (
        f"{os.cpu_count()} cores, PostgreSQL {version}, gunicorn {WORKERS}x{THREADS},"
        f" wrk {CONNECTIONS} connections, {args.seconds} s"
        + (f" x {args.rounds} rounds (medians)" if args.rounds > 1 else "")
    )
    women = f"{data['women']:,} women in {data['tenants']} tenants, {data['sets']:,} sets"
    lines = [
        f"| {datetime.now(UTC):%Y-%m-%d} | {args.label} | {page} | {r['rps']:,.0f} |"
        f" {r['ratio']:.2f}x | {r['p50']:.1f} / {r['p95']:.1f} ms | {r['errors']:.0f} |"
        f" {rls_cell(r)} | {r['wrk_cpu']:.0f}% | {'yes' if met else 'no'} |"
        f" {women}; {machine} |"
        for page, r, met in rows
    ]
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text()
    marker = "| pages: date |"
    if marker not in text:
        text += (
            "\n## Pages under load: a million women, 16 connections, against a bare route\n\n"
            "`.venv/bin/python tests/perf/bench_pages.py --write` (target: each page >="
            f" {TARGET_RATIO}x the bare route's requests per second, p95 <= {TARGET_P95_MS:.0f} ms,"
            f" row-level security costing <= {TARGET_RLS:.0%}).\n\n"
            f"{marker} label | page | req/s | x bare | p50 / p95 | errors | RLS off (gain) |"
            " wrk CPU | met | data and machine |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    page.write_text(text + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
