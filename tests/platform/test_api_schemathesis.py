"""Property-based run over the OpenAPI document: no server error, no response off its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from pelvicoach.platform import api_keys
from pelvicoach.platform.api_keys import SCOPES
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context

BEYOND_THE_SCHEMA = {
    "/api/v1/enrolments",
    "/api/v1/enrolments/batch",  # its items are free-form here and checked one by one
    "/api/v1/program/settings",
    "/api/v1/program",
    # A filter is one the tenant's own data offers (its years, its program versions).
    "/api/v1/reports/summary",
    "/api/v1/reports/tables/{table}",
}


@pytest.fixture
def api_key(make_tenant, make_user, db) -> str:
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    with tenant_context(tenant.id, database.session):
        _key, secret = api_keys.create(tenant.id, "schemathesis", list(SCOPES), None)
        database.session.commit()
    return secret


def test_the_api_honours_its_schema(app, api_key):
    """Each documented operation, with generated bodies and parameters (bounded examples).

    Driven through `as_strategy()` rather than schemathesis' pytest plugin, whose fixture
    loader does not run on this pytest. Its WSGI client calls the app as `localhost`, which
    is then the configured base domain."""
    app.config["BASE_DOMAIN"] = "localhost"
    schema = schemathesis.openapi.from_wsgi("/t/linde/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    headers = {"Authorization": f"Bearer {api_key}"}
    for operation in operations:
        run_examples(operation, headers)


def run_examples(operation, headers: dict[str, str]) -> None:
    # Some operations also check facts no schema can state (the clinician must exist here;
    # white text must be readable on a brand colour) and answer those with a 422 naming the
    # field; every other check still applies to them.
    excluded = [positive_data_acceptance] if operation.path in BEYOND_THE_SCHEMA else []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
