"""Two-step verification, password reset over real SMTP, rate limits and lockout, sessions."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from pelvicoach.platform.accounts import User
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.password_reset import PasswordResetToken
from pelvicoach.platform.twofactor import RecoveryCode

PASSWORD = "correct-horse-battery-staple"


def _actions() -> list[str]:
    return list(database.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_staff_must_set_up_two_step_verification_first(client, make_tenant, db, sign_in):
    from pelvicoach.platform.accounts import create_user

    tenant = make_tenant("linde")
    user = create_user(
        tenant_id=tenant.id,
        email="anouk@linde.nl",
        name="Anouk",
        roles=["clinician"],
        password=PASSWORD,
    )
    database.session.commit()
    response = sign_in("linde", "anouk@linde.nl")
    assert response.headers["Location"] == "/t/linde/login/setup-2fa"
    # Not signed in yet: the staff page still sends her to the login.
    assert client.get("/t/linde/staff/").status_code == 302
    page = client.get("/t/linde/login/setup-2fa")
    assert 'src="data:image/svg+xml' in page.text
    secret = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', page.text).group(1)
    assert client.post("/t/linde/login/setup-2fa", data={"code": "000000"}).status_code == 200
    done = client.post("/t/linde/login/setup-2fa", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li>([0-9a-f]{8}-[0-9a-f]{8})</li>", done.text)
    assert len(codes) == 10
    assert client.get("/t/linde/staff/").status_code == 200
    database.session.refresh(user)
    assert user.totp_secret == secret
    assert {"2fa.enabled", "login.success"} <= set(_actions())


def test_second_step_refuses_wrong_and_replayed_codes(client, make_tenant, make_user, sign_in):
    tenant = make_tenant("linde")
    user = make_user(tenant, "anouk@linde.nl", "clinician")
    assert sign_in("linde", user.email).headers["Location"] == "/t/linde/login/verify"
    wrong = client.post("/t/linde/login/verify", data={"code": "123456"})
    assert "Deze code klopt niet" in wrong.text
    code = pyotp.TOTP(user.totp_secret).now()
    assert client.post("/t/linde/login/verify", data={"code": code}).status_code == 302
    client.post("/t/linde/logout")
    sign_in("linde", user.email)
    replay = client.post("/t/linde/login/verify", data={"code": code})
    assert "Deze code klopt niet" in replay.text
    assert "login.second_step_failure" in _actions()


def test_a_recovery_code_works_once(client, make_tenant, make_user, sign_in, db):
    from pelvicoach.platform import twofactor

    tenant = make_tenant("linde")
    user = make_user(tenant, "anouk@linde.nl", "admin")
    codes = twofactor.new_recovery_codes(user)
    database.session.commit()
    sign_in("linde", user.email)
    assert client.post("/t/linde/login/verify", data={"code": codes[0]}).status_code == 302
    client.post("/t/linde/logout")
    sign_in("linde", user.email)
    assert client.post("/t/linde/login/verify", data={"code": codes[0]}).status_code == 200
    unused = database.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    assert len(unused) == 9


def test_patients_sign_in_with_a_password_alone(client, make_tenant, make_patient, sign_in):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    assert sign_in("linde", "sanne@example.nl").headers["Location"] == "/t/linde/"


def test_password_reset_by_email_end_to_end(mail_app, db, make_tenant, make_patient, run_jobs):
    make_patient(make_tenant("linde", name="Praktijk De Linde"), "sanne@example.nl")
    client = mail_app.test_client()
    old_session = mail_app.test_client()
    old_session.post("/t/linde/login", data={"email": "sanne@example.nl", "password": PASSWORD})
    assert "Hallo" in old_session.get("/t/linde/").text

    response = client.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    assert response.status_code == 302
    assert run_jobs(mail_app) >= 1
    (message,) = mail_app.mailbox.messages
    assert message["To"] == "sanne@example.nl"
    assert "Praktijk De Linde" in message["Subject"]
    # The link is built on the configured host the request came in on.
    link = re.search(
        r"http://pelvicoach\.test(/t/linde/reset-password/\S+)", message.get_content()
    ).group(1)
    # The token is stored only as a hash, and the sent mail's body is no longer kept.
    token = link.rsplit("/", 1)[1]
    stored = database.session.scalars(select(PasswordResetToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1

    weak = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert "te vaak gebruikt" in weak.text
    done = client.post(
        link, data={"password": "a new long password", "confirm": "a new long password"}
    )
    assert done.headers["Location"] == "/t/linde/login"
    # single use, the old password is gone, and every old session has ended
    again = client.post(
        link, data={"password": "another long one!", "confirm": "another long one!"}
    )
    assert again.status_code == 404
    assert "Deze link werkt niet meer" in again.text
    assert (
        "horen niet bij elkaar"
        in client.post(
            "/t/linde/login", data={"email": "sanne@example.nl", "password": PASSWORD}
        ).text
    )
    assert "Hallo" not in old_session.get("/t/linde/").text
    login = client.post(
        "/t/linde/login", data={"email": "sanne@example.nl", "password": "a new long password"}
    )
    assert login.headers["Location"] == "/t/linde/"
    assert {"password.reset_requested", "password.reset"} <= set(_actions())


def test_password_reset_for_an_unknown_address_looks_the_same(
    mail_app, db, make_tenant, make_patient, run_jobs
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    answers = []
    for email in ("nobody@example.nl", "sanne@example.nl"):
        client = mail_app.test_client()
        response = client.post("/t/linde/forgot-password", data={"email": email})
        answers.append(
            (response.status_code, response.headers["Location"], client.get("/t/linde/login").text)
        )
    assert answers[0] == answers[1]
    assert "hebben we een link gestuurd" in answers[0][2]
    assert run_jobs(mail_app) == 3  # two requests handled alike, one mail for the real account
    assert [m["To"] for m in mail_app.mailbox.messages] == ["sanne@example.nl"]


def test_an_expired_reset_link_is_refused(mail_app, db, make_tenant, make_patient, run_jobs):
    from datetime import UTC, datetime, timedelta

    make_patient(make_tenant("linde"), "sanne@example.nl")
    client = mail_app.test_client()
    client.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    run_jobs(mail_app)
    link = re.search(r"(/t/linde/reset-password/\S+)", mail_app.mailbox.messages[0].get_content())
    row = database.session.scalar(select(PasswordResetToken))
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    database.session.commit()
    response = client.get(link.group(1))
    assert response.status_code == 404


@pytest.mark.parametrize("change", ["new password", "deactivated"])
def test_a_reset_link_ends_with_a_new_password_or_a_deactivation(
    mail_app, db, make_tenant, make_patient, run_jobs, change
):
    """Her password changed by her own hand since, or her account switched off: a link in her
    mailbox no longer sets one."""
    make_patient(make_tenant("linde"), "sanne@example.nl")
    client = mail_app.test_client()
    client.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    run_jobs(mail_app)
    link = re.search(r"(/t/linde/reset-password/\S+)", mail_app.mailbox.messages[0].get_content())
    assert client.get(link.group(1)).status_code == 200
    user = database.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    if change == "new password":
        user.set_password("een-heel-ander-wachtwoord")
    else:
        user.deactivate()
    database.session.commit()
    assert client.get(link.group(1)).status_code == 404
    new = {"password": "nog-een-ander-wachtwoord", "confirm": "nog-een-ander-wachtwoord"}
    assert client.post(link.group(1), data=new).status_code == 404


def test_unknown_addresses_are_limited_the_same_way(client, make_tenant, sign_in):
    make_tenant("linde")
    statuses = [sign_in("linde", "ghost@example.nl", "guess").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_logins_are_rate_limited_per_address(client, make_tenant, sign_in):
    make_tenant("linde")
    statuses = [sign_in("linde", f"user{i}@example.nl", "guess").status_code for i in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_changing_the_password_ends_other_sessions(client, app, make_tenant, make_patient, sign_in):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    other = app.test_client()
    other.post("/t/linde/login", data={"email": "sanne@example.nl", "password": PASSWORD})
    assert "Hallo" in other.get("/t/linde/").text
    sign_in("linde", "sanne@example.nl")
    common = client.post(
        "/t/linde/account/password",
        data={"current": PASSWORD, "password": "iloveyou123", "confirm": "iloveyou123"},
    )
    assert "te vaak gebruikt" in common.text
    response = client.post(
        "/t/linde/account/password",
        data={"current": PASSWORD, "password": "my new long pass", "confirm": "my new long pass"},
    )
    assert response.status_code == 302
    assert "Hallo" in client.get("/t/linde/").text  # this session carries on
    assert "Hallo" not in other.get("/t/linde/").text  # the other one has ended


def test_a_deactivated_account_is_signed_out(client, make_tenant, make_patient, sign_in, db):
    patient = make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    assert "Hallo" in client.get("/t/linde/").text
    user = database.session.get(User, patient.user_id)
    user.deactivate()
    database.session.commit()
    assert "Hallo" not in client.get("/t/linde/").text


def test_staff_passwords_need_twelve_characters(client, make_tenant, make_user, sign_in_staff):
    user = make_user(make_tenant("linde"), "anouk@linde.nl", "admin")
    sign_in_staff("linde", user)
    response = client.post(
        "/t/linde/account/password",
        data={"current": PASSWORD, "password": "short pass1", "confirm": "short pass1"},
    )
    assert "12 tekens" in response.text


def test_operator_signs_in_outside_every_tenant(client, make_user, make_tenant, sign_in_staff, db):
    operator = make_user(None, "ops@pelvicoach.nl", "operator")
    make_tenant("linde")
    # the operator account does not exist on a tenant's site
    tenant_login = client.post(
        "/t/linde/login", data={"email": "ops@pelvicoach.nl", "password": PASSWORD}
    )
    assert tenant_login.status_code == 200
    assert sign_in_staff(None, operator).headers["Location"] == "/operator/"
    assert "Taken die wachten" in client.get("/operator/").text
    assert client.get("/t/linde/operator/").status_code == 404


def test_login_audit_counts(client, make_tenant, make_patient, sign_in, db):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl", "nope")
    sign_in("linde", "sanne@example.nl")
    counts = dict(
        database.session.execute(
            select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
        ).all()
    )
    assert counts == {"login.failure": 1, "login.success": 1}


def test_a_half_signed_in_user_cannot_replace_her_second_factor(
    client, make_tenant, make_user, sign_in
):
    user = make_user(make_tenant("linde"), "anouk@linde.nl", "clinician")
    sign_in("linde", user.email)  # password only
    response = client.get("/t/linde/login/setup-2fa")
    assert response.headers["Location"] == "/t/linde/login/verify"
    posted = client.post("/t/linde/login/setup-2fa", data={"code": "123456"})
    assert posted.headers["Location"] == "/t/linde/login/verify"
    assert client.get("/t/linde/staff/").status_code == 302


def test_a_patient_switches_two_step_verification_on_with_her_password(
    client, make_tenant, make_patient, sign_in
):
    """A session alone (a borrowed phone, a copied cookie) cannot put someone else's
    authenticator on her account."""
    make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    page = client.get("/t/linde/login/setup-2fa?lang=en")
    assert 'name="password"' in page.text
    secret = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', page.text).group(1)
    code = pyotp.TOTP(secret).now()
    wrong = client.post("/t/linde/login/setup-2fa?lang=en", data={"code": code, "password": "x"})
    assert "That is not your password." in wrong.text
    assert database.session.scalar(select(User.totp_secret)) is None
    done = client.post("/t/linde/login/setup-2fa", data={"code": code, "password": PASSWORD})
    assert done.status_code == 200
    database.session.expire_all()
    assert database.session.scalar(select(User.totp_secret)) is not None


def test_a_deep_link_survives_signing_in(client, make_tenant, make_patient):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    bounced = client.get("/t/linde/my-data/access")
    assert bounced.headers["Location"].startswith("/t/linde/login?next=")
    response = client.post(
        bounced.headers["Location"], data={"email": "sanne@example.nl", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/t/linde/my-data/access"
    assert client.get("/t/linde/my-data/access").status_code == 200


def test_odd_next_targets_and_codes_never_break_or_leave_the_site(
    client, make_tenant, make_patient, make_user
):
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl")
    for target in ("/\\evil.example", "/ok%0d%0aSet-Cookie:x=1", "/\r\nX: y", "//evil.example"):
        response = client.post(
            "/t/linde/login",
            query_string={"next": target},
            data={"email": "sanne@example.nl", "password": PASSWORD},
        )
        assert response.headers["Location"] in ("/t/linde/", target.replace("\r\n", "")), target
        assert "evil" not in response.headers["Location"]
        client.post("/t/linde/logout")
    user = make_user(tenant, "anouk@linde.nl", "clinician")
    client.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
    odd = client.post("/t/linde/login/verify", data={"code": "١٢٣٤٥٦"})
    assert odd.status_code == 200
    assert "Deze code klopt niet" in odd.text


def test_a_pending_sign_in_dies_with_a_password_change(client, make_tenant, make_user, db):
    from pelvicoach.platform.extensions import db as database

    user = make_user(make_tenant("linde"), "anouk@linde.nl", "clinician")
    client.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
    user.set_password("a brand new password")
    database.session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    response = client.post("/t/linde/login/verify", data={"code": code})
    assert response.headers["Location"] == "/t/linde/login"


def test_a_reset_mail_speaks_her_language_and_its_audit_row_says_where_she_asked(
    mail_app, db, make_tenant, make_patient, run_jobs
):
    make_patient(make_tenant("linde", name="Praktijk De Linde"), "sanne@example.nl")
    client = mail_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    client.get("/t/linde/login?lang=en")
    client.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    run_jobs(mail_app)
    (message,) = mail_app.mailbox.messages
    assert message["Subject"] == "Choose a new password for Praktijk De Linde"
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "password.reset_requested")
    )
    assert event.ip == "192.0.2.44"
    assert event.request_id
