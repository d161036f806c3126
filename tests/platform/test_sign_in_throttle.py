"""Guessing is throttled without handing out a denial of service: attempts are counted before
they are checked (also in parallel), one client waits longer and longer, and an account is
locked only after failures from many clients, with its owner told by e-mail."""

from __future__ import annotations

import re

import pyotp
import pytest
from http_helpers import post_in_parallel
from sqlalchemy import select

from pelvicoach.platform import throttle
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.outbox import OutboxJob

PASSWORD = "correct-horse-battery-staple"


def _actions() -> list[str]:
    database.session.expire_all()
    return list(database.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _from(app, address: str):
    """A browser of its own, at another network address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, email: str, password: str):
    return client.post("/t/linde/login", data={"email": email, "password": password})


def test_a_client_waits_after_five_tries_even_with_the_right_password(
    app, client, make_tenant, make_patient
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    for _ in range(5):
        assert _sign_in(client, "sanne@example.nl", "wrong password").status_code == 200
    refused = _sign_in(client, "sanne@example.nl", PASSWORD)
    assert refused.status_code == 429
    assert "Te vaak geprobeerd. Probeer het over 15 minuten opnieuw." in refused.text
    assert 800 < int(refused.headers["Retry-After"]) <= 900
    assert _actions().count("login.failure") == 5  # the sixth was refused before any check
    assert "login.throttled" in _actions()
    # Someone guessing from one address does not shut the owner out elsewhere.
    owner = _from(app, "198.51.100.7")
    assert _sign_in(owner, "sanne@example.nl", PASSWORD).headers["Location"] == "/t/linde/"


def test_a_sign_in_starts_the_count_afresh(client, make_tenant, make_patient):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    for _ in range(4):
        _sign_in(client, "sanne@example.nl", "wrong password")
    assert _sign_in(client, "sanne@example.nl", PASSWORD).status_code == 302
    client.post("/t/linde/logout")
    for _ in range(4):
        assert _sign_in(client, "sanne@example.nl", "wrong password").status_code == 200


def test_parallel_wrong_passwords_are_counted_before_they_are_checked(
    live_server, make_tenant, make_patient
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    answers = post_in_parallel(
        f"{live_server}/t/linde/login",
        [{"email": "sanne@example.nl", "password": f"guess {i}"} for i in range(12)],
    )
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] * 5 + [429] * 7, statuses
    assert _actions().count("login.failure") == 5


def test_parallel_second_step_codes_are_counted_before_they_are_checked(
    live_server, make_tenant, make_user
):
    from http.cookiejar import CookieJar
    from urllib.request import HTTPCookieProcessor, build_opener

    user = make_user(make_tenant("linde"), "anouk@linde.nl", "clinician")
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    opener.open(
        f"{live_server}/t/linde/login",
        data=f"email={user.email}&password={PASSWORD}".encode(),
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    real = pyotp.TOTP(user.totp_secret).now()
    wrong = [f"{(int(real) + i) % 1_000_000:06d}" for i in range(100_000, 100_012)]
    answers = post_in_parallel(
        f"{live_server}/t/linde/login/verify",
        [{"code": code} for code in wrong],
        headers={"Cookie": cookie},
    )
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] * 5 + [429] * 7, statuses
    assert _actions().count("login.second_step_failure") == 5


def test_parallel_reset_requests_are_counted_before_they_are_handled(
    live_server, make_tenant, make_patient
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    answers = post_in_parallel(
        f"{live_server}/t/linde/forgot-password", [{"email": "sanne@example.nl"}] * 8
    )
    assert sorted(answer.status for answer in answers) == [200] * 3 + [429] * 5
    assert len(database.session.scalars(select(OutboxJob)).all()) == 3


@pytest.fixture
def many_clients(mail_app):
    """Wrong passwords from enough addresses to lock an account."""

    def guess(email: str, first_network: int = 0) -> None:
        per_client = throttle.PER_CLIENT[0].amount
        networks = max(throttle.LOCK_AFTER_NETWORKS, -(-throttle.LOCK_AFTER_FAILURES // per_client))
        for number in range(first_network, first_network + networks):  # each an IPv4 /24
            attacker = _from(mail_app, f"198.18.{number}.7")
            for _ in range(per_client):
                _sign_in(attacker, email, "a wrong guess")

    return guess


def test_failures_from_many_networks_pause_the_account_and_tell_its_owner(
    mail_app, db, make_tenant, make_patient, many_clients, run_jobs
):
    make_patient(make_tenant("linde", name="Praktijk De Linde"), "sanne@example.nl")
    phone = _from(mail_app, "192.0.2.10")  # where she signed in before
    assert _sign_in(phone, "sanne@example.nl", PASSWORD).status_code == 302
    phone.post("/t/linde/logout")
    many_clients("sanne@example.nl")
    owner = _from(mail_app, "198.51.100.7")
    locked = _sign_in(owner, "sanne@example.nl", PASSWORD)
    assert locked.status_code == 429
    assert "Inloggen met dit adres is 60 minuten gepauzeerd" in locked.text
    assert _actions().count("login.locked") == 1
    # Her own phone knows the account: the pause does not shut her out there.
    assert _sign_in(phone, "sanne@example.nl", PASSWORD).headers["Location"] == "/t/linde/"

    run_jobs(mail_app)
    (message,) = mail_app.mailbox.messages
    assert message["To"] == "sanne@example.nl"
    assert "Praktijk De Linde" in message["Subject"]
    assert "http://pelvicoach.test/t/linde/forgot-password" in message.get_content()

    # Choosing a new password proves she holds the address: she is let in again.
    owner.post("/t/linde/forgot-password", data={"email": "sanne@example.nl"})
    run_jobs(mail_app)
    link = re.search(r"(/t/linde/reset-password/\S+)", mail_app.mailbox.messages[-1].get_content())
    fresh = "a brand new password"
    owner.post(link.group(1), data={"password": fresh, "confirm": fresh})
    assert _sign_in(owner, "sanne@example.nl", fresh).headers["Location"] == "/t/linde/"
    # Failures are counted afresh after that: a new attack pauses it again, and is told again.
    many_clients("sanne@example.nl", first_network=100)
    assert _actions().count("login.locked") == 2


def test_a_forged_known_device_cookie_does_not_pass_a_pause(
    mail_app, db, make_tenant, make_patient, many_clients
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    many_clients("sanne@example.nl")
    forger = _from(mail_app, "198.51.100.8")
    forger.set_cookie("known-device", "WyJhIl0.forged.signature", domain="pelvicoach.test")
    assert _sign_in(forger, "sanne@example.nl", PASSWORD).status_code == 429


def test_addresses_of_one_ipv6_network_count_as_one_client(app, db, make_tenant, make_patient):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    statuses = [
        _sign_in(_from(app, f"2001:db8:1:2::{n:x}"), "sanne@example.nl", "wrong").status_code
        for n in range(1, 8)
    ]
    assert statuses == [200] * 5 + [429] * 2
    other_network = _from(app, "2001:db8:1:3::1")
    assert _sign_in(other_network, "sanne@example.nl", "wrong").status_code == 200


def test_an_unknown_address_locks_alike_and_nobody_is_mailed(
    mail_app, db, make_tenant, many_clients, run_jobs
):
    make_tenant("linde")
    many_clients("ghost@example.nl")
    answer = _sign_in(_from(mail_app, "198.51.100.7"), "ghost@example.nl", PASSWORD)
    assert answer.status_code == 429
    assert "Inloggen met dit adres is 60 minuten gepauzeerd" in answer.text
    run_jobs(mail_app)
    assert mail_app.mailbox.messages == []


def test_with_redis_down_sign_in_is_still_counted(make_app, db, make_tenant, make_patient):
    closed = "redis://127.0.0.1:1/0"
    make_patient(make_tenant("linde"), "sanne@example.nl")
    client = make_app(REDIS_URL=closed, RATELIMIT_STORAGE_URI=closed).test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.55"  # a fresh address for this process
    statuses = [_sign_in(client, "sanne@example.nl", "wrong").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_one_network_gets_more_tries_but_not_without_end(app, db, make_tenant, make_patient):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    per_network = throttle.PER_NETWORK[0].amount
    statuses = [
        _sign_in(_from(app, f"2001:db8:7:{n:x}::1"), "sanne@example.nl", "wrong").status_code
        for n in range(per_network + 2)  # every one from a /64 of its own, all in one /48
    ]
    assert statuses == [200] * per_network + [429] * 2
    elsewhere = _from(app, "2001:db8:8::1")
    assert _sign_in(elsewhere, "sanne@example.nl", PASSWORD).status_code == 302


def test_ipv4_clients_seen_through_a_dual_stack_listener_stay_apart(
    app, db, make_tenant, make_patient
):
    make_patient(make_tenant("linde"), "sanne@example.nl")
    guesser = _from(app, "::ffff:192.0.2.1")
    for _ in range(6):
        _sign_in(guesser, "sanne@example.nl", "wrong")
    owner = _from(app, "::ffff:198.51.100.9")
    assert _sign_in(owner, "sanne@example.nl", PASSWORD).status_code == 302
