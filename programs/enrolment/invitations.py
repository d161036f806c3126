"""Inviting a woman who has been enrolled, and her first visit: a password, the terms, the
privacy statement and her explicit consent to the processing of health data (AVG/GDPR
article 9), each recorded with its version and time. Nothing here commits."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from pelvicoach.platform import passwords
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tokens import digest
from pelvicoach.programs.enrolment.models import (
    Consent,
    ConsentKind,
    Patient,
    PatientInvitation,
)

VALID_FOR = timedelta(days=14)
# The wording of the terms and the consent she agrees to; a new wording is a new version.
CONSENT_VERSION = "2026-11"


class InvitationError(ValueError):
    """`problems` maps the form's fields to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def invite(
    patient: Patient,
    *,
    invited_by: int | None,
    link: Callable[[str], str],
    site_name: str,
    locale: str,
) -> PatientInvitation:
    """A new link (any open one stops working) and its e-mail, sent through the outbox."""
    now = datetime.now(UTC)
    db.session.execute(
        update(PatientInvitation)
        .where(
            PatientInvitation.tenant_id == patient.tenant_id,
            PatientInvitation.patient_id == patient.id,
            PatientInvitation.registered_at.is_(None),
            PatientInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = PatientInvitation(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        token_hash=digest(token),
        invited_by=invited_by,
        sent_at=now,
        expires_at=now + VALID_FOR,
    )
    db.session.add(invitation)
    db.session.flush()
    with force_locale(locale):
        queue_mail(
            tenant_id=patient.tenant_id,
            to=patient.user.email,
            subject=_("Your pelvic floor coach at %(site)s", site=site_name),
            body=_(
                "Hello %(name)s,\n\n%(site)s invites you to its pelvic floor coach: exercises"
                " at home, at your own pace. Choose your password here within 14 days:\n"
                "%(link)s\n\nDid you not expect this e-mail? Then you can ignore it.\n",
                name=patient.user.name,
                site=site_name,
                link=link(token),
            ),
            purpose="patient_invitation",
        )
    return invitation


def open_invitation(tenant_id: int, token: str) -> PatientInvitation | None:
    """The invitation of this link while it can still be used; marks it opened."""
    invitation = db.session.scalar(
        select(PatientInvitation).where(
            PatientInvitation.tenant_id == tenant_id,
            PatientInvitation.token_hash == digest(token),
        )
    )
    now = datetime.now(UTC)
    if invitation is None or invitation.state(now) not in ("sent", "opened"):
        return None
    if invitation.opened_at is None:
        invitation.opened_at = now
    return invitation


def register(invitation: PatientInvitation, password: str, agreed: set[ConsentKind]) -> Patient:
    """Her password and her consents; InvitationError (by field) when either will not do.
    The link is spent by a conditional UPDATE, so it works once even when sent twice."""
    patient = db.session.get(Patient, invitation.patient_id)
    problems = {}
    found = passwords.problems(password, staff=False, email=patient.user.email)
    if found:
        problems["password"] = " ".join(found)
    for kind in ConsentKind:
        if kind not in agreed:
            problems[kind.value] = _("Needed to use the coach.")
    if problems:
        raise InvitationError(problems)
    now = datetime.now(UTC)
    spent = db.session.execute(
        update(PatientInvitation)
        .where(PatientInvitation.id == invitation.id, PatientInvitation.registered_at.is_(None))
        .values(registered_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise InvitationError({"token": _("This invitation is no longer valid.")})
    patient.user.set_password(password)
    db.session.add_all(
        Consent(
            tenant_id=patient.tenant_id,
            patient_id=patient.id,
            kind=kind,
            version=CONSENT_VERSION,
            given_at=now,
        )
        for kind in ConsentKind
    )
    return patient


def revoke(invitation: PatientInvitation) -> None:
    invitation.revoked_at = datetime.now(UTC)
