"""Two-step verification: TOTP (authenticator app) with one-time recovery codes."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from sqlalchemy import DateTime, ForeignKey, String, or_, update
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import PlatformOrTenantScoped
from pelvicoach.platform.tokens import digest

ISSUER = "Pelvicoach"
RECOVERY_CODES = 10


class RecoveryCode(PlatformOrTenantScoped, db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, user: User, label: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"{ISSUER} {label}")


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images, not inline SVG scripts)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` is valid for (allowing one step of clock drift), or None."""
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        if secrets.compare_digest(totp.at(at).encode(), code.encode()):
            return int(at // totp.interval)
    return None


SIX_DIGITS = re.compile(r"[0-9]{6}")


def check_code(secret: str, code: str) -> bool:
    code = code.replace(" ", "")
    return bool(SIX_DIGITS.fullmatch(code)) and _step(secret, code, datetime.now(UTC)) is not None


def verify_totp(user: User, code: str) -> bool:
    """A code is good once: a code seen before (replayed, even by a request running at the same
    moment) is refused, because the step is claimed with a conditional UPDATE."""
    code = code.replace(" ", "")
    if not user.totp_secret or not SIX_DIGITS.fullmatch(code):
        return False
    step = _step(user.totp_secret, code, datetime.now(UTC))
    if step is None:
        return False
    db.session.flush()
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _hash(code: str) -> str:
    """Recovery codes are typed by hand: without dashes and spaces, in any case."""
    return digest(code.replace("-", "").replace(" ", "").lower())


def enable(user: User, secret: str) -> list[str]:
    """Switch 2FA on and return fresh recovery codes, to be shown once."""
    user.totp_secret = secret
    user.totp_last_step = None
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(tenant_id=user.tenant_id, user_id=user.id, code_hash=_hash(code))
        for code in codes
    )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code; a conditional UPDATE, so two requests cannot both spend it."""
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1
