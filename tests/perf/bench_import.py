"""Benchmark: a CSV file of 100,000 women (3% of the rows bad) enrolled through ONE rq worker on
PostgreSQL: the check of every row, then the import, then (apart) the invitations. Prints and
returns wall times and the worker's peak memory; `--write` adds the result to
docs/benchmarks.md. Not a test: run it on its own.

    .venv/bin/python tests/perf/bench_import.py [--rows 100000] [--write]

Needs PostgreSQL and Redis as the test suite does."""

from __future__ import annotations

import argparse
import os
import platform as host
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE = "pelvicoach_bench_import"
TARGET_SECONDS, TARGET_MIB = 60, 500


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "PELVICOACH_ENV": "development",
        "PELVICOACH_SECRET_KEY": "bench-" + "x" * 40,
        "PELVICOACH_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}",
        "PELVICOACH_REDIS_URL": REDIS_URL,
        "PELVICOACH_MAIL_SERVER": "",
        "PELVICOACH_IMPORT_MAX_MB": "50",
    }


def prepare(env: dict[str, str]) -> None:
    """A fresh database, migrated, with one practice, its officer and ten clinicians."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    cli = [str(ROOT / ".venv/bin/pelvicoach")]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}") as conn:
        conn.execute(
            "INSERT INTO tenants (slug, name, kind, status, brand_color, time_zone,"
            " clinicians_see_all_patients) VALUES ('bench', 'Bench', 'practice', 'active',"
            " '#0b5fa5', 'Europe/Amsterdam', false)"
        )
        conn.execute(
            "INSERT INTO users (tenant_id, email, name, active, locale, session_token)"
            " SELECT 1, 'staff' || g || '@bench.example', 'Staff ' || g, true, 'nl', md5(g::text)"
            " FROM generate_series(0, 10) g"
        )
        conn.execute(
            "INSERT INTO user_roles (user_id, role) SELECT id, CASE WHEN email LIKE 'staff0@%'"
            " THEN 'enrolment' ELSE 'clinician' END FROM users"
        )
    redis.Redis.from_url(REDIS_URL).flushdb()


def enrolment_file(rows: int) -> bytes:
    """What an insurer exports: semicolons, a byte-order mark, Dutch headers and dates; every
    33rd row bad in one of five ways."""
    lines = ["naam;e-mailadres;geboortejaar;groep;bevallingsdatum;behandelaar"]
    for n in range(rows):
        cells = [
            f"Vrouw {n}",
            f"vrouw{n}@example.nl",
            str(1975 + n % 30),
            "postpartum",
            f"{1 + n % 28}-{1 + n % 12}-2026",
            f"staff{1 + n % 10}@bench.example" if n % 4 == 0 else "",
        ]
        if n % 33 == 0:
            kind = n // 33 % 5
            if kind == 0:
                cells[1] = f"vrouw{n}.example.nl"
            elif kind == 1:
                cells[2] = "19xx"
            elif kind == 2:
                cells[4] = "30-02-2026"
            elif kind == 3:
                cells[5] = "onbekend@bench.example"
            else:
                cells[1] = "vrouw1@example.nl"
        lines.append(";".join(cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


WORKER = """
import resource, sys, time
from rq import Queue, SimpleWorker
from pelvicoach.platform import outbox
from pelvicoach.platform.app import create_app
from pelvicoach.platform.extensions import db
from pelvicoach.platform.jobs import QUEUES, redis_connection
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.bulk import services
from pelvicoach.programs.enrolment.bulk.models import EnrolmentImport

app = create_app(platform=True)
data = open(sys.argv[1], "rb").read()

def work():
    outbox.relay()
    connection = redis_connection()
    SimpleWorker([Queue(n, connection=connection) for n in QUEUES], connection=connection).work(
        burst=True, logging_level="WARNING")

with app.app_context():
    started = time.perf_counter()
    with tenant_context(1, db.session):
        row = services.upload(1, 1, "leden.csv", data, "nl")
        db.session.commit()
        import_id = row.id
    work()
    checked = time.perf_counter()
    with tenant_context(1, db.session):
        row = db.session.get(EnrolmentImport, import_id)
        good = row.good
        services.confirm(row, 1, invite=True, link_prefix="https://bench.example/welcome/")
        db.session.commit()
    # The import job runs first; the invitations it queues at its end run in the same burst
    # but are timed apart from the moment the import was done.
    outbox.relay()
    connection = redis_connection()
    import_queue = Queue("default", connection=connection)
    worker = SimpleWorker([import_queue], connection=connection)
    import cProfile, os
    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    if profiler: profiler.enable()
    worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    if profiler:
        profiler.disable(); profiler.dump_stats(os.environ["BENCH_PROFILE"])
    imported = time.perf_counter()
    peak_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if profiler: profiler = cProfile.Profile(); profiler.enable()
    work()
    work()
    if profiler:
        profiler.disable(); profiler.dump_stats(os.environ["BENCH_PROFILE"] + ".invite")
    invited = time.perf_counter()
    db.session.expire_all()
    with tenant_context(1, db.session):
        row = db.session.get(EnrolmentImport, import_id)
        print(row.rows, good, row.created, row.state)
print(checked - started, imported - checked, invited - imported, peak_import,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    env = environment()
    prepare(env)
    path = Path(tempfile.gettempdir()) / "bench-import.csv"
    path.write_bytes(enrolment_file(args.rows))
    result = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", WORKER, str(path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode:
        sys.exit(result.stderr[-4000:])
    counts, timings = result.stdout.strip().splitlines()[-2:]
    rows, good, created, state = counts.split()
    check, run, invite, peak_import, peak_all = timings.split()
    total = float(check) + float(run)
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {int(rows):,} rows, {int(created):,} enrolled"
        f" ({int(rows) - int(good):,} refused), {state} | check {float(check):.1f} s + import"
        f" {float(run):.1f} s = {total:.1f} s | {int(peak_import) / 1024:.0f} MiB |"
        f" invitations {float(invite):.1f} s, {int(peak_all) / 1024:.0f} MiB |"
        f" {os.cpu_count()} cores, {host.python_version()} |"
    )
    print(line)
    if int(created) != int(good) or state != "done":
        sys.exit(f"{created} enrolled of {good} good rows, state {state}")
    if args.write:
        page = ROOT / "docs" / "benchmarks.md"
        text = page.read_text()
        marker = "| import: date |"
        if marker not in text:
            text += (
                "\n## Enrolment import: 100,000 rows, one rq worker\n\n"
                "`.venv/bin/python tests/perf/bench_import.py --write` (target: the import"
                f" through the worker <= {TARGET_SECONDS} s and <= {TARGET_MIB} MB).\n\n"
                f"{marker} result | check, then import | worker peak memory | then | machine |\n"
                "| --- | --- | --- | --- | --- | --- |\n"
            )
        page.write_text(text + line + "\n")


if __name__ == "__main__":
    main()
