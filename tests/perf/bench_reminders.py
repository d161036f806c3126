"""Benchmark: 100,000 reminders due at once, dispatched by the scheduler's job and sent by ONE
rq worker through a local SMTP server (aiosmtpd). Prints and returns time and peak memory;
`--write` adds the result to docs/benchmarks.md. Not a test: run it on its own.

    .venv/bin/python tests/perf/bench_reminders.py [--reminders 100000] [--write]

Needs PostgreSQL and Redis as the test suite does (PELVICOACH_TEST_DATABASE_URL, REDIS)."""

from __future__ import annotations

import argparse
import os
import platform as host
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE = "pelvicoach_bench_reminders"
TENANTS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(smtp_port: int) -> dict[str, str]:
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
    return {
        **os.environ,
        "PELVICOACH_ENV": "development",
        "PELVICOACH_SECRET_KEY": "bench-" + "x" * 40,
        "PELVICOACH_DATABASE_URL": url,
        "PELVICOACH_REDIS_URL": REDIS_URL,
        "PELVICOACH_MAIL_SERVER": "127.0.0.1",
        "PELVICOACH_MAIL_PORT": str(smtp_port),
        "PELVICOACH_MAIL_USE_TLS": "false",
        "PELVICOACH_MAIL_SENDER": "Pelvicoach <no-reply@pelvicoach.test>",
    }


def prepare(count: int, env: dict[str, str]) -> None:
    """A fresh database, migrated, with `count` women whose reminder is due a minute ago."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    cli = [str(ROOT / ".venv/bin/pelvicoach")]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    due = datetime.now(UTC) - timedelta(minutes=1)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}") as conn:
        for n in range(TENANTS):
            conn.execute(
                "INSERT INTO tenants (slug, name, kind, status, brand_color, time_zone,"
                " clinicians_see_all_patients) VALUES (%s, %s, 'practice', 'active', '#0b5fa5',"
                " 'Europe/Amsterdam', false)",
                (f"bench{n}", f"Bench {n}"),
            )
        per = count // TENANTS
        conn.execute(
            "INSERT INTO users (tenant_id, email, name, active, locale, session_token)"
            " SELECT t.id, 'w' || g || '@' || t.slug || '.example', 'Woman ' || g, true, 'nl',"
            " md5(t.slug || g) FROM tenants t, generate_series(1, %s) g",
            (per,),
        )
        conn.execute(
            "INSERT INTO patients (tenant_id, user_id, pseudonym, cohort, birth_year, phase)"
            " SELECT tenant_id, id, 'B' || id, 'postpartum', 1990, 'training' FROM users"
        )
        conn.execute(
            "INSERT INTO reminder_plans (tenant_id, patient_id, weekdays, times, time_zone,"
            " next_at, calendar_generation, updated_at) SELECT tenant_id, id,"
            " '[0,1,2,3,4,5,6]', '[\"08:00\"]', 'Europe/Amsterdam', %s, 0, now() FROM patients",
            (due,),
        )
    redis.Redis.from_url(REDIS_URL).flushdb()


WORKER = """
import resource, sys, time
from pelvicoach.platform.app import create_app
from pelvicoach.platform.jobs import QUEUES, redis_connection
from pelvicoach.programs.reminders.services import dispatch
from rq import Queue, SimpleWorker
app = create_app(platform=True)
with app.app_context():
    started = time.perf_counter()
    due = dispatch()
    queued = time.perf_counter()
    connection = redis_connection()
    import cProfile, os
    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    if profiler: profiler.enable()
    SimpleWorker([Queue(n, connection=connection) for n in QUEUES], connection=connection).work(
        burst=True, logging_level="WARNING")
    if profiler:
        profiler.disable(); profiler.dump_stats(os.environ["BENCH_PROFILE"])
    done = time.perf_counter()
print(due, queued - started, done - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    port = free_port()
    count_file = Path(tempfile.gettempdir()) / f"sink-{port}.count"
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtp_sink.py")), str(port), str(count_file)]
    )
    time.sleep(0.5)  # listening
    try:
        env = environment(port)
        prepare(args.reminders, env)
        result = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-c", WORKER],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        due, queueing, total, peak_kb = result.stdout.split()[-4:]
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    received = int(count_file.read_text())
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {int(due):,} due, {received:,} mails received |"
        f" dispatch {float(queueing):.1f} s, all sent {float(total):.1f} s |"
        f" {int(peak_kb) / 1024:.0f} MiB | {os.cpu_count()} cores, {host.python_version()} |"
    )
    print(line)
    if received != int(due):
        sys.exit(f"{received} mails for {due} due reminders")
    if args.write:
        page = ROOT / "docs" / "benchmarks.md"
        text = page.read_text() if page.exists() else ""
        marker = "| reminders: date |"
        if marker not in text:
            text += (
                "\n## Reminders: 100,000 due at once, one rq worker\n\n"
                "`.venv/bin/python tests/perf/bench_reminders.py --write` (target: <= 60 s).\n\n"
                f"{marker} result | time | worker peak memory | machine |\n"
                "| --- | --- | --- | --- | --- |\n"
            )
        page.parent.mkdir(exist_ok=True)
        page.write_text(text + line + "\n")


if __name__ == "__main__":
    main()
