"""Outgoing mail: stored with the change that causes it and sent by a job, so none is lost.

With no SMTP server configured (the demo) mails are only logged and kept for the operator's
mailbox page. After a real send the body is cleared: it may hold a sign-in link.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, String, Text, insert, select
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


def queue_mails(*, tenant_id: int | None, mails: list[tuple[str, str, str]], purpose: str) -> None:
    """Many mails (recipient, subject, body) in one statement and one job that sends them over
    a few connections: an import's thousands of invitations, not a job each."""
    if not mails:
        return
    now = datetime.now(UTC)
    table = OutgoingMail.__table__
    ids = db.session.scalars(
        insert(table).returning(table.c.id),
        [
            {
                "tenant_id": tenant_id,
                "recipient": to,
                "subject": subject,
                "body": body,
                "purpose": purpose,
                "created_at": now,
            }
            for to, subject, body in mails
        ],
    ).all()
    outbox.defer(send_mails, ids, tenant_id=tenant_id, job_id=f"mails-{min(ids)}-{max(ids)}")


@dataclass(frozen=True)
class Brand:
    """How a tenant's mail is signed and who it says it is from (`pelvicoach.tenants` knows)."""

    sender: str
    signature: str


def brand_mail(app: Flask, lookup: Callable[[int], Brand | None]) -> None:
    """Register how to find a tenant's brand; the platform's own mails go unbranded."""
    app.extensions["pelvicoach.mail_brand"] = lookup


def brand(tenant_id: int | None) -> Brand | None:
    lookup = current_app.extensions.get("pelvicoach.mail_brand")
    return lookup(tenant_id) if lookup and tenant_id is not None else None


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


def send_mails(mail_ids: list[int]) -> None:
    """The batch `queue_mails` stored; a retry sends only what is not marked sent."""
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.id.in_(mail_ids), OutgoingMail.sent_at.is_(None))
    ).all()
    if not mails:
        return
    if not current_app.config.get("MAIL_SERVER"):
        log.info("%d mails (not sent, no MAIL_SERVER): %s", len(mails), mails[0].subject)
    else:
        signed = brand(mails[0].tenant_id)  # one tenant's batch
        send_all([(mail.recipient, _message(mail, signed).as_bytes()) for mail in mails])
        for mail in mails:
            mail.body = None
    now = datetime.now(UTC)
    for mail in mails:
        mail.sent_at = now
    db.session.commit()


def _message(mail: OutgoingMail, signed: Brand | None) -> EmailMessage:
    message = new_message(mail.recipient, mail.subject, signed.sender if signed else None)
    message.set_content((mail.body or "") + (f"\n{signed.signature}\n" if signed else ""))
    return message


def _smtp_send(mail: OutgoingMail) -> None:
    with smtp_connection() as smtp:
        smtp.send_message(_message(mail, brand(mail.tenant_id)))


def new_message(to: str, subject: str, sender: str | None = None) -> EmailMessage:
    """A message from the platform's sender (or a tenant's name at its address), with its own
    Message-ID."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = sender or config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(">"))
    return message


@contextmanager
def smtp_connection(config: Mapping[str, Any] | None = None) -> Iterator[smtplib.SMTP]:
    """One connection to the configured SMTP server, for one mail or a whole batch."""
    config = config or current_app.config
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield smtp


def sender_address() -> str:
    return parseaddr(current_app.config["MAIL_SENDER"])[1]


def send_all(messages: list[tuple[str, bytes]], connections: int = 4) -> None:
    """Many ready-made messages (recipient, RFC 5322 bytes) over a few SMTP connections at
    once: a batch waits on the server's replies, not on Python, so threads make it faster."""
    config, sender = dict(current_app.config), sender_address()
    parts = [messages[n::connections] for n in range(min(connections, len(messages)))]

    def send(part: list[tuple[str, bytes]]) -> None:
        with smtp_connection(config) as smtp:
            smtp.ehlo_or_helo_if_needed()
            pipelined = smtp.has_extn("pipelining")
            for recipient, data in part:
                if pipelined:
                    _pipelined(smtp, sender, recipient, data)
                else:
                    smtp.sendmail(sender, [recipient], data)

    with ThreadPoolExecutor(max_workers=len(parts) or 1) as pool:
        for done in [pool.submit(send, part) for part in parts]:
            done.result()  # the first failure raises here: the job is retried


def _pipelined(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One message with its envelope commands sent together (RFC 2920 PIPELINING): two round
    trips instead of four. smtplib has no pipelining of its own."""
    smtp.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
    replies = [smtp.getreply() for _ in range(3)]
    if [code for code, _ in replies] != [250, 250, 354]:
        smtp.rset()
        raise smtplib.SMTPResponseException(*next(r for r in replies if r[0] not in (250, 354)))
    body = re.sub(rb"(?m)^\.", b"..", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    smtp.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
    code, message = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, message)
