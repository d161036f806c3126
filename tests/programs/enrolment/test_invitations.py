"""A woman invited at the enrolment desk: a branded e-mail with a link that works once, for 14
days; her first visit records her password and consents (version and time); the desk follows
each invitation's state and can send it again or withdraw it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from conftest import PASSWORD as STAFF_PASSWORD
from sqlalchemy import select

from pelvicoach.platform.accounts import User
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import invitations
from pelvicoach.programs.enrolment.invitations import CONSENT_VERSION
from pelvicoach.programs.enrolment.models import Consent, Patient, PatientInvitation

PASSWORD = "mijn-eigen-wachtwoord"
CONSENTS = {"terms": "y", "privacy": "y", "health_data": "y"}


@pytest.fixture
def officer(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    sign_in_staff("linde", make_user(tenant, "eva@linde.nl", "enrolment"))
    return tenant


def _invite(client, email: str = "sanne@example.nl", **extra):
    return client.post(
        "/t/linde/staff/enrolment/",
        data={
            "name": "Sanne Visser",
            "email": email,
            "cohort": "postpartum",
            "birth_year": "1993",
            "delivery_date": "2026-09-01",
            "clinician": "fysio@linde.nl",
            **extra,
        },
    )


def _link(db, email: str) -> str:
    body = db.session.scalar(
        select(OutgoingMail.body)
        .where(OutgoingMail.recipient == email)
        .order_by(OutgoingMail.id.desc())
    )
    return re.search(r"https?://\S+(/t/linde/welcome/\S+)", body).group(1)


def _states(client) -> list[str]:
    page = client.get("/t/linde/staff/enrolment/?lang=en").text
    return re.findall(r'class="pc-invitation-state">([a-z]+)<', page)


def test_invited_she_chooses_a_password_and_consents_once(app, client, officer, db):
    assert _invite(client).status_code == 302
    patient = db.session.scalar(select(Patient))
    assert patient.clinician.email == "fysio@linde.nl"
    link = _link(db, "sanne@example.nl")
    assert _states(client) == ["sent"]
    her = app.test_client()
    page = her.get(link)
    assert page.status_code == 200
    assert "Kies een wachtwoord" in page.text
    assert _states(client) == ["opened"]
    refused = her.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "terms": "y"})
    assert refused.status_code == 422
    assert db.session.scalar(select(Consent)) is None  # without consent, nothing is kept
    welcome = her.post(link, data={"password": PASSWORD, "confirm": PASSWORD, **CONSENTS})
    assert welcome.headers["Location"] == "/t/linde/"
    assert "Hallo Sanne" in her.get("/t/linde/").text
    consents = db.session.scalars(select(Consent)).all()
    assert sorted(c.kind for c in consents) == ["health_data", "privacy", "terms"]
    assert {c.version for c in consents} == {CONSENT_VERSION}
    assert _states(client) == ["registered"]
    assert app.test_client().get(link).status_code == 404  # once only
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"patient.invited", "patient.registered"} <= actions


def test_sending_again_replaces_the_link_and_withdrawing_ends_it(app, client, officer, db):
    _invite(client)
    first = _link(db, "sanne@example.nl")
    invitation = db.session.scalar(select(PatientInvitation))
    assert client.post(f"/t/linde/staff/enrolment/{invitation.id}/resend").status_code == 302
    second = _link(db, "sanne@example.nl")
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    newest = db.session.scalars(
        select(PatientInvitation).order_by(PatientInvitation.id.desc())
    ).first()
    client.post(f"/t/linde/staff/enrolment/{newest.id}/revoke")
    assert app.test_client().get(second).status_code == 404
    assert sorted(_states(client)) == ["withdrawn", "withdrawn"]


def test_once_she_registered_no_link_of_hers_sets_a_password_again(app, client, officer, db):
    """Not even one the desk sends again from an older invitation: a new password by mail
    would pass by her two-step verification."""
    _invite(client)
    first = db.session.scalar(select(PatientInvitation))
    client.post(f"/t/linde/staff/enrolment/{first.id}/resend")
    her = app.test_client()
    link = _link(db, "sanne@example.nl")
    welcome = her.post(link, data={"password": PASSWORD, "confirm": PASSWORD, **CONSENTS})
    assert welcome.headers["Location"] == "/t/linde/"
    assert client.post(f"/t/linde/staff/enrolment/{first.id}/resend").status_code == 404
    assert client.post(f"/t/linde/staff/enrolment/{first.id}/revoke").status_code == 404
    with tenant_context(officer.id, db.session):  # a link of hers still open, made by hand
        patient = db.session.scalar(select(Patient))
        token = invitations.issue(patient)
        db.session.commit()
    other = app.test_client()
    assert other.get(f"/t/linde/welcome/{token}").status_code == 404
    taken = other.post(
        f"/t/linde/welcome/{token}", data={"password": "x" * 20, "confirm": "x" * 20, **CONSENTS}
    )
    assert taken.status_code == 404
    signed_in = app.test_client().post(
        "/t/linde/login", data={"email": "sanne@example.nl", "password": PASSWORD}
    )
    assert signed_in.status_code == 302  # her own password still works


def test_an_expired_link_says_so(app, client, officer, db):
    _invite(client)
    link = _link(db, "sanne@example.nl")
    with tenant_context(officer.id, db.session):
        db.session.scalar(select(PatientInvitation)).expires_at = datetime.now(UTC) - timedelta(
            minutes=1
        )
        db.session.commit()
    assert app.test_client().get(link).status_code == 404
    assert _states(client) == ["expired"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "geen-adres"),
        ("birth_year", "1800"),
        ("delivery_date", "2999-01-01"),
        ("clinician", "nobody@linde.nl"),
    ],
)
def test_bad_invitations_are_refused_at_the_field(client, officer, db, field, value):
    response = _invite(client, **{field: value})
    assert response.status_code == 422
    assert "is-invalid" in response.text
    assert db.session.scalar(select(Patient)) is None


def test_the_same_address_twice_is_refused(client, officer, db):
    _invite(client)
    again = _invite(client)
    assert again.status_code == 422
    assert len(db.session.scalars(select(Patient)).all()) == 1


@pytest.mark.parametrize("role", ["admin", "analyst", "patient"])
def test_only_officers_and_clinicians_invite(
    client, make_tenant, make_user, make_patient, sign_in_staff, sign_in, role
):
    tenant = make_tenant("linde")
    if role == "patient":
        make_patient(tenant, "p@example.nl")
        sign_in("linde", "p@example.nl")
    else:
        sign_in_staff("linde", make_user(tenant, f"{role}@example.nl", role))
    assert client.get("/t/linde/staff/enrolment/").status_code == 403


def test_a_clinician_at_the_desk_sees_and_acts_on_her_own_women_only(
    app, client, make_tenant, make_user, sign_in_staff, db
):
    tenant = make_tenant("linde")
    fysio = make_user(tenant, "fysio@linde.nl", "clinician")
    make_user(tenant, "other@linde.nl", "clinician")
    sign_in_staff("linde", make_user(tenant, "eva@linde.nl", "enrolment"))
    for email, clinician in [("mine@example.nl", "fysio"), ("hers@example.nl", "other")]:
        assert _invite(client, email, clinician=f"{clinician}@linde.nl").status_code == 302
    officer, client = client, app.test_client()
    client.post("/t/linde/login", data={"email": fysio.email, "password": STAFF_PASSWORD})
    client.post("/t/linde/login/verify", data={"code": pyotp.TOTP(fysio.totp_secret).now()})
    assert _invite(client, "invited-by-me@example.nl", clinician="").status_code == 302

    page = client.get("/t/linde/staff/enrolment/").text
    assert "mine@example.nl" in page
    assert "invited-by-me@example.nl" in page
    assert "hers@example.nl" not in page
    hers = db.session.scalar(
        select(PatientInvitation.id)
        .join(Patient)
        .join(User, User.id == Patient.user_id)
        .where(User.email == "hers@example.nl")
    )
    assert client.post(f"/t/linde/staff/enrolment/{hers}/revoke").status_code == 404
    assert db.session.get(PatientInvitation, hers).revoked_at is None
    # the desk's own staff see every invitation; each look at the list is on record
    assert "hers@example.nl" in officer.get("/t/linde/staff/enrolment/").text
    counts = db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "invitations.list")
        .order_by(AuditEvent.seq)
    ).all()
    assert counts == [{"count": 2}, {"count": 3}]
