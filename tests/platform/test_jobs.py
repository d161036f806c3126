"""Jobs through real Redis and an rq worker in this process, or in-process without Redis."""

from __future__ import annotations

import pytest
from jobs_fixtures import recolour_tenant
from rq import Queue, SimpleWorker

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.jobs import enqueue, redis_connection
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants.models import Tenant


def test_a_job_goes_through_redis_and_a_worker(app, db, make_tenant):
    tenant = make_tenant("linde")
    job = enqueue(recolour_tenant, tenant.id, "#123456", job_id=f"recolour-{tenant.id}")
    assert job.id == f"recolour-{tenant.id}"
    assert database.session.get(Tenant, tenant.id).brand_color != "#123456"  # not run yet
    connection = redis_connection()
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)
    database.session.expire_all()
    assert database.session.get(Tenant, tenant.id).brand_color == "#123456"
    assert job.get_status(refresh=True) == "finished"


def test_without_redis_jobs_run_in_process(make_app, db, make_tenant):
    tenant = make_tenant("inproc")
    app = make_app(REDIS_URL=None)
    with app.app_context(), tenant_context(tenant.id, database.session):
        assert enqueue(recolour_tenant, tenant.id, "#654321") == "#654321"
    database.session.expire_all()
    assert database.session.get(Tenant, tenant.id).brand_color == "#654321"


def test_unknown_queue_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="unknown queue"):
        enqueue(recolour_tenant, 1, "x", queue="urgent")


def test_a_worker_of_one_queue_leaves_the_others_waiting(cli, db, make_tenant):
    """`pelvicoach worker --queue low`: workers per queue scale apart (deploy/k8s)."""
    tenant = make_tenant("linde")
    enqueue(recolour_tenant, tenant.id, "#111111", queue="low", job_id="on-low")
    enqueue(recolour_tenant, tenant.id, "#222222", queue="high", job_id="on-high")
    result = cli("worker", "--burst", "--queue", "low")
    assert result.exit_code == 0, result.output
    database.session.expire_all()
    assert database.session.get(Tenant, tenant.id).brand_color == "#111111"
    connection = redis_connection()
    assert Queue("high", connection=connection).job_ids == ["on-high"]
    assert Queue("low", connection=connection).count == 0
    refused = cli("worker", "--burst", "--queue", "urgent")
    assert refused.exit_code == 2
    assert "urgent" in refused.output
