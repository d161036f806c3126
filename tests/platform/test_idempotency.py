"""Idempotency-Key on the enrolment API: a call sent again gets the first answer; two calls
racing with one key create one patient (real PostgreSQL, real threads); the batch endpoint
answers each item on its own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from pelvicoach.platform import idempotency
from pelvicoach.platform.idempotency import IdempotencyKey
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.programs.enrolment.models import Patient

SANNE = {"email": "sanne@example.nl", "name": "Sanne Visser", "birth_year": 1993}


def _post(client, key: str, body: dict, idempotency_key: str | None = None, path: str = ""):
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return client.post(f"/t/linde/api/v1/enrolments{path}", json=body, headers=headers)


def _patients(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Patient))


def test_the_same_key_and_body_get_the_first_answer(client, make_tenant, key_for, db):
    tenant = make_tenant("linde")
    key = key_for(tenant, "enrolments:write")
    first = _post(client, key, SANNE, "retry-1")
    assert first.status_code == 201
    again = _post(client, key, dict(reversed(SANNE.items())), "retry-1")  # same body, other order
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _patients(db) == 1
    invited = db.session.scalars(select(OutgoingMail.recipient)).all()
    assert invited == ["sanne@example.nl"]  # her invitation, once, through the outbox
    other_body = _post(client, key, {**SANNE, "name": "Iemand Anders"}, "retry-1")
    assert other_body.status_code == 409
    assert other_body.mimetype == "application/problem+json"
    without = _post(client, key, SANNE)  # no key: an ordinary call, refused as a duplicate
    assert without.status_code == 409
    assert "already" in without.json["detail"]
    another_api_key = key_for(tenant, "enrolments:write")
    assert _post(client, another_api_key, SANNE, "retry-1").status_code == 409  # ran anew
    assert _patients(db) == 1
    assert _post(client, key, SANNE, "x" * 201).status_code == 400


def test_racing_calls_with_one_key_create_one_patient(app, db, make_tenant, key_for, serve):
    tenant = make_tenant("linde")
    key = key_for(tenant, "enrolments:write")
    base = serve(app)

    def call(_n: int) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{base}/t/linde/api/v1/enrolments",
            data=json.dumps(SANNE).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": "race-1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(call, range(16)))
    statuses = sorted(status for status, _body in answers)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    pseudonyms = {body["pseudonym"] for status, body in answers if status == 201}
    assert len(pseudonyms) == 1  # every 201 is the same, first answer
    for status, body in answers:
        if status == 409:
            assert "still running" in body["detail"]
    assert _patients(db) == 1


def test_keys_expire_after_a_day(client, make_tenant, key_for, db, platform_app):
    tenant = make_tenant("linde")
    key = key_for(tenant, "enrolments:write")
    assert _post(client, key, SANNE, "old").status_code == 201
    db.session.execute(
        update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=25))
    )
    db.session.commit()
    again = _post(client, key, SANNE, "old")
    assert again.status_code == 409  # it ran again: the address exists now
    assert "Idempotent-Replayed" not in again.headers
    db.session.execute(
        update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=25))
    )
    db.session.commit()
    assert idempotency.purge() == 1


def test_a_batch_answers_each_item(client, make_tenant, make_user, key_for, db):
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    make_user(tenant, "bestaat@example.nl", "patient")
    key = key_for(tenant, "enrolments:write")
    items = [
        {**SANNE},
        {
            "email": "noor@example.nl",
            "name": "Noor",
            "birth_year": 1990,
            "clinician_email": "fysio@linde.nl",
        },
        {"email": "geen-adres", "name": "X", "birth_year": 1990},
        {**SANNE, "name": "Dubbel"},
        {"email": "bestaat@example.nl", "name": "Y", "birth_year": 1990},
        {
            "email": "lisa@example.nl",
            "name": "Lisa",
            "birth_year": 1990,
            "clinician_email": "nobody@linde.nl",
        },
        {
            "email": "fout@example.nl",
            "name": "Z",
            "birth_year": 1990,
            "delivery_date": "2999-01-01",
        },
    ]
    answer = _post(client, key, {"enrolments": items}, "batch-1", "/batch")
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json["results"]] == [201, 201, 422, 409, 409, 422, 422]
    assert (answer.json["created"], answer.json["failed"]) == (2, 5)
    assert "email" in answer.json["results"][2]["errors"]
    assert "clinician_email" in answer.json["results"][5]["errors"]
    assert _patients(db) == 2
    assert _post(client, key, {"enrolments": items}, "batch-1", "/batch").json == answer.json
    assert _patients(db) == 2
    too_many = _post(client, key, {"enrolments": [SANNE] * 1001}, path="/batch")
    assert too_many.status_code == 422
    assert _post(client, key, {"enrolments": []}, path="/batch").status_code == 422
