"""Password reset by e-mail: a single-use, expiring token, stored only as a hash."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import DateTime, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform import audit, outbox
from pelvicoach.platform.accounts import User, find_user
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tenancy import PlatformOrTenantScoped, same_tenant
from pelvicoach.platform.tokens import digest

VALID_FOR = timedelta(hours=1)


class PasswordResetToken(PlatformOrTenantScoped, db.Model):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Her account's session token when the link was made: a new password, a deactivation or
    # "sign out everywhere" changes it, and with it every link she was sent before.
    session_token: Mapped[str | None] = mapped_column(String(32))


TOKEN_PLACEHOLDER = "RESET-TOKEN"  # noqa: S105 (where the token goes in the link)


def request_reset(tenant_id: int | None, email: str, link_template: str, site_name: str) -> None:
    """Queue the work of a reset request. Known or unknown address, the request itself does the
    same (one outbox row), so its timing tells nothing about whether an account exists. The job
    writes in the language she asked in, and audits where the request came from."""
    ip, request_id = audit.request_origin()
    outbox.defer(
        send_reset_link,
        tenant_id,
        email,
        link_template,
        site_name,
        {"locale": str(get_locale()), "ip": ip, "request_id": request_id},
        tenant_id=tenant_id,
        queue="high",
        job_id=f"reset-{secrets.token_hex(12)}",
    )


def send_reset_link(
    tenant_id: int | None,
    email: str,
    link_template: str,
    site_name: str,
    asked: dict[str, Any] | None = None,  # absent in jobs queued before it was added
) -> None:
    """Job: mail a reset link if the address has an active account here."""
    asked = asked or {"locale": current_app.config["BABEL_DEFAULT_LOCALE"], "ip": None}
    user = find_user(tenant_id, email)
    if user is None or not user.active:
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            tenant_id=tenant_id,
            user_id=user.id,
            token_hash=digest(token),
            expires_at=datetime.now(UTC) + VALID_FOR,
            session_token=user.session_token,
        )
    )
    with force_locale(asked["locale"]):
        queue_mail(
            tenant_id=tenant_id,
            to=user.email,
            subject=_("Choose a new password for %(site)s", site=site_name),
            body=_(
                "Hello %(name)s,\n\nYou asked for a new password. Choose one here within an"
                " hour:\n%(link)s\n\nDid you not ask for this? Then you can ignore this e-mail;"
                " your password stays the same.\n",
                name=user.name,
                link=link_template.replace(TOKEN_PLACEHOLDER, token),
            ),
            purpose="password_reset",
        )
    audit.record(
        "password.reset_requested",
        object_type="user",
        object_id=str(user.id),
        actor_id=user.id,
        origin=(asked["ip"], asked.get("request_id")),
    )


def user_for_token(tenant_id: int | None, token: str) -> User | None:
    row = _valid(tenant_id, token)
    return db.session.get(User, row.user_id) if row else None


def _valid(tenant_id: int | None, token: str) -> PasswordResetToken | None:
    """The token while unused, unexpired, and its account active and unchanged since."""
    return db.session.scalar(
        select(PasswordResetToken)
        .join(User, User.id == PasswordResetToken.user_id)
        .where(
            same_tenant(PasswordResetToken.tenant_id, tenant_id),
            PasswordResetToken.token_hash == digest(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > datetime.now(UTC),
            PasswordResetToken.session_token == User.session_token,
            User.active.is_(True),
        )
    )


def reset_password(tenant_id: int | None, token: str, password: str) -> User | None:
    """Set the new password and spend every open token of the account; None if the token is
    unknown, used or expired. The caller checks the password rules first."""
    row = _valid(tenant_id, token)
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    user.set_password(password)
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
    audit.record("password.reset", object_type="user", object_id=str(user.id), actor_id=user.id)
    return user
