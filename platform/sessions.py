"""Sign-in sessions, kept on the server: the cookie only names one.

A session ends when she signs out (that row is closed, so a copy of the cookie taken before is
worthless), when it has been idle too long, when it reaches its absolute lifetime, or when the
account's credentials change (password set, account deactivated: every session made before
carries the old `User.session_token` and no longer counts). Staff sessions are short, as staff
open other people's health data; a patient stays signed in on her own phone for longer.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import DateTime, ForeignKey, Index, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, joinedload, mapped_column

from pelvicoach.platform.accounts import Role, User
from pelvicoach.platform.extensions import BigId, as_utc, db
from pelvicoach.platform.tenancy import (
    ENVIRON_SLUG,
    SLUG_PATTERN,
    PlatformOrTenantScoped,
    cross_tenant,
    tenant_context,
)
from pelvicoach.platform.tokens import digest

STAFF_IDLE = timedelta(minutes=30)
STAFF_LIFETIME = timedelta(hours=12)
PATIENT_IDLE = timedelta(days=7)
PATIENT_LIFETIME = timedelta(days=30)
TOUCH_EVERY = timedelta(minutes=1)  # "last seen" is written at most this often
ACTIVE_EVERY = timedelta(days=1)  # the account's "last active" is kept to the day


class UserSession(PlatformOrTenantScoped, db.Model):
    __tablename__ = "user_sessions"
    __table_args__ = (
        Index("ix_user_sessions_tenant_id_user_id", "tenant_id", "user_id"),
        Index("ix_user_sessions_last_seen_at", "last_seen_at"),
    )

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The cookie holds the token; only its hash is kept, so a copy of this table signs no one in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[str] = mapped_column(String(32))  # the account's session_token then
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def lifetimes(user: User) -> tuple[timedelta, timedelta]:
    """(idle, absolute) for this account."""
    if user.is_staff or user.has_role(Role.OPERATOR):
        return STAFF_IDLE, STAFF_LIFETIME
    return PATIENT_IDLE, PATIENT_LIFETIME


def start(user: User) -> str:
    """Open a session for `user` in the caller's transaction; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    user.last_active_at = now
    db.session.add(
        UserSession(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=digest(token),
            generation=user.session_token,
            started_at=now,
            last_seen_at=now,
        )
    )
    return token


def resume(token: str, tenant_id: int | None) -> tuple[User, UserSession] | None:
    """The account and session this cookie token names, if the session still counts here."""
    row = (
        db.session.execute(
            select(User, UserSession)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == digest(token))
            .options(joinedload(User.role_rows))  # one query for the page's whole identity
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user, session = row
    now = datetime.now(UTC)
    idle, lifetime = lifetimes(user)
    if (
        session.ended_at is not None
        or session.generation != user.session_token
        or not user.active
        or user.tenant_id != tenant_id
        or as_utc(session.last_seen_at) + idle < now
        or as_utc(session.started_at) + lifetime < now
    ):
        return None
    return user, session


def needs_touch(session: UserSession) -> bool:
    return as_utc(session.last_seen_at) + TOUCH_EVERY < datetime.now(UTC)


def touch(session_id: int, user_id: int, tenant_id: int | None) -> None:
    """Mark a session, and once a day its account, as used now (run after the response, in a
    transaction of its own)."""
    now = datetime.now(UTC)
    with tenant_context(tenant_id, db.session):
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(User)
            .where(
                User.id == user_id,
                or_(User.last_active_at.is_(None), User.last_active_at < now - ACTIVE_EVERY),
            )
            .values(last_active_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def end(token: str) -> None:
    """Close the session this token names (signing out), in the caller's transaction."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )


def purge() -> int:
    """Forget sessions that cannot count any more (periodic job, platform role): ended,
    expired, or from before the account's credentials last changed."""
    now = datetime.now(UTC)
    stale = select(User.id).where(
        User.id == UserSession.user_id, User.session_token != UserSession.generation
    )
    with cross_tenant(db.session, "purge ended and expired sessions"):
        result = db.session.execute(
            delete(UserSession).where(
                or_(
                    UserSession.ended_at.is_not(None),
                    UserSession.started_at < now - PATIENT_LIFETIME,
                    UserSession.last_seen_at < now - PATIENT_IDLE,
                    stale.exists(),
                )
            )
        )
        db.session.commit()
    return result.rowcount


class TenantCookies(SecureCookieSessionInterface):
    """One session cookie per tenant site. Tenants served by path share a host; with one cookie
    for all, opening one tenant's page would cancel a half-finished sign-in at another. Each
    site signs with a salt of its own, so a cookie from one site means nothing at another."""

    @property
    def salt(self) -> str:  # type: ignore[override]
        return f"cookie-session:{request.host}{request.script_root}"

    def get_cookie_name(self, app: Flask) -> str:
        slug = _path_slug()
        name = super().get_cookie_name(app)
        return f"{name}-{slug}" if slug else name

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root if _path_slug() else super().get_cookie_path(app)


def _path_slug() -> str | None:
    slug = request.environ.get(ENVIRON_SLUG)
    return slug if slug and SLUG_PATTERN.match(slug) else None


def init_app(app: Flask) -> None:
    app.session_interface = TenantCookies()
    # The cookie may outlive the browser; whether it still signs anyone in is decided here.
    app.config["PERMANENT_SESSION_LIFETIME"] = PATIENT_LIFETIME
    # Sent again only when it changes: its life is the session's absolute lifetime from sign-in
    # anyway, and re-sending an unchanged cookie on every response let a slow concurrent request
    # (a service worker's update check) put back an older one, undoing a language choice.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
