"""Liveness and readiness, against the real services and against closed ports."""

from __future__ import annotations


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert len(response.headers["X-Request-ID"]) == 32


def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


def test_readyz_without_redis_configured(make_app):
    response = make_app(REDIS_URL=None).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"] == "not configured"


def test_readyz_reports_an_unreachable_database(make_app):
    app = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["reason"].startswith("database: ")
    assert response.json["checks"]["database"] == "unavailable"


def test_readyz_reports_an_unreachable_redis(make_app):
    response = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"].startswith("redis: ")
    assert response.json["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "redis": "unavailable",
    }


def test_a_sensible_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-1234567890"})
    assert response.headers["X-Request-ID"] == "lb-1234567890"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert forged.headers["X-Request-ID"] != "bad id; with spaces"


def test_readyz_is_not_ready_on_an_old_schema(make_app, db, owner_engine):
    with owner_engine.begin() as connection:
        head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    try:
        response = make_app().test_client().get("/readyz")
    finally:
        with owner_engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE alembic_version SET version_num = %(head)s", {"head": head}
            )
    assert response.status_code == 503
    assert response.json["checks"]["migrations"] == "behind"
    assert response.json["reason"].startswith("migrations: database at ['0001']")


def test_probes_answer_over_plain_http_in_production(make_app, db):
    """Orchestrators probe the pod directly, without TLS: no redirect to https for them."""
    client = make_app(PELVICOACH_MODE="production", SESSION_COOKIE_SECURE=True).test_client()
    assert client.get("/healthz", base_url="http://10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", base_url="http://10.0.0.7:8000").status_code == 200
    # Pages are HTTPS only, and only on configured hosts: an address is not one.
    assert client.get("/login", base_url="http://pelvicoach.test").status_code == 302
    assert client.get("/login", base_url="https://10.0.0.7").status_code == 404


def test_rejected_requests_are_logged_with_their_request_id(make_app, db, caplog):
    import logging

    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    with caplog.at_level(logging.INFO, logger="pelvicoach.request"):
        response = client.post("/login", data={}, headers={"X-Request-ID": "csrf-12345678"})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] == "csrf-12345678"
    assert any("POST /login 400" in r.getMessage() for r in caplog.records)


def test_an_unusable_host_header_gets_a_plain_error_not_a_crash(client):
    response = client.get("/login", headers={"Host": "a" * 64 + ".localhost"})
    assert 400 <= response.status_code < 500
    assert "<h1>" in response.text


def test_a_web_process_on_a_role_that_can_cross_tenants_is_not_ready(
    make_app, db, platform_database_url
):
    production = {"PELVICOACH_MODE": "production", "SESSION_COOKIE_SECURE": True}
    web = make_app(SQLALCHEMY_DATABASE_URI=platform_database_url, **production)
    response = web.test_client().get("/readyz", base_url="https://10.0.0.7")
    assert response.status_code == 503
    assert "the web's role can read across tenants" in response.json["reason"]
    assert make_app(**production).test_client().get("/readyz").status_code == 200


def test_a_secret_key_that_db_upgrade_did_not_see_is_not_ready(make_app, db):
    response = make_app(SECRET_KEY="another-secret-key-" + "x" * 32).test_client().get("/readyz")
    assert response.status_code == 503
    assert "the tenant binding does not verify" in response.json["reason"]
