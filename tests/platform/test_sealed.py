"""Authenticator secrets are encrypted at rest with keys from the environment, and the keys can
be rotated without anyone setting up her authenticator again."""

from __future__ import annotations

import contextvars

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from pelvicoach.platform.accounts import User, create_user
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.sealed import KeyMismatchError

SECRET = pyotp.random_base32()
LEGACY = pyotp.random_base32()


def _stored(owner_engine, email: str) -> str:
    with owner_engine.connect() as connection:
        return connection.execute(
            text("SELECT totp_secret FROM users WHERE email = :email"), {"email": email}
        ).scalar_one()


def test_the_database_holds_no_secret_in_the_clear(
    client, make_tenant, make_user, sign_in_staff, owner_engine
):
    tenant = make_tenant("linde")
    staff = make_user(tenant, "fysio@example.nl", "clinician")
    stored = _stored(owner_engine, "fysio@example.nl")
    assert stored.startswith("gAAAAA")
    assert staff.totp_secret not in stored
    assert sign_in_staff("linde", staff).headers["Location"] == "/t/linde/staff/"


def _read(app, email: str) -> str | None:
    def run() -> str | None:
        with app.app_context():
            return database.session.scalar(select(User.totp_secret).where(User.email == email))

    return contextvars.Context().run(run)


def test_keys_rotate_and_old_plain_secrets_get_sealed(make_app, db, owner_engine):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = make_app(platform=True, TOTP_KEYS=(old,))

    def add() -> None:
        with before.app_context():
            for email, secret in (("ops@pelvicoach.nl", SECRET), ("ops2@pelvicoach.nl", None)):
                user = create_user(tenant_id=None, email=email, name="Ops", roles=["operator"])
                user.totp_secret = secret
            database.session.commit()

    contextvars.Context().run(add)
    with owner_engine.begin() as connection:  # a secret stored before encryption existed
        connection.execute(
            text("UPDATE users SET totp_secret = :plain WHERE email = 'ops2@pelvicoach.nl'"),
            {"plain": LEGACY},
        )
    sealed_by_old = _stored(owner_engine, "ops@pelvicoach.nl")

    during = make_app(platform=True, TOTP_KEYS=(new, old))
    assert _read(during, "ops@pelvicoach.nl") == SECRET
    assert _read(during, "ops2@pelvicoach.nl") == LEGACY
    runner = during.test_cli_runner()
    result = contextvars.Context().run(runner.invoke, args=["rotate-totp-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2" in result.output
    assert _stored(owner_engine, "ops@pelvicoach.nl") != sealed_by_old
    assert _stored(owner_engine, "ops2@pelvicoach.nl").startswith("gAAAAA")

    after = make_app(platform=True, TOTP_KEYS=(new,))
    assert _read(after, "ops@pelvicoach.nl") == SECRET
    assert _read(after, "ops2@pelvicoach.nl") == LEGACY
    too_soon = make_app(platform=True, TOTP_KEYS=(old,))
    with pytest.raises(KeyMismatchError):
        _read(too_soon, "ops@pelvicoach.nl")
