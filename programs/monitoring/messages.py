"""Messages between a woman and her clinician. The e-mail that announces one says only that
there is a message and where to read it: whoever sees her inbox learns nothing about her health,
and nothing she wrote leaves the platform. One announcement per unread run, not per message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import queue_mail
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.monitoring.models import Message

MAX_LENGTH = 2000


class MessageError(ValueError):
    """An empty or too long message."""


def thread(patient: Patient, limit: int = 200) -> list[Message]:
    """Her thread, oldest first (the newest `limit`)."""
    newest = list(
        db.session.scalars(
            select(Message)
            .where(Message.tenant_id == patient.tenant_id, Message.patient_id == patient.id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )
    return newest[::-1]


def unread(patient: Patient, *, by_patient: bool) -> int:
    """What the reading side has not read: for her, her clinician's messages; for staff, hers."""
    return (
        db.session.scalar(
            select(func.count(Message.id)).where(
                Message.tenant_id == patient.tenant_id,
                Message.patient_id == patient.id,
                Message.from_patient == (not by_patient),
                Message.read_at.is_(None),
            )
        )
        or 0
    )


def mark_read(patient: Patient, *, by_patient: bool) -> int:
    """The reading side opened the thread: the other side's messages are read now."""
    return db.session.execute(
        update(Message)
        .where(
            Message.tenant_id == patient.tenant_id,
            Message.patient_id == patient.id,
            Message.from_patient == (not by_patient),
            Message.read_at.is_(None),
        )
        .values(read_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    ).rowcount


def post(
    patient: Patient,
    author: User,
    body: str,
    *,
    from_patient: bool,
    site_name: str,
    link: Callable[[bool], str],
) -> Message:
    """Store a message and, unless the other side has an unread one from this side already,
    announce it by e-mail. `link(to_patient)` is where the reader finds the thread."""
    text = (body or "").strip()
    if not text or len(text) > MAX_LENGTH:
        raise MessageError(text)
    waiting = unread(patient, by_patient=not from_patient)
    message = Message(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        author_id=author.id,
        from_patient=from_patient,
        body=text,
        created_at=datetime.now(UTC),
    )
    db.session.add(message)
    db.session.flush()
    reader = patient.clinician if from_patient else patient.user
    if waiting == 0 and reader is not None and reader.active:
        with force_locale(reader.locale or "nl"):
            subject = _("A new message at %(site)s", site=site_name)
            body_text = _(
                "Hello %(name)s,\n\nThere is a new message for you at %(site)s. Sign in to read"
                " it:\n%(link)s\n",
                name=reader.name,
                site=site_name,
                link=link(not from_patient),
            )
        queue_mail(
            tenant_id=patient.tenant_id,
            to=reader.email,
            subject=subject,
            body=body_text,
            purpose="message_waiting",
        )
    return message
