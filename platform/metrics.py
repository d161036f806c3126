"""Prometheus metrics, for the platform's operators (never a tenant's data).

- Request latency by endpoint, method and status class, kept by each web process; under
  gunicorn in prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, wiped at
  start and a dead worker's files marked by `deploy/gunicorn.conf.py`), so a scrape of any
  worker sums them all.
- Read when scraped, from the stores every process shares: jobs waiting per rq queue and jobs
  failed, the outbox's waiting jobs and the age of the oldest (its lag), and the counters jobs
  keep in Redis (`add`: reminders and nudges sent). A job in a worker process counts where the
  web can read it, with no metrics port of its own.

`/metrics` answers a scraper that presents `PELVICOACH_METRICS_TOKEN` as a bearer token; without
that setting it does not exist (404)."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy.exc import SQLAlchemyError

from pelvicoach.platform import outbox
from pelvicoach.platform.extensions import limiter, talisman
from pelvicoach.platform.jobs import QUEUES, redis_connection

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "pelvicoach_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COUNTERS_KEY = "pelvicoach:metrics:counters"


@dataclass(frozen=True)
class Counted:
    """A counter kept in Redis by whichever process counts (`add`), read at scrape time."""

    name: str
    documentation: str
    label: str  # one label, so a field of the Redis hash is "name:value"


COUNTED: dict[str, Counted] = {}


def register(counted: Counted) -> None:
    """A counter of a later layer (reminders), added by its package's init_app."""
    COUNTED.setdefault(counted.name, counted)


def add(name: str, value: str, amount: int = 1) -> None:
    """Count `amount` under the counter's label `value`; a Redis outage loses the count, never
    the work (metrics are not worth failing a job for)."""
    connection = redis_connection()
    if connection is None or amount <= 0:
        return
    try:
        connection.hincrby(COUNTERS_KEY, f"{name}:{value}", amount)
    except RedisError:
        log.warning("metrics: could not count %s %s", name, value)


class PlatformCollector(Collector):
    """What the shared stores hold, read at scrape time in the serving process."""

    def collect(self) -> Iterator[Metric]:
        yield from self._outbox()
        connection = redis_connection()
        if connection is None:
            return
        try:
            yield from self._queues(connection)
            yield from self._counters(connection)
        except RedisError:
            log.warning("metrics: Redis unavailable, queue and counter metrics left out")

    def _outbox(self) -> Iterator[Metric]:
        try:
            waiting, lag = outbox.backlog(), outbox.lag()
        except SQLAlchemyError:
            log.warning("metrics: database unavailable, outbox metrics left out")
            return
        yield GaugeMetricFamily(
            "pelvicoach_outbox_waiting_jobs", "Jobs in the outbox not done yet.", value=waiting
        )
        yield GaugeMetricFamily(
            "pelvicoach_outbox_lag_seconds",
            "Age of the oldest job in the outbox not done yet (0: none waiting).",
            value=lag,
        )

    def _queues(self, connection: object) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "pelvicoach_queue_jobs", "Jobs waiting in each rq queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "pelvicoach_failed_jobs",
            "Jobs that failed, kept in each queue's registry.",
            labels=["queue"],
        )
        for name in QUEUES:
            queue = Queue(name, connection=connection)
            waiting.add_metric([name], queue.count)
            failed.add_metric([name], FailedJobRegistry(queue=queue).count)
        yield waiting
        yield failed

    def _counters(self, connection: object) -> Iterator[Metric]:
        counts = connection.hgetall(COUNTERS_KEY)  # type: ignore[attr-defined]
        for counted in COUNTED.values():
            family = CounterMetricFamily(
                counted.name, counted.documentation, labels=[counted.label]
            )
            for field, value in counts.items():
                name, _sep, label = field.decode().partition(":")
                if name == counted.name:
                    family.add_metric([label], int(value))
            yield family


def _registry() -> CollectorRegistry:
    """Every process's request metrics under gunicorn (multiprocess mode), or this one's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(PlatformCollector())
    return registry


@bp.get("/metrics")
@limiter.exempt
@talisman(force_https=False)  # scraped inside the cluster, by pod address
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return Response(
            "metrics need the scraper's token\n",
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def observe(response: ResponseReturnValue) -> ResponseReturnValue:
        started = g.get("request_started")
        if started is not None and request.endpoint != "metrics.metrics":
            REQUEST_SECONDS.labels(
                endpoint=request.endpoint or "unmatched",
                method=request.method,
                status=f"{response.status_code // 100}xx",
            ).observe(time.perf_counter() - started)
        return response
