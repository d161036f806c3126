"""Inviting a woman who has been enrolled, and her first visit: a password, the terms, the
privacy statement and her explicit consent to the processing of health data (AVG/GDPR
article 9), each recorded with its version and time. Nothing here commits."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from pelvicoach.platform import passwords
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail, queue_mails
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


def _mail(name: str, site_name: str, link: str, locale: str) -> tuple[str, str]:
    """Her invitation's subject and body, in her language."""
    with force_locale(locale):
        return (
            _("Your pelvic floor coach at %(site)s", site=site_name),
            _(
                "Hello %(name)s,\n\n%(site)s invites you to its pelvic floor coach: exercises"
                " at home, at your own pace. Choose your password here within 14 days:\n"
                "%(link)s\n\nDid you not expect this e-mail? Then you can ignore it.\n",
                name=name,
                site=site_name,
                link=link,
            ),
        )


def _new(tenant_id: int, patient_id: int, invited_by: int | None, now: datetime) -> tuple:
    """A fresh token and the row that keeps only its digest."""
    token = secrets.token_urlsafe(32)
    row = {
        "tenant_id": tenant_id,
        "patient_id": patient_id,
        "token_hash": digest(token),
        "invited_by": invited_by,
        "sent_at": now,
        "expires_at": now + VALID_FOR,
    }
    return token, row


def revoke_open(patient: Patient, now: datetime) -> None:
    """Every link of hers not yet used stops working."""
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
    revoke_open(patient, now)
    token, row = _new(patient.tenant_id, patient.id, invited_by, now)
    invitation = PatientInvitation(**row)
    db.session.add(invitation)
    db.session.flush()
    subject, body = _mail(patient.user.name, site_name, link(token), locale)
    queue_mail(
        tenant_id=patient.tenant_id,
        to=patient.user.email,
        subject=subject,
        body=body,
        purpose="patient_invitation",
    )
    return invitation


def invite_many(
    tenant_id: int,
    women: list[tuple[int, str, str, str]],
    *,
    invited_by: int | None,
    link: Callable[[str], str],
    site_name: str,
) -> None:
    """First invitations for women just enrolled (patient id, name, e-mail, locale): their
    rows in one statement, their mails in one batch."""
    now = datetime.now(UTC)
    made = [_new(tenant_id, patient_id, invited_by, now) for patient_id, *_rest in women]
    db.session.execute(insert(PatientInvitation.__table__), [row for _token, row in made])
    queue_mails(
        tenant_id=tenant_id,
        mails=[
            (email, *_mail(name, site_name, link(token), locale))
            for (token, _row), (_id, name, email, locale) in zip(made, women, strict=True)
        ],
        purpose="patient_invitation",
    )


def issue(patient: Patient) -> str:
    """A first-visit link given on the spot, without a mail: she has just proved her address
    by following the link in one."""
    now = datetime.now(UTC)
    token, row = _new(patient.tenant_id, patient.id, None, now)
    db.session.add(PatientInvitation(**row, opened_at=now))
    return token


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
    if db.session.get(Patient, invitation.patient_id).user.password_hash:
        return None  # she registered by another of her links: this one sets no password now
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
    if spent.rowcount != 1 or patient.user.password_hash:  # (her other link, at the same time)
        raise InvitationError({"token": _("This invitation is no longer valid.")})
    patient.user.set_password(password)
    give_consent(patient, ConsentKind, now)
    return patient


def give_consent(patient: Patient, kinds: Iterable[ConsentKind], now: datetime) -> None:
    """Her consent to each of `kinds`, in the current wording."""
    db.session.add_all(
        Consent(
            tenant_id=patient.tenant_id,
            patient_id=patient.id,
            kind=kind,
            version=CONSENT_VERSION,
            given_at=now,
        )
        for kind in kinds
    )


def revoke(invitation: PatientInvitation) -> None:
    invitation.revoked_at = datetime.now(UTC)
