"""When the coach stops for her, and starts again. She may withdraw her consent to the use of her
health data (AVG/GDPR article 7(3)); her tenant may end her enrolment. Either way nothing more
is done with her data but keeping it: no coaching pages, no reminders, no nudges, until she
gives her consent again (only after a withdrawal), deletes her account, or the retention job
erases it. Nothing here commits."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail
from pelvicoach.programs.enrolment.invitations import give_consent, revoke_open
from pelvicoach.programs.enrolment.models import (
    Consent,
    ConsentKind,
    Patient,
    StopReason,
)

# Why the coach stopped for her, as staff read it.
REASONS = {
    StopReason.WITHDRAWN: _l("she withdrew her consent"),
    StopReason.HER_REQUEST: _l("at her request"),
    StopReason.LEFT: _l("she moved to another insurer or practice"),
    StopReason.COMPLETED: _l("she has finished"),
    StopReason.OTHER: _l("another reason"),
}
# What an officer or admin may give as the reason to end an enrolment (not "withdrawn": only
# she withdraws her consent).
END_REASONS = (StopReason.HER_REQUEST, StopReason.LEFT, StopReason.COMPLETED, StopReason.OTHER)


class LifecycleError(ValueError):
    """A change that does not fit where she stands (ending an enrolment twice, say)."""


def stopped(tenant_id: int, limit: int = 100) -> list[Patient]:
    """The women the coach has stopped for, the latest first: pseudonyms and dates only."""
    return list(
        db.session.scalars(
            select(Patient)
            .where(
                Patient.tenant_id == tenant_id,
                Patient.stopped_at.is_not(None),
                Patient.erased_at.is_(None),
            )
            .order_by(Patient.stopped_at.desc(), Patient.id.desc())
            .limit(limit)
        )
    )


def stopped_counts(tenant_id: int) -> dict[StopReason, int]:
    """How many women the coach has stopped for, by reason: what an admin, who sees no one,
    may know."""
    rows = db.session.execute(
        select(Patient.stop_reason, func.count())
        .where(
            Patient.tenant_id == tenant_id,
            Patient.stopped_at.is_not(None),
            Patient.erased_at.is_(None),
        )
        .group_by(Patient.stop_reason)
    )
    return {StopReason(reason): count for reason, count in rows}


def consents(patient: Patient) -> list[Consent]:
    """Everything she agreed to, newest first, withdrawn ones included."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.tenant_id == patient.tenant_id, Consent.patient_id == patient.id)
            .order_by(Consent.given_at.desc(), Consent.id.desc())
        )
    )


def withdraw_consent(patient: Patient) -> None:
    """Her consent to the use of her health data ends now; so does the coaching. Terms and
    privacy statement are not consents she can withdraw, and stay as they were."""
    if patient.erased_at is not None:
        raise LifecycleError("erased")
    now = datetime.now(UTC)
    db.session.execute(
        update(Consent)
        .where(
            Consent.tenant_id == patient.tenant_id,
            Consent.patient_id == patient.id,
            Consent.kind == ConsentKind.HEALTH_DATA,
            Consent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if patient.stopped_at is None:  # an ended enrolment stays ended, for its own reason
        patient.stopped_at, patient.stop_reason = now, StopReason.WITHDRAWN


def consent_again(patient: Patient) -> None:
    """She gives her consent anew (the current wording), and the coach picks up where she was.
    An enrolment her tenant ended does not start again this way."""
    if patient.stop_reason != StopReason.WITHDRAWN:
        raise LifecycleError("not withdrawn")
    give_consent(patient, [ConsentKind.HEALTH_DATA], datetime.now(UTC))
    patient.stopped_at, patient.stop_reason = None, None


def end(patient: Patient, reason: StopReason, *, site_name: str, link: str) -> None:
    """Her tenant ends her enrolment: the coach stops, an invitation she has not used stops
        working, and she is told by e-mail (in words that, like her reminders, say nothing about her
    health to whoever reads over her shoulder) that she can still take her data with her."""
    if reason not in END_REASONS:
        raise LifecycleError("reason")
    if patient.erased_at is not None or patient.stop_reason in END_REASONS:
        raise LifecycleError("ended")
    now = datetime.now(UTC)
    patient.stopped_at, patient.stop_reason = now, reason
    revoke_open(patient, now)
    user = patient.user
    if user is None or user.password_hash is None:  # never signed in: nothing to tell her
        return
    with force_locale(user.locale or "nl"):
        subject = _("Your coach at %(site)s has ended", site=site_name)
        body = _(
            "Hello %(name)s,\n\n%(site)s has ended your place in its coach. You will get no"
            " more reminders.\n\nYour data stays yours: sign in to read it, download it or"
            " delete your account:\n%(link)s\n\nQuestions? Ask %(site)s.\n",
            name=user.name,
            site=site_name,
            link=link,
        )
    queue_mail(
        tenant_id=patient.tenant_id,
        to=user.email,
        subject=subject,
        body=body,
        purpose="enrolment_ended",
    )
