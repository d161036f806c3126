"""Outgoing mail: stored with the change that causes it and sent by a job, so none is lost.

With no SMTP server configured (the demo) mails are only logged and kept for the operator's
mailbox page. After a real send the body is cleared: it may hold a sign-in link.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform import outbox
from pelvicoach.platform.extensions import BigId, db
from pelvicoach.platform.tenancy import PlatformOrTenantScoped

log = logging.getLogger(__name__)


class OutgoingMail(PlatformOrTenantScoped, db.Model):
    __tablename__ = "outgoing_mails"

    id: Mapped[BigId]
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def queue_mail(*, tenant_id: int | None, to: str, subject: str, body: str, purpose: str) -> None:
    """Store the mail and its send job in the caller's transaction."""
    mail = OutgoingMail(
        tenant_id=tenant_id,
        recipient=to,
        subject=subject,
        body=body,
        purpose=purpose,
        created_at=datetime.now(UTC),
    )
    db.session.add(mail)
    db.session.flush()
    outbox.defer(send_mail, mail.id, tenant_id=tenant_id, queue="high", job_id=f"mail-{mail.id}")


def send_mail(mail_id: int) -> None:
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None or mail.sent_at is not None:
        return
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("mail (not sent, no MAIL_SERVER): to=%s subject=%s", mail.recipient, mail.subject)
    else:
        _smtp_send(mail)
        mail.body = None
    mail.sent_at = datetime.now(UTC)
    db.session.commit()


def _smtp_send(mail: OutgoingMail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(">"))
    message.set_content(mail.body or "")
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
