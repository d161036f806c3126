"""User accounts and roles: staff and patients of one tenant, or the platform operator."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import flag_modified

from pelvicoach.platform.extensions import db, enum_column
from pelvicoach.platform.sealed import Sealed
from pelvicoach.platform.tenancy import PlatformOrTenantScoped, cross_tenant, same_tenant


class Role(StrEnum):
    OPERATOR = "operator"
    ADMIN = "admin"
    ENROLMENT = "enrolment"
    CLINICIAN = "clinician"
    ANALYST = "analyst"
    PATIENT = "patient"


STAFF_ROLES = frozenset({Role.ADMIN, Role.ENROLMENT, Role.CLINICIAN, Role.ANALYST})

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when an address is unknown, so a failed login costs the same either way."""
    return _hasher.hash("pelvicoach-timing-equaliser")


class User(UserMixin, PlatformOrTenantScoped, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail is unique per tenant; the operator (no tenant) has a unique address of her own.
        Index("uq_users_tenant_id_email", "tenant_id", "email", unique=True),
        Index(
            "uq_users_operator_email",
            "email",
            unique=True,
            postgresql_where=text("tenant_id IS NULL"),
            sqlite_where=text("tenant_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # The credentials' generation: a new one (password set, account deactivated) ends every
    # session and half-finished sign-in made before.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # Encrypted at rest with PELVICOACH_TOTP_KEYS (`pelvicoach.platform.sealed`).
    totp_secret: Mapped[str | None] = mapped_column(Sealed())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )
    # Her last sign-in or visit, to the day: what a tenant's retention period counts from.
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def needs_second_factor(self) -> bool:
        """Staff must use 2FA; for patients it is their choice."""
        return self.is_staff or self.has_role(Role.OPERATOR) or self.totp_secret is not None

    # The token of the sign-in session this request runs in (`pelvicoach.platform.sessions`).
    session_key = None

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the cookie: the session's token, not the account's id."""
        return self.session_key

    def end_sessions(self) -> None:
        """Every session and half-finished sign-in of this account stops counting."""
        self.session_token = secrets.token_hex(16)

    def deactivate(self) -> None:
        self.active = False
        self.end_sessions()

    def set_password(self, password: str) -> None:
        """Also ends every existing session of this account."""
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        if not self.password_hash:  # enrolled, not yet activated: take as long as a real check
            with contextlib.suppress(VerificationError):
                _hasher.verify(_dummy_hash(), password)
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def __repr__(self) -> str:
        return f"<User {self.id} tenant={self.tenant_id}>"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


def create_user(
    *,
    tenant_id: int | None,
    email: str,
    name: str,
    roles: list[str] | tuple[str, ...],
    password: str | None = None,
    locale: str | None = None,
) -> User:
    """Add a user to the session (the caller commits)."""
    unknown = set(roles) - set(Role)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    if (tenant_id is None) != (Role.OPERATOR in roles):
        raise ValueError("the operator role is for accounts without a tenant; all others need one")
    email = normalise_email(email)
    if find_user(tenant_id, email) is not None:
        raise ValueError("an account with this e-mail address exists here already")
    user = User(tenant_id=tenant_id, email=email, name=name, locale=locale)
    user.role_rows = [UserRole(role=role) for role in dict.fromkeys(roles)]
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(tenant_id: int | None, email: str) -> User | None:
    return db.session.scalar(
        select(User).where(
            same_tenant(User.tenant_id, tenant_id), User.email == normalise_email(email)
        )
    )


def authenticate(tenant_id: int | None, email: str, password: str) -> User | None:
    """The active user with these credentials, or None, taking the same time either way."""
    user = find_user(tenant_id, email)
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def rotate_totp_secrets(batch: int = 500) -> int:
    """Write every authenticator secret again, so each is sealed with the newest key (and one
    stored before encryption is sealed at all); how many. Platform work across tenants."""
    count = 0
    last = 0
    with cross_tenant(db.session, "re-encrypt authenticator secrets"):
        while True:
            users = db.session.scalars(
                select(User)
                .where(User.totp_secret.is_not(None), User.id > last)
                .order_by(User.id)
                .limit(batch)
            ).all()
            if not users:
                return count
            for user in users:
                flag_modified(user, "totp_secret")
            db.session.commit()
            count += len(users)
            last = users[-1].id
