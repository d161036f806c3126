"""Prometheus metrics: only for a scraper with the token; request latency by endpoint, summed
over gunicorn's workers; queue depths, failed jobs, the outbox's lag and the counters jobs keep,
read from real Redis and PostgreSQL (as the web's role) when scraped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from http_helpers import free_port
from jobs_fixtures import count_call, fail
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, SimpleWorker
from sqlalchemy import update

from pelvicoach.platform import metrics, outbox
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.jobs import redis_connection
from pelvicoach.platform.tenancy import tenant_context

TOKEN = "scraper-" + "s" * 40
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def scraped(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url, METRICS_TOKEN=TOKEN)

    def scrape() -> dict[tuple[str, tuple], float]:
        answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200, answer.text
        assert answer.mimetype == "text/plain"
        return samples(answer.text)

    scrape.app = app
    return scrape


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(found: dict, endpoint: str, status: str) -> float:
    labels = (("endpoint", endpoint), ("method", "GET"), ("status", status))
    return found.get(("pelvicoach_request_duration_seconds_count", labels), 0)


def test_no_token_no_metrics(app):
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_answer_only_the_scrapers_token(scraped, header):
    headers = {"Authorization": header} if header else {}
    answer = scraped.app.test_client().get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "pelvicoach" not in answer.text


def test_requests_are_timed_by_endpoint_and_status_class(scraped, db):
    client = scraped.app.test_client()
    before = scraped()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    after = scraped()
    assert (
        requests_of(after, "health.healthz", "2xx") - requests_of(before, "health.healthz", "2xx")
        == 3
    )
    assert requests_of(after, "unmatched", "4xx") - requests_of(before, "unmatched", "4xx") == 1
    # a scrape does not time itself
    assert requests_of(after, "metrics.metrics", "2xx") == 0


def test_queues_failed_jobs_outbox_and_counters_as_the_stores_hold_them(
    scraped, db, make_tenant, owner_engine
):
    linde = make_tenant("linde")
    with scraped.app.app_context():
        connection = redis_connection()
        Queue("low", connection=connection).enqueue(count_call, "in the queue")
        failed = Queue("default", connection=connection)
        failed.enqueue(fail)
        SimpleWorker([failed], connection=connection).work(burst=True)
        with tenant_context(linde.id, database.session):
            outbox.defer(count_call, "in the outbox", tenant_id=linde.id, job_id="metrics-lag")
            database.session.commit()
        metrics.add("pelvicoach_reminders_sent", "reminder", 2)
        metrics.add("pelvicoach_reminders_sent", "nudge")
    with owner_engine.begin() as owner:  # stored a minute and a half ago, not relayed since
        owner.execute(
            update(outbox.OutboxJob).values(created_at=datetime.now(UTC) - timedelta(seconds=90))
        )
    found = scraped()  # as the web's role: one tenant at a time, the owner's functions count
    assert found[("pelvicoach_queue_jobs", (("queue", "low"),))] == 1
    assert found[("pelvicoach_queue_jobs", (("queue", "default"),))] == 0
    assert found[("pelvicoach_failed_jobs", (("queue", "default"),))] == 1
    assert found[("pelvicoach_failed_jobs", (("queue", "low"),))] == 0
    assert found[("pelvicoach_outbox_waiting_jobs", ())] == 1
    assert 90 <= found[("pelvicoach_outbox_lag_seconds", ())] < 150
    assert found[("pelvicoach_reminders_sent_total", (("kind", "reminder"),))] == 2
    assert found[("pelvicoach_reminders_sent_total", (("kind", "nudge"),))] == 1


def test_without_redis_the_database_metrics_still_answer(make_app, db):
    app = make_app(REDIS_URL=None, METRICS_TOKEN=TOKEN)
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = samples(answer.text)
    assert found[("pelvicoach_outbox_waiting_jobs", ())] == 0
    assert found[("pelvicoach_outbox_lag_seconds", ())] == 0
    assert not [name for name, _labels in found if name.startswith("pelvicoach_queue")]


def test_gunicorn_workers_are_summed_at_each_scrape(database_url, redis_url, tmp_path):
    """Two workers under deploy/gunicorn.conf.py: every request counted, whichever worker
    answered it and whichever answers the scrape."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "1",
            "pelvicoach.platform.wsgi:app",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PELVICOACH_DATABASE_URL": database_url,
            "PELVICOACH_REDIS_URL": redis_url,
            "PELVICOACH_METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(process.stdout.read().decode())
                time.sleep(0.1)
        for _ in range(19):  # 20 with the one above, spread over both workers
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
        scrape = urllib.request.Request(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        for _ in range(4):  # each scrape, answered by either worker, sees all twenty
            with urllib.request.urlopen(scrape, timeout=5) as answer:
                assert requests_of(samples(answer.read().decode()), "health.healthz", "2xx") == 20
        assert len(list((tmp_path / "metrics").glob("histogram_*.db"))) >= 1
    finally:
        process.terminate()
        process.wait(timeout=10)
