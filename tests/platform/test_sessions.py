"""Sign-in sessions live on the server: signing out ends them for every copy of the cookie, they
expire when idle and at an absolute lifetime, and each tenant site has a cookie of its own."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from pelvicoach.platform import sessions
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.sessions import UserSession

PASSWORD = "correct-horse-battery-staple"


def _signed_in(client, path: str = "/t/linde/my-data/access") -> bool:
    return client.get(path).status_code == 200


def _copy_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _age(**moved: timedelta) -> None:
    """Move every session's timestamps into the past."""
    values = {column: getattr(UserSession, column) - delta for column, delta in moved.items()}
    database.session.execute(update(UserSession).values(**values))
    database.session.commit()


def test_a_cookie_copied_before_signing_out_no_longer_works(
    app, client, make_tenant, make_patient, sign_in
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert _signed_in(thief)
    client.post("/t/linde/logout")
    assert not _signed_in(client)
    assert not _signed_in(thief)
    (row,) = database.session.scalars(select(UserSession)).all()
    assert row.ended_at is not None


def test_signing_out_ends_only_this_session(app, client, make_tenant, make_patient, sign_in):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    phone = app.test_client()
    phone.post("/t/linde/login", data={"email": "sanne@example.nl", "password": PASSWORD})
    sign_in("linde", "sanne@example.nl")
    client.post("/t/linde/logout")
    assert _signed_in(phone)


def test_the_cookie_holds_no_account_id_and_the_table_no_token(
    client, make_tenant, make_patient, sign_in
):
    patient = make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    cookie = client.get_cookie("session-linde", domain="pelvicoach.test", path="/t/linde")
    application = client.application
    with application.test_request_context("/", base_url="http://pelvicoach.test/t/linde"):
        serializer = application.session_interface.get_signing_serializer(application)
        token = serializer.loads(cookie.value)["_user_id"]
    assert str(patient.user_id) not in token.split(":")
    stored = database.session.scalars(select(UserSession.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("roles", "idle_ok", "idle_too_long", "lifetime"),
    [
        (("patient",), timedelta(days=6), timedelta(days=8), timedelta(days=31)),
        (("clinician",), timedelta(minutes=29), timedelta(minutes=31), timedelta(hours=13)),
    ],
)
def test_sessions_end_when_idle_and_at_their_lifetime(
    app, make_tenant, make_user, make_patient, roles, idle_ok, idle_too_long, lifetime
):
    from pelvicoach.platform.accounts import User

    tenant = make_tenant("linde")
    if roles == ("patient",):
        user = database.session.get(User, make_patient(tenant, "someone@linde.nl").user_id)
    else:
        user = make_user(tenant, "someone@linde.nl", *roles)
    page = "/t/linde/my-data/access" if roles == ("patient",) else "/t/linde/staff/"

    def fresh_sign_in():
        browser = app.test_client()
        browser.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
        if user.totp_secret:
            database.session.execute(update(User).values(totp_last_step=None))
            database.session.commit()
            code = pyotp.TOTP(user.totp_secret).now()
            browser.post("/t/linde/login/verify", data={"code": code})
        assert _signed_in(browser, page)
        return browser

    browser = fresh_sign_in()
    _age(last_seen_at=idle_ok, started_at=idle_ok)
    assert _signed_in(browser, page)
    _age(last_seen_at=idle_too_long)
    assert not _signed_in(browser, page)

    browser = fresh_sign_in()
    _age(started_at=lifetime)  # used a moment ago, but opened too long ago
    assert not _signed_in(browser, page)


def test_use_is_noted_after_the_response_at_most_once_a_minute(
    client, make_tenant, make_patient, sign_in
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    _age(last_seen_at=timedelta(minutes=5))
    before = database.session.scalar(select(UserSession.last_seen_at))
    client.get("/t/linde/")
    database.session.expire_all()
    touched = database.session.scalar(select(UserSession.last_seen_at))
    assert touched > before + timedelta(minutes=4)
    client.get("/t/linde/")
    database.session.expire_all()
    assert database.session.scalar(select(UserSession.last_seen_at)) == touched


def test_purge_forgets_sessions_that_cannot_count_any_more(
    client, app, make_tenant, make_patient, sign_in, platform_app
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    client.post("/t/linde/logout")
    sign_in("linde", "sanne@example.nl")  # this one still counts
    with platform_app.app_context():
        assert sessions.purge() == 1
    assert _signed_in(client)


def test_each_tenant_site_has_its_own_cookie(client, make_tenant, make_user):
    linde = make_tenant("linde")
    make_tenant("horizon", kind="insurer")
    user = make_user(linde, "anouk@linde.nl", "clinician")
    first = client.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
    assert first.headers["Location"] == "/t/linde/login/verify"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("session-linde=")
    assert "Path=/t/linde;" in cookie
    # Another tenant's second step, in the same browser, knows nothing of this sign-in...
    other = client.get("/t/horizon/login/verify")
    assert other.headers["Location"] == "/t/horizon/login"
    # ...and does not cancel it.
    code = pyotp.TOTP(user.totp_secret).now()
    done = client.post("/t/linde/login/verify", data={"code": code})
    assert done.headers["Location"] == "/t/linde/staff/"
    assert client.get("/t/linde/staff/").status_code == 200
    assert client.get("/t/horizon/staff/").status_code == 302  # not signed in there


def test_a_session_of_one_tenant_is_worthless_at_another(
    app, client, make_tenant, make_patient, sign_in
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    make_tenant("horizon", kind="insurer")
    sign_in("linde", "sanne@example.nl")
    cookie = client.get_cookie("session-linde", domain="pelvicoach.test", path="/t/linde")
    other = app.test_client()
    other.set_cookie("session-horizon", cookie.value, path="/t/horizon")
    assert other.get("/t/horizon/my-data/access").status_code == 302
    assert _signed_in(client)  # at its own site it still counts


def test_nothing_planted_in_the_cookie_survives_signing_in(
    client, make_tenant, make_user, sign_in_staff
):
    user = make_user(make_tenant("linde"), "anouk@linde.nl", "clinician")
    site = {
        "path": "/",
        "base_url": "http://pelvicoach.test/t/linde",
        "environ_overrides": {"pelvicoach.tenant_slug": "linde"},
    }
    with client.session_transaction(**site) as planted:
        planted["csrf_token"] = "known-to-an-attacker"
        planted["totp_setup"] = "JBSWY3DPEHPK3PXP"
        planted["lang"] = "en"
    sign_in_staff("linde", user)
    with client.session_transaction(**site) as after:
        assert "csrf_token" not in after
        assert "totp_setup" not in after
        assert after["lang"] == "en"  # her language choice stays
        assert after["_user_id"]


def test_a_cookie_of_one_site_means_nothing_at_another(
    app, client, make_tenant, make_user, make_patient
):
    make_tenant("horizon", kind="insurer")
    user = make_user(make_tenant("linde"), "anouk@linde.nl", "clinician")
    client.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
    pending = client.get_cookie("session-linde", domain="pelvicoach.test", path="/t/linde")
    other = app.test_client()
    other.set_cookie("session-horizon", pending.value, domain="pelvicoach.test", path="/t/horizon")
    # Signed for linde's site: at horizon's it is no cookie at all, so no pending sign-in.
    assert other.get("/t/horizon/login/verify").headers["Location"] == "/t/horizon/login"
