"""Campaign codes: made at the desk, used on the tenant's own page by a woman who proves her
address and then gives her consent; limited in uses and time; guessing is limited and audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import codes
from pelvicoach.programs.enrolment.models import Consent, Patient

CODES = "/t/linde/staff/enrolment/codes"
PASSWORD = "mijn-eigen-wachtwoord"
CONSENTS = {"terms": "y", "privacy": "y", "health_data": "y"}


@pytest.fixture
def linde(make_tenant):
    return make_tenant("linde", name="Zorgverzekeraar Linde", kind="insurer")


def _code(db, tenant, code: str = "LENTE2027", **values) -> codes.CampaignCode:
    with tenant_context(tenant.id, db.session):
        row = codes.create_code(
            tenant.id,
            label="Ledenblad lente",
            cohort=values.pop("cohort", "postpartum"),
            max_uses=values.pop("max_uses", 100),
            expires_on=values.pop("expires_on", date.today() + timedelta(days=30)),
            created_by=None,
            code=code,
        )
        db.session.commit()
        return row


def _sign_up(app, code: str, email: str = "roos@example.nl", name: str = "Roos"):
    her = app.test_client()
    first = her.post("/t/linde/join", data={"code": code})
    assert first.headers["Location"] == "/t/linde/join/details", first.text
    sent = her.post(
        "/t/linde/join/details",
        data={"name": name, "email": email, "birth_year": "1994", "delivery_date": "2026-10-01"},
    )
    assert sent.headers["Location"] == "/t/linde/join/sent", sent.text
    return her


def _link(db, email: str, purpose: str = "code_signup") -> str:
    body = db.session.scalar(
        select(OutgoingMail.body)
        .where(OutgoingMail.recipient == email, OutgoingMail.purpose == purpose)
        .order_by(OutgoingMail.id.desc())
    )
    return re.search(r"https?://\S+(/t/linde/join/verify/\S+)", body).group(1)


def test_an_officer_makes_codes_and_withdraws_one(client, linde, make_user, sign_in_staff, db):
    sign_in_staff("linde", make_user(linde, "eva@linde.nl", "enrolment"))
    page = client.get(f"{CODES}?lang=en")
    assert page.status_code == 200
    made = client.post(
        f"{CODES}?lang=en",
        data={
            "label": "Folder huisarts",
            "cohort": "postpartum",
            "max_uses": "50",
            "expires_on": (date.today() + timedelta(days=90)).isoformat(),
            "code": "huisarts-2027",
        },
    )
    assert made.status_code == 302
    row = db.session.scalar(select(codes.CampaignCode))
    assert (row.code, row.max_uses, row.uses) == ("HUISARTS2027", 50, 0)
    again = client.post(
        f"{CODES}?lang=en",
        data={
            "label": "Nog een",
            "cohort": "postpartum",
            "max_uses": "5",
            "expires_on": (date.today() + timedelta(days=9)).isoformat(),
            "code": "Huisarts 2027",
        },
    )
    assert again.status_code == 422
    assert "This code exists already." in again.text
    generated = client.post(
        f"{CODES}?lang=en",
        data={
            "label": "Zonder eigen code",
            "cohort": "menopause",
            "max_uses": "5",
            "expires_on": (date.today() + timedelta(days=9)).isoformat(),
        },
    )
    assert generated.status_code == 302
    made_up = db.session.scalar(
        select(codes.CampaignCode.code).where(codes.CampaignCode.label == "Zonder eigen code")
    )
    assert re.fullmatch(f"[{codes.CODE_ALPHABET}]{{8}}", made_up)
    assert client.post(f"{CODES}/{row.id}/revoke").status_code == 302
    assert "withdrawn" in client.get(f"{CODES}?lang=en").text
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"campaign_code.created", "campaign_code.revoked"} <= actions


@pytest.mark.parametrize("role", ["clinician", "analyst", "patient"])
def test_codes_are_for_officers_and_admins(client, linde, make_user, sign_in_staff, sign_in, role):
    user = make_user(linde, f"{role}@linde.nl", role)
    if role == "patient":
        sign_in("linde", user.email)
    else:
        sign_in_staff("linde", user)
    assert client.get(CODES).status_code in (403, 404)


def test_she_signs_up_with_a_code_proves_her_address_and_consents(app, linde, db):
    _code(db, linde, cohort="postpartum")
    her = _sign_up(app, "lente-2027 ")  # as typed: case, dashes and spaces do not matter
    with tenant_context(linde.id, db.session):
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
    verified = her.get(_link(db, "roos@example.nl"))
    assert re.fullmatch(r"/t/linde/welcome/\S+", verified.headers["Location"])
    welcome = her.post(
        verified.headers["Location"], data={"password": PASSWORD, "confirm": PASSWORD, **CONSENTS}
    )
    assert welcome.headers["Location"] == "/t/linde/"
    with tenant_context(linde.id, db.session):
        patient = db.session.scalar(select(Patient))
        assert (patient.cohort, patient.birth_year, str(patient.delivery_date)) == (
            "postpartum",
            1994,
            "2026-10-01",
        )
        assert patient.user.email == "roos@example.nl"
        assert len(db.session.scalars(select(Consent)).all()) == 3
        assert db.session.scalar(select(codes.CampaignCode.uses)) == 1
        assert db.session.scalar(select(func.count()).select_from(codes.CodeSignup)) == 0
    assert app.test_client().get(_link(db, "roos@example.nl")).status_code == 404  # once


def test_a_code_enrols_no_more_women_than_it_may(app, linde, db):
    _code(db, linde, max_uses=1)
    first = _sign_up(app, "LENTE2027", "a@example.nl")
    second = _sign_up(app, "LENTE2027", "b@example.nl")
    assert first.get(_link(db, "a@example.nl")).status_code == 302
    refused = second.get(_link(db, "b@example.nl") + "?lang=en")
    assert refused.status_code == 404
    assert "This code can no longer be used." in refused.text
    with tenant_context(linde.id, db.session):
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 1
    # Used up: the code is refused at the first step like any unknown one.
    assert app.test_client().post("/t/linde/join", data={"code": "LENTE2027"}).status_code == 422


@pytest.mark.parametrize(
    "values",
    [{"expires_on": date.today() - timedelta(days=1)}, {"max_uses": 1, "used": True}],
)
def test_an_expired_or_used_up_code_reads_as_unknown(app, linde, db, values):
    used = values.pop("used", False)
    row = _code(db, linde, **values)
    if used:
        with tenant_context(linde.id, db.session):
            db.session.get(codes.CampaignCode, row.id).uses = 1
            db.session.commit()
    answer = app.test_client().post("/t/linde/join?lang=en", data={"code": "LENTE2027"})
    assert answer.status_code == 422
    assert "This code is not valid (any more)." in answer.text


def test_someone_with_an_account_is_told_by_mail_not_on_the_page(app, linde, make_user, db):
    make_user(linde, "roos@example.nl", "patient")
    _code(db, linde)
    _sign_up(app, "LENTE2027")  # the same answer as for anyone
    purposes = set(
        db.session.scalars(
            select(OutgoingMail.purpose).where(OutgoingMail.recipient == "roos@example.nl")
        )
    )
    assert purposes == {"code_signup_known"}
    assert db.session.scalar(select(func.count()).select_from(codes.CodeSignup)) == 0


def test_guessing_is_limited_and_every_wrong_guess_audited(app, linde, db):
    _code(db, linde)
    guesser = app.test_client()
    answers = [
        guesser.post("/t/linde/join", data={"code": f"RADEN{n:03d}"}).status_code for n in range(11)
    ]
    assert answers == [422] * 10 + [429]
    # Even the right code waits until the hour is over.
    assert guesser.post("/t/linde/join", data={"code": "LENTE2027"}).status_code == 429
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign_code.guess_failed")
    ).all()
    assert len(failed) == 10
    assert failed[0].detail["tried"] == "RADEN000"


def test_one_networks_many_clients_guess_no_more_than_thirty_an_hour(app, linde, db):
    _code(db, linde)
    answers = [
        app.test_client().post(
            "/t/linde/join",
            data={"code": f"RADEN{n:03d}"},
            environ_base={"REMOTE_ADDR": f"2001:db8:1:{n:x}::1"},  # a /64 each, one /48
        )
        for n in range(31)
    ]
    assert [answer.status_code for answer in answers] == [422] * 30 + [429]


def test_her_confirmation_mail_repeats_nothing_typed_and_one_address_gets_three(app, linde, db):
    """Whoever signs up types the address and the name: a mail to an address nobody proved
    yet carries neither their words nor a flood."""
    _code(db, linde)
    name = "Roos\n\nBetaal eerst via https://evil.example/pay"
    for n in range(3):
        her = app.test_client()
        her.post("/t/linde/join", data={"code": "LENTE2027"})
        form = {"name": name, "email": "roos@example.nl", "birth_year": "1994"}
        sent = her.post(
            "/t/linde/join/details", data=form, environ_base={"REMOTE_ADDR": f"10.0.{n}.1"}
        )
        assert sent.status_code == 302
    fourth = app.test_client()
    fourth.post("/t/linde/join", data={"code": "LENTE2027"})
    refused = fourth.post("/t/linde/join/details", data=form)
    assert refused.status_code == 429
    bodies = db.session.scalars(
        select(OutgoingMail.body).where(OutgoingMail.recipient == "roos@example.nl")
    ).all()
    assert len(bodies) == 3
    assert not [body for body in bodies if "evil.example" in body or "Roos" in body]


def test_an_unconfirmed_sign_up_is_forgotten_after_a_day(app, linde, db):
    _code(db, linde)
    _sign_up(app, "LENTE2027")
    with tenant_context(linde.id, db.session):
        signup = db.session.scalar(select(codes.CodeSignup))
        signup.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    assert codes.purge() == 1
    assert app.test_client().get(_link(db, "roos@example.nl")).status_code == 404
