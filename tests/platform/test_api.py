"""The JSON API: keys and scopes, problem details, the OpenAPI document, and a schemathesis run."""

from __future__ import annotations

import re

from sqlalchemy import select

from pelvicoach.platform.api_keys import ApiKey
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.programs.enrolment.models import Patient


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_hashed(
    client, make_tenant, make_user, sign_in_staff, db
):
    tenant = make_tenant("linde")
    admin = make_user(tenant, "admin@linde.nl", "admin")
    sign_in_staff("linde", admin)
    page = client.post(
        "/t/linde/admin/api-keys", data={"name": "HIS koppeling", "scopes": ["enrolments:write"]}
    )
    key = re.search(
        r'<code class="user-select-all" id="new-key">(pck_\S+)</code>', page.text
    ).group(1)
    assert key not in client.get("/t/linde/admin/api-keys").text
    row = database.session.scalars(select(ApiKey)).one()
    assert key.split("_", 2)[2] not in (row.secret_hash, row.lookup)
    assert row.scopes == ["enrolments:write"]
    assert row.last_used_at is None
    who = client.get("/t/linde/api/v1/key", headers=bearer(key))
    assert who.json == {
        "name": "HIS koppeling",
        "scopes": ["enrolments:write"],
        "tenant": {"slug": "linde", "name": "Praktijk Linde", "kind": "practice"},
    }
    database.session.refresh(row)
    assert row.last_used_at is not None
    assert "nooit" not in client.get("/t/linde/admin/api-keys").text  # last use is shown

    revoke = client.post(f"/t/linde/admin/api-keys/{row.id}/revoke")
    assert revoke.status_code == 302
    assert client.get("/t/linde/api/v1/key", headers=bearer(key)).status_code == 401
    actions = set(database.session.scalars(select(AuditEvent.action)))
    assert {"api_key.created", "api_key.revoked"} <= actions


def test_only_admins_manage_keys(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, "fysio@linde.nl", "clinician"))
    assert client.get("/t/linde/admin/api-keys").status_code == 403


def test_missing_bad_and_foreign_keys_get_401(client, make_tenant, key_for):
    linde = make_tenant("linde")
    make_tenant("horizon", kind="insurer")
    key = key_for(linde)
    assert client.get("/t/linde/api/v1/key").status_code == 401
    response = client.get("/t/linde/api/v1/key", headers=bearer("pck_nope_nope"))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # a key of one tenant does not open another tenant's API
    assert client.get("/t/horizon/api/v1/key", headers=bearer(key)).status_code == 401


def test_scopes_are_enforced(client, make_tenant, key_for):
    tenant = make_tenant("linde")
    key = key_for(tenant, "reports:read")
    response = client.patch(
        "/t/linde/api/v1/program/settings", json={"brand_color": "#112233"}, headers=bearer(key)
    )
    assert response.status_code == 403
    assert "program:write" in response.json["detail"]


def test_an_insurer_cannot_open_all_patients_to_all_clinicians(client, make_tenant, key_for):
    """Its clinicians work for different contracted care providers."""
    tenant = make_tenant("horizon", kind="insurer")
    key = key_for(tenant, "program:write")
    settings = "/t/horizon/api/v1/program/settings"
    refused = client.patch(
        settings, json={"clinicians_see_all_patients": True}, headers=bearer(key)
    )
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["clinicians_see_all_patients"]
    assert client.get(settings, headers=bearer(key)).json["clinicians_see_all_patients"] is False
    closed = client.patch(
        settings, json={"clinicians_see_all_patients": False}, headers=bearer(key)
    )
    assert closed.status_code == 200


def test_settings_change_and_422_with_field_errors(client, make_tenant, key_for):
    tenant = make_tenant("linde")
    key = key_for(tenant, "program:write")
    bad = client.patch(
        "/t/linde/api/v1/program/settings",
        json={"brand_color": "blue", "clinicians_see_all_patients": "perhaps", "extra": 1},
        headers=bearer(key),
    )
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert set(bad.json["errors"]) == {"brand_color", "clinicians_see_all_patients", "extra"}
    newline = client.patch(
        "/t/linde/api/v1/program/settings", json={"brand_color": "#aabbcc\n"}, headers=bearer(key)
    )
    assert newline.status_code == 422
    not_json = client.patch(
        "/t/linde/api/v1/program/settings",
        data="x",
        headers=bearer(key) | {"Content-Type": "text/plain"},
    )
    assert not_json.status_code == 422
    good = client.patch(
        "/t/linde/api/v1/program/settings",
        json={"brand_color": "#1F6B45", "clinicians_see_all_patients": True},
        headers=bearer(key),
    )
    assert good.json == {"brand_color": "#1f6b45", "clinicians_see_all_patients": True}
    assert client.get("/t/linde/brand.css").text.count("#1f6b45") == 1
    changed = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "settings.changed")
    )
    assert changed.detail == {
        "before": {"brand_color": "#0b5fa5", "clinicians_see_all_patients": False},
        "after": {"brand_color": "#1f6b45", "clinicians_see_all_patients": True},
    }


def test_enrol_a_patient(client, make_tenant, make_user, key_for):
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    key = key_for(tenant, "enrolments:write")
    body = {
        "email": "sanne@example.nl",
        "name": "Sanne Visser",
        "birth_year": 1994,
        "delivery_date": "2026-10-01",
        "clinician_email": "fysio@linde.nl",
    }
    created = client.post("/t/linde/api/v1/enrolments", json=body, headers=bearer(key))
    assert created.status_code == 201
    assert re.fullmatch(r"P[A-HJ-NP-Z2-9]{8}", created.json["pseudonym"])
    assert created.json["phase"] == "information"
    patient = database.session.scalars(select(Patient)).one()
    assert patient.clinician.email == "fysio@linde.nl"
    again = client.post("/t/linde/api/v1/enrolments", json=body, headers=bearer(key))
    assert again.status_code == 409
    unknown = client.post(
        "/t/linde/api/v1/enrolments",
        json=body | {"email": "noor@example.nl", "clinician_email": "nobody@linde.nl"},
        headers=bearer(key),
    )
    assert unknown.status_code == 422
    assert "clinician_email" in unknown.json["errors"]
    future = client.post(
        "/t/linde/api/v1/enrolments",
        json=body | {"email": "eva@example.nl", "delivery_date": "2999-01-01"},
        headers=bearer(key),
    )
    assert future.status_code == 422


def test_api_calls_are_rate_limited_per_key(make_app, redis_url, db, make_tenant, key_for):
    app = make_app(
        REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url, API_RATE_LIMIT="3 per minute"
    )
    tenant = make_tenant("linde")
    key, other = key_for(tenant), key_for(tenant)
    client = app.test_client()
    statuses = [
        client.get("/t/linde/api/v1/key", headers=bearer(key)).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/t/linde/api/v1/key", headers=bearer(other)).status_code == 200


def test_the_openapi_document_describes_every_api_route(client, make_tenant, app):
    make_tenant("linde")
    spec = client.get("/t/linde/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": "/t/linde"}]
    api_rules = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert api_rules == documented
    enrol = spec["paths"]["/api/v1/enrolments"]["post"]
    assert "409" in enrol["responses"]
    assert "422" in enrol["responses"]
    assert "Enrolment" in spec["components"]["schemas"]
