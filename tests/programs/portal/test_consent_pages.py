"""Withdrawing her consent from her data page stops the coach (its pages send her home, which
says why; her data, her account and the way out stay open); giving it again picks up where
she was. An enrolment her tenant ended cannot be resumed by her."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient, StopReason

COACHING = ("/t/linde/learn", "/t/linde/training", "/t/linde/intake", "/t/linde/progress")
STILL_OPEN = (
    "/t/linde/my-data",
    "/t/linde/my-data.json",
    "/t/linde/my-data/access",
    "/t/linde/my-data/consent",
    "/t/linde/my-data/delete",
    "/t/linde/reminders",
    "/t/linde/care",
)


def _consented(tenant, patient) -> None:
    given = datetime(2026, 11, 2, 10, tzinfo=UTC)
    with tenant_context(tenant.id, database.session):
        for kind in ConsentKind:
            database.session.add(
                Consent(
                    tenant_id=tenant.id,
                    patient_id=patient.id,
                    kind=kind,
                    version="2026-11",
                    given_at=given,
                )
            )
        database.session.commit()


def _state(tenant, patient) -> tuple[Patient, list[Consent]]:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        her = database.session.get(Patient, patient.id)
        consents = database.session.scalars(select(Consent).order_by(Consent.id)).all()
        return her, consents


def test_withdrawing_stops_the_coach_and_consenting_again_resumes_it(linde, patient_in, client):
    patient = patient_in()
    _consented(linde, patient)
    data = client.get("/t/linde/my-data?lang=en")
    assert "/t/linde/my-data/consent" in data.text
    assert "/t/linde/reminders" in data.text
    page = client.get("/t/linde/my-data/consent")
    assert page.status_code == 200
    assert page.text.count("version 2026-11") == 3
    assert "Give my consent" not in page.text  # nothing to give again yet

    withdrawn = client.post("/t/linde/my-data/consent", data={"action": "withdraw"})
    assert withdrawn.headers["Location"] == "/t/linde/"
    her, consents = _state(linde, patient)
    assert her.stop_reason == StopReason.WITHDRAWN
    assert her.stopped_at is not None
    assert {c.kind: c.withdrawn_at is not None for c in consents} == {
        "terms": False,  # not consents she withdraws
        "privacy": False,
        "health_data": True,
    }
    home = client.get("/t/linde/")
    assert "The coach has stopped" in home.text
    assert "withdrew your consent" in home.text
    assert "24 months" in home.text  # how long her data is kept, her tenant's setting
    assert 'class="pc-subnav"' not in home.text  # no way into the coaching pages
    for path in COACHING:
        assert client.get(path).headers.get("Location") == "/t/linde/", path
    assert client.post("/t/linde/training/log", json={}).headers["Location"] == "/t/linde/"
    for path in STILL_OPEN:
        assert client.get(path).status_code == 200, path
    with tenant_context(linde.id, database.session):
        actions = database.session.scalars(select(AuditEvent.action)).all()
    assert "patient.consent_withdrawn" in actions

    # Giving it again asks for the box to be ticked, then the coach goes on.
    unticked = client.post("/t/linde/my-data/consent", data={"action": "again"})
    assert unticked.status_code == 422
    assert "Tick this box to go on with the coach." in unticked.text
    assert _state(linde, patient)[0].stopped_at is not None
    again = client.post(
        "/t/linde/my-data/consent", data={"action": "again", "again-health_data": "y"}
    )
    assert again.headers["Location"] == "/t/linde/"
    her, consents = _state(linde, patient)
    assert (her.stopped_at, her.stop_reason) == (None, None)
    fresh = [c for c in consents if c.kind == ConsentKind.HEALTH_DATA and c.withdrawn_at is None]
    assert len(fresh) == 1
    assert fresh[0].version == "2026-11"
    assert client.get("/t/linde/learn").status_code == 200
    assert "The coach has stopped" not in client.get("/t/linde/").text


def test_an_ended_enrolment_is_not_resumed_by_her(linde, patient_in, client):
    patient = patient_in()
    _consented(linde, patient)
    with tenant_context(linde.id, database.session):
        lifecycle.end(
            database.session.merge(patient),
            StopReason.LEFT,
            site_name=linde.name,
            link="https://linde.example/",
        )
        database.session.commit()
    home = client.get("/t/linde/?lang=en")
    assert "ended your place in the coach" in home.text
    assert "/t/linde/my-data/consent" not in home.text  # no "go on" for her
    # Neither giving consent again nor withdrawing reopens or changes it.
    for data in ({"action": "again", "again-health_data": "y"}, {"action": "withdraw"}):
        assert client.post("/t/linde/my-data/consent", data=data).status_code == 422
    her, consents = _state(linde, patient)
    assert her.stop_reason == StopReason.LEFT
    assert all(c.withdrawn_at is None for c in consents)
    assert client.get("/t/linde/training").headers["Location"] == "/t/linde/"
    assert client.get("/t/linde/my-data.json").status_code == 200
