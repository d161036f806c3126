"""Where one request of a benchmarked page spends its time, in one process, on the page
benchmark's database (tests/perf/bench_pages.py): what to look at before changing anything.

    .venv/bin/python tests/perf/bench_pages.py --seed-only --keep    # the database, once
    .venv/bin/python tests/perf/profile_pages.py home|log|caseload [--requests 500]
        [--sort tottime|cumulative] [--top 30] [--rls off] [--callers PATTERN]

The app is built as gunicorn builds it (production settings, the web's database role) and
driven through its WSGI stack by Flask's test client, one request after another: a warm-up, a
measured run, then a run under cProfile. Prints per request of the measured run: this
process's CPU (the app, the test client and psycopg; waiting on PostgreSQL is not counted), the
PostgreSQL backends' CPU (from /proc, the server being local), the statements and their wall
time, then the statements by total time and the profile's top functions (`--callers` to see
who calls some). Figures from one process without contention: compare runs with each other,
not with the load benchmark's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_pages as bench

PAGES = {
    "home": ("GET", "/"),
    "log": ("POST", "/training/log"),
    "caseload": ("GET", "/staff/patients/"),
}


class InProcess(bench.Browser):
    """The benchmark's client, its requests handed to the app in this process. Once `frozen`,
    it sends the same cookies whatever the answers set, as wrk does: a POST's flashed message,
    never shown as no redirect is followed, would otherwise pile up in her session."""

    def __init__(self, client: Any, number: int, slug: str) -> None:
        super().__init__(0, number, slug)
        self.client = client
        self.frozen = False

    def go(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        answer = self.client.open(
            path, method=method, headers=self.headers(), data=form, base_url=f"https://{self.host}"
        )
        for header in [] if self.frozen else answer.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def backend_cpu() -> float:
    """Seconds of CPU the app role's PostgreSQL backends have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    with psycopg.connect(bench.ADMIN_URL) as admin:
        pids = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s", (bench.APP_ROLE,)
        ).fetchall()
    for (pid,) in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", choices=sorted(PAGES))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rls", choices=("on", "off"), default="on")
    parser.add_argument("--callers", help="also who calls the functions matching this pattern")
    args = parser.parse_args()

    os.environ.update(bench.environment())
    from sqlalchemy import event

    from pelvicoach.platform.app import create_app
    from pelvicoach.platform.extensions import db

    app = create_app()
    client = app.test_client(use_cookies=False)
    redis.Redis.from_url(bench.REDIS_URL).flushdb()  # sign-in throttles of an earlier run
    women_of, clinicians_of, _ids = bench.people()
    if args.page == "caseload":
        slug, email, user_id = clinicians_of[0]
        bench.give_authenticators([user_id])
        person = InProcess(client, 1000, slug)
        person.sign_in(email, pyotp.TOTP(bench.TOTP).now())
    else:
        slug, email = women_of[0]
        person = InProcess(client, 0, slug)
        person.sign_in(email)
    form = None
    if args.page == "log":
        token = person.csrf("/training")
        form = {"csrf_token": token, "level": "1", "effort": "right"}
    method, path = PAGES[args.page]
    person.frozen = True

    statements: dict[str, list[float]] = defaultdict(list)
    started: dict[int, float] = {}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        statements[" ".join(statement.split())[:110]].append(
            time.perf_counter() - started.pop(id(cursor))
        )

    def run(count: int) -> None:
        for number in range(count):
            if form is not None:
                form["client_id"] = f"{number:08x}-0000-4000-8000-{time.time_ns() % 10**12:012x}"
            status, _location, _text = person.go(method, path, form)
            if status >= 400:
                sys.exit(f"{method} {path}: {status}")

    bench.rls(args.rls == "on")
    try:
        run(args.requests)  # warm-up: caches, plans, the pool
        statements.clear()
        pg, python, wall = backend_cpu(), time.process_time(), time.perf_counter()
        run(args.requests)
        wall, python = time.perf_counter() - wall, time.process_time() - python
        pg = backend_cpu() - pg
        measured = dict(statements)
        statements.clear()  # the profiled run's go to new lists
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        run(args.requests)
        profile.disable()
    finally:
        bench.rls(True)

    n = args.requests
    calls = sum(len(times) for times in measured.values())
    print(
        f"{args.page}, row-level security {args.rls}, {n} requests: per request"
        f" {1000 * wall / n:.2f} ms wall, Python CPU {1000 * python / n:.2f} ms,"
        f" PostgreSQL CPU {1000 * pg / n:.2f} ms, {calls / n:.1f} statements"
        f" taking {1000 * sum(map(sum, measured.values())) / n:.2f} ms"
    )
    print("\nstatements (calls per request, ms per request):")
    by_time = sorted(measured.items(), key=lambda item: -sum(item[1]))
    for text, times in by_time[:15]:
        print(f"  {len(times) / n:5.2f} {1000 * sum(times) / n:6.2f}  {text}")
    print(f"\n{n} more under cProfile (a CPU clock; the profiler slows calls down):")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        pstats.Stats(profile).sort_stats(args.sort).print_callers(args.callers)


if __name__ == "__main__":
    main()
