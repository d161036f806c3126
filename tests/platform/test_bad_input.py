"""Bad input gets a 4xx with a clear message, never a 500; a server error is still answered and
logged without touching the failed database session; bodies are bounded; nothing with personal
data may be cached."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select, text

from pelvicoach.platform import logs
from pelvicoach.platform.extensions import db as database
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.services import get_by_slug


def _api(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


@pytest.fixture
def linde_key(make_tenant, key_for) -> str:
    return key_for(make_tenant("linde"), "program:write", "enrolments:write")


def test_deeply_nested_json_is_a_400_problem(client, linde_key):
    body = "[" * 100_000 + "]" * 100_000
    response = client.patch("/t/linde/api/v1/program/settings", data=body, headers=_api(linde_key))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "nested too deeply" in response.json["detail"]


def test_changes_nested_too_deeply_for_a_program_are_a_422_problem(client, linde_key):
    """Deep enough to pass the JSON parser, too deep to lay over the default program."""
    value: object = 1
    for _ in range(600):
        value = [value]
    body = json.dumps({"changes": {"anything": value}})
    response = client.put("/t/linde/api/v1/program", data=body, headers=_api(linde_key))
    assert response.status_code == 422
    assert response.json["errors"] == {
        "changes": {"_schema": ["The changes are nested too deeply."]}
    }


def test_an_idempotent_call_with_a_body_too_deep_to_read_is_a_400(client, linde_key):
    body = "[" * 100_000 + "]" * 100_000
    headers = _api(linde_key) | {"Idempotency-Key": "k1"}
    response = client.post("/t/linde/api/v1/enrolments", data=body, headers=headers)
    assert response.status_code == 400
    assert "nested too deeply" in response.json["detail"]


def test_malformed_json_is_a_400_problem_that_says_so(client, linde_key):
    response = client.patch(
        "/t/linde/api/v1/program/settings", data='{"brand_color": ', headers=_api(linde_key)
    )
    assert response.status_code == 400
    assert response.json["detail"].startswith("The body is not valid JSON")


def test_a_nul_character_in_a_json_string_is_a_400_and_stores_nothing(client, linde_key):
    body = {"email": "noor@example.nl", "name": "Noor\u0000", "birth_year": 1992}
    response = client.post(
        "/t/linde/api/v1/enrolments", data=json.dumps(body), headers=_api(linde_key)
    )
    assert response.status_code == 400
    assert "NUL" in response.json["detail"]
    assert database.session.scalar(select(func.count()).select_from(Patient)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/t/linde/staff/patients/PX%00Y",
        "/t/linde/reset-password/abc%00def",
        "/t/linde/login?next=/%00",
        "/t/linde/%00",
        "/t/lin%00de/login",
    ],
)
def test_a_nul_character_in_the_path_or_query_is_a_400(
    client, make_tenant, make_user, sign_in_staff, path
):
    clinician = make_user(make_tenant("linde"), "fysio@linde.nl", "clinician")
    sign_in_staff("linde", clinician)
    page = client.get(path)
    assert page.status_code == 400
    assert "Er klopte iets niet in je verzoek" in page.text
    problem = client.get(path, headers={"Accept": "application/json"})
    assert problem.status_code == 400
    assert problem.json["detail"].startswith("The request contains a NUL character")


def test_a_lone_surrogate_in_a_json_string_is_a_400_and_stores_nothing(client, linde_key):
    body = '{"email": "noor@example.nl", "name": "Noor\\ud800", "birth_year": 1992}'
    response = client.post("/t/linde/api/v1/enrolments", data=body, headers=_api(linde_key))
    assert response.status_code == 400
    assert "lone surrogate" in response.json["detail"]
    assert database.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_an_id_too_large_for_its_column_is_no_such_page(
    client, make_tenant, make_user, sign_in_staff
):
    admin = make_user(make_tenant("linde"), "admin@linde.nl", "admin")
    sign_in_staff("linde", admin)
    assert client.post("/t/linde/admin/api-keys/2147483648/revoke").status_code == 404
    assert client.post("/t/linde/admin/api-keys/99999999999999999999/revoke").status_code == 404


def test_a_nul_character_in_a_file_name_is_a_400(client, make_tenant):
    from io import BytesIO

    make_tenant("linde")
    upload = {"email": "a@example.nl", "password": "x" * 12, "file": (BytesIO(b"x"), "a\x00.txt")}
    response = client.post("/t/linde/login", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_nul_character_in_a_form_field_is_a_400(client, make_tenant):
    make_tenant("linde")
    response = client.post(
        "/t/linde/login", data={"email": "sanne\u0000@example.nl", "password": "x" * 12}
    )
    assert response.status_code == 400


@pytest.fixture
def logging_restored():
    """The test may configure logging as production does; it is put back afterwards."""
    logger = logging.getLogger("pelvicoach")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_a_database_error_is_answered_and_logged_without_the_failed_session(
    make_app, db, make_tenant, logging_restored, capsys
):
    make_tenant("linde")
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    logs.configure(json_lines=True, level=logging.INFO)  # the handler and filter of production

    @app.get("/boom")
    def boom():
        database.session.commit()  # whatever the request loaded is expired now
        database.session.execute(text("SELECT 1 / 0"))  # and the transaction has failed

    response = app.test_client().get("/t/linde/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "Internal Server Error"
    err = capsys.readouterr().err.splitlines()
    lines = [json.loads(line) for line in err if line.startswith("{")]
    request_line = next(line for line in lines if line.get("path") == "/boom")
    assert request_line["status"] == 500
    assert request_line["tenant"] == "linde"
    assert any(line["level"] == "ERROR" and line["tenant"] == "linde" for line in lines)


def test_an_error_on_a_page_with_a_secret_in_its_path_logs_the_path_without_it(
    make_app, db, make_tenant, logging_restored, capsys
):
    make_tenant("linde")
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    logs.configure(json_lines=True, level=logging.INFO)

    @app.get("/boom/<token>")
    def boom(token: str):
        raise RuntimeError("broken")

    secret = "geheim-token-0123456789"
    assert app.test_client().get(f"/t/linde/boom/{secret}").status_code == 500
    err = capsys.readouterr().err
    assert "Exception on /boom/*** [GET]" in err
    assert secret not in err


def test_a_body_over_the_limit_is_refused_with_a_413(client, linde_key):
    huge = json.dumps({"brand_color": "#112233", "padding": "x" * 30_000_000})
    response = client.patch("/t/linde/api/v1/program/settings", data=huge, headers=_api(linde_key))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    big = {"email": "a@example.nl", "password": "x" * 2_000_000}
    form = client.post("/t/linde/login", data=big)
    assert form.status_code == 413
    assert "Dit is te groot" in form.text


def test_nothing_with_personal_data_may_be_cached(
    client, make_patient, make_user, sign_in, sign_in_staff, linde_key
):
    linde = get_by_slug("linde")
    clinician = make_user(linde, "fysio@linde.nl", "clinician")
    patient = make_patient(linde, "sanne@example.nl", clinician=clinician)
    sign_in("linde", "sanne@example.nl")
    for path in ("/t/linde/", "/t/linde/my-data/access", "/t/linde/login"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    client.post("/t/linde/logout")
    sign_in_staff("linde", clinician)
    record = client.get(f"/t/linde/staff/patients/{patient.pseudonym}")
    assert record.status_code == 200
    assert record.headers["Cache-Control"] == "no-store"
    api = client.get("/t/linde/api/v1/key", headers=_api(linde_key))
    assert api.headers["Cache-Control"] == "no-store"
    # Files without personal data may be cached as before.
    assert "no-store" not in client.get("/t/linde/static/css/app.css").headers.get(
        "Cache-Control", ""
    )
    assert "public" in client.get("/t/linde/brand.css").headers["Cache-Control"]
