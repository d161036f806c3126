"""Inviting staff, accepting an invitation, changing roles and details, deactivating.

The rules of `rules.py` are applied here, for the admin console and any later caller alike;
views only translate a `StaffError` into form errors. Nothing here commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from pelvicoach.platform import passwords
from pelvicoach.platform.accounts import (
    Role,
    User,
    UserRole,
    create_user,
    find_user,
    normalise_email,
)
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tokens import digest
from pelvicoach.tenants.care_providers import CareProvider
from pelvicoach.tenants.staff import rules
from pelvicoach.tenants.staff.models import StaffInvitation, StaffProfile

VALID_FOR = timedelta(days=7)


class StaffError(ValueError):
    """The change cannot be made; `problems` maps form fields to messages."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Details:
    """What an admin fills in for a member of staff."""

    roles: frozenset[str]
    register: str = ""
    number: str = ""
    organisation: str = ""
    care_provider_id: int | None = None
    team: str = ""

    @property
    def registration(self) -> str | None:
        return rules.registration(self.register, self.number)


def contracted_providers(tenant_id: int) -> list[CareProvider]:
    """The care providers an insurer's clinician may work for."""
    return list(
        db.session.scalars(
            select(CareProvider)
            .where(CareProvider.tenant_id == tenant_id, CareProvider.contracted.is_(True))
            .order_by(CareProvider.name)
        )
    )


def _checked(tenant_id: int, tenant_kind: str, details: Details) -> dict[str, Any]:
    """The profile fields to store, or StaffError."""
    provider = (
        db.session.get(CareProvider, details.care_provider_id) if details.care_provider_id else None
    )
    if provider is not None and provider.tenant_id != tenant_id:
        provider = None
    found = rules.problems(
        tenant_kind,
        set(details.roles),
        registration_valid=details.registration is not None,
        organisation=details.organisation,
        provider=rules.Organisation(provider.name, provider.contracted) if provider else None,
    )
    if found:
        raise StaffError(found)
    if Role.CLINICIAN not in details.roles:
        return {"registration": "", "organisation": "", "care_provider_id": None, "team": ""}
    at_insurer = tenant_kind == "insurer"
    return {
        "registration": details.registration,
        "organisation": provider.name if at_insurer and provider else details.organisation.strip(),
        "care_provider_id": provider.id if at_insurer and provider else None,
        "team": details.team.strip(),
    }


def invite(
    tenant_id: int,
    tenant_kind: str,
    *,
    email: str,
    name: str,
    details: Details,
    invited_by: int | None,
    link: Callable[[str], str],
    site_name: str,
    locale: str,
) -> StaffInvitation:
    """Store an invitation and queue its mail; an open invitation to the same address is
    replaced. `link` turns the token into the address she opens."""
    email = normalise_email(email)
    if find_user(tenant_id, email) is not None:
        raise StaffError(
            {"email": _("This address already has an account here: invite another address.")}
        )
    profile = _checked(tenant_id, tenant_kind, details)
    now = datetime.now(UTC)
    db.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.email == email,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        tenant_id=tenant_id,
        email=email,
        name=name.strip(),
        roles=sorted(details.roles),
        token_hash=digest(token),
        invited_by=invited_by,
        expires_at=now + VALID_FOR,
        **profile,
    )
    db.session.add(invitation)
    db.session.flush()
    with force_locale(locale):
        queue_mail(
            tenant_id=tenant_id,
            to=email,
            subject=_("You are invited to %(site)s", site=site_name),
            body=_(
                "Hello %(name)s,\n\nYou are invited to work in %(site)s. Choose your password"
                " here within 7 days:\n%(link)s\n\nYou will then set up two-step verification"
                " with an authenticator app on your phone.\n\nDid you not expect this? Then you"
                " can ignore this e-mail.\n",
                name=invitation.name,
                site=site_name,
                link=link(token),
            ),
            purpose="staff_invitation",
        )
    return invitation


def open_invitation(tenant_id: int, token: str) -> StaffInvitation | None:
    invitation = db.session.scalar(
        select(StaffInvitation).where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.token_hash == digest(token),
        )
    )
    return invitation if invitation is not None and invitation.open else None


def accept(tenant_id: int, token: str, password: str) -> User:
    """Her account, with the invitation's roles; StaffError when the password will not do or
    the link is no longer good. The invitation is spent by a conditional UPDATE, so two
    requests cannot both use it."""
    invitation = open_invitation(tenant_id, token)
    if invitation is None:
        raise StaffError({"token": _("This invitation is no longer valid.")})
    found = passwords.problems(password, staff=True, email=invitation.email)
    if found:
        raise StaffError({"password": " ".join(found)})
    spent = db.session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, StaffInvitation.accepted_at.is_(None))
        .values(accepted_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1 or find_user(tenant_id, invitation.email) is not None:
        raise StaffError({"token": _("This invitation is no longer valid.")})
    user = create_user(
        tenant_id=tenant_id,
        email=invitation.email,
        name=invitation.name,
        roles=invitation.roles,
        password=password,
    )
    db.session.flush()
    if Role.CLINICIAN in invitation.roles:
        db.session.add(
            StaffProfile(
                tenant_id=tenant_id,
                user_id=user.id,
                registration=invitation.registration,
                organisation=invitation.organisation,
                team=invitation.team,
                care_provider_id=invitation.care_provider_id,
            )
        )
    return user


def revoke(invitation: StaffInvitation) -> None:
    invitation.revoked_at = datetime.now(UTC)


def profile_of(user: User) -> StaffProfile | None:
    return db.session.get(StaffProfile, user.id)


def describe(user: User) -> dict[str, Any]:
    """A member of staff as the audit log records her before and after a change."""
    profile = profile_of(user)
    return {
        "roles": sorted(user.roles),
        "active": user.active,
        "registration": profile.registration if profile else "",
        "organisation": profile.organisation if profile else "",
        "team": profile.team if profile else "",
    }


def _active_admins(tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(User.tenant_id == tenant_id, User.active.is_(True), UserRole.role == Role.ADMIN)
    )


def _keeps_an_admin(user: User, losing: bool) -> None:
    if losing and user.has_role(Role.ADMIN) and user.active and _active_admins(user.tenant_id) <= 1:
        raise StaffError({"roles": _("Someone else must be an admin first: keep at least one.")})


def change(user: User, tenant_kind: str, details: Details) -> None:
    """New roles and professional details for a member of staff."""
    if user.has_role(Role.PATIENT, Role.OPERATOR):
        raise StaffError({"roles": _("Only staff accounts are managed here.")})
    profile_fields = _checked(user.tenant_id, tenant_kind, details)
    _keeps_an_admin(user, losing=Role.ADMIN not in details.roles)
    if set(details.roles) != set(user.roles):
        user.role_rows = [UserRole(role=role) for role in sorted(details.roles)]
        user.end_sessions()  # what she may do changed: she signs in again under the new roles
    profile = profile_of(user)
    if Role.CLINICIAN in details.roles:
        if profile is None:
            profile = StaffProfile(tenant_id=user.tenant_id, user_id=user.id)
            db.session.add(profile)
        for name, value in profile_fields.items():
            setattr(profile, name, value)
    elif profile is not None:
        db.session.delete(profile)


def deactivate(user: User, acting: User) -> None:
    """She can no longer sign in, and every session of hers ends at once."""
    if user.id == acting.id:
        raise StaffError({"user": _("You cannot deactivate your own account.")})
    _keeps_an_admin(user, losing=True)
    user.deactivate()


def reactivate(user: User) -> None:
    user.active = True
