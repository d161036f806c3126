"""Values encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256) with keys from the
environment: a copy of the database, or a backup, does not hold authenticators' secrets.

`PELVICOACH_TOTP_KEYS` lists keys newest first: the first encrypts, all decrypt. Rotating is
putting a new key in front, restarting, running `pelvicoach rotate-totp-keys` (which re-encrypts
every value with the new key), then dropping the old key (README, "Rotating the TOTP key")."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Every Fernet token starts so (its version byte and timestamp); not a secret.
SEALED_PREFIX = "gAAAAA"


class KeyMismatchError(RuntimeError):
    """A stored value none of the configured keys opens: a key was dropped too soon."""


def _fernet() -> MultiFernet:
    keys = tuple(current_app.config["TOTP_KEYS"])
    cached = current_app.extensions.get("pelvicoach.sealed")
    if cached is None or cached[0] != keys:
        cached = (keys, MultiFernet([Fernet(key) for key in keys]))
        current_app.extensions["pelvicoach.sealed"] = cached
    return cached[1]


class Sealed(TypeDecorator[str]):
    """A short text stored encrypted; read back as plain text. A value written before
    encryption (plain) is read as it is, until `rotate-totp-keys` seals it."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _fernet().encrypt(str(value).encode()).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(SEALED_PREFIX):
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise KeyMismatchError(
                "a sealed value opens with none of PELVICOACH_TOTP_KEYS"
            ) from None
