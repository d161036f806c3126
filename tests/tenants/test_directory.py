"""The tenant directory cached in each process: a request after the first finds its tenant
without asking the database, and a tenant suspended in one process is closed in the others by
their next request (the version in Redis); in its own too (tests/tenants/test_console.py)."""

from __future__ import annotations

from pelvicoach.platform.extensions import db as database
from pelvicoach.tenants.models import Tenant, TenantStatus
from pelvicoach.tenants.services import set_status


def test_a_known_tenant_costs_no_query(app, make_tenant, count_queries):
    make_tenant("linde")
    visitor = app.test_client()
    assert visitor.get("/t/linde/login").status_code == 200
    with count_queries() as counter:
        assert visitor.get("/t/linde/login").status_code == 200
    assert not [sql for sql in counter.statements if "FROM tenants" in sql]


def test_a_suspension_reaches_the_other_processes_by_their_next_request(
    make_app, platform_twin, make_tenant, redis_url, db
):
    tenant = make_tenant("linde")
    web = [make_app(REDIS_URL=redis_url) for _ in range(2)]  # two web processes' caches
    for app in web:
        assert app.test_client().get("/t/linde/login").status_code == 200  # cached now
    with platform_twin(web[0]).app_context():  # a third process suspends it
        set_status(database.session.get(Tenant, tenant.id), TenantStatus.SUSPENDED)
        database.session.commit()
    for app in web:
        assert app.test_client().get("/t/linde/login").status_code == 403
