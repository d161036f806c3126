"""Her reminder plan, the tokens of its links, and the dispatch of reminders and nudges.

Dispatch runs in two steps, both idempotent. The scheduler's job finds the plans whose next
slot has come (one index range scan) and queues them per tenant in batches. A batch job first
records each slot as a send (unique per patient and slot, so a second run records nothing) and
moves the plan to its next slot, commits, then e-mails what is recorded and not yet sent over
one SMTP connection, and marks it sent. A failed delivery is retried by rq; nothing is sent
twice, nothing is sent for a slot long past."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.header import Header
from email.utils import formatdate, make_msgid
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Exists, exists, func, select, update

from pelvicoach.platform import jobs, metrics
from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import (
    as_utc,
    db,
    insert_all_once,
    insert_once,
    update_all,
)
from pelvicoach.platform.mail import brand, send_all, sender_address
from pelvicoach.platform.tenancy import cross_tenant, tenant_context, worker_site_url
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.reminders import timing
from pelvicoach.programs.reminders.models import ReminderPlan, ReminderSend, SendKind
from pelvicoach.programs.training.models import ExerciseSession, PracticeDay
from pelvicoach.tenants.models import Tenant

log = logging.getLogger(__name__)

BATCH = 1000  # reminders per job: one transaction, a few SMTP connections
STALE = timedelta(hours=2)  # a slot missed by more than this is skipped, not sent late
MAX_TIMES = 3
PLACEHOLDER = "PLAN-LINK"  # where each e-mail's own unsubscribe token goes in the link
SENT = "pelvicoach_reminders_sent"  # the metric: reminders and nudges e-mailed, by kind


class PlanError(ValueError):
    """Days or times she cannot choose (a time in the quiet hours, too many times)."""


# --- her plan --------------------------------------------------------------------------------


def find_plan(patient: Patient) -> ReminderPlan | None:
    return db.session.scalar(
        select(ReminderPlan).where(
            ReminderPlan.tenant_id == patient.tenant_id, ReminderPlan.patient_id == patient.id
        )
    )


def plan_for(patient: Patient, zone: str) -> ReminderPlan:
    plan = find_plan(patient)
    if plan is None:
        plan = ReminderPlan(
            tenant_id=patient.tenant_id,
            patient_id=patient.id,
            weekdays=[],
            times=[],
            time_zone=zone,
            calendar_generation=0,
            updated_at=datetime.now(UTC),
        )
        db.session.add(plan)
        db.session.flush()
    return plan


def choose(
    plan: ReminderPlan,
    weekdays: list[int],
    times: list[time],
    zone: str,
    paused_until: date | None,
    now: datetime | None = None,
) -> None:
    """Her days, times and pause; the next slot follows from them."""
    if len(times) > MAX_TIMES or any(timing.quiet(moment) for moment in times):
        raise PlanError(times)
    if any(day not in range(7) for day in weekdays):
        raise PlanError(weekdays)
    now = now or datetime.now(UTC)
    plan.weekdays = sorted(set(weekdays))
    plan.times = sorted({moment.strftime("%H:%M") for moment in times})
    plan.time_zone = zone
    plan.paused_until = paused_until
    plan.unsubscribed_at = None  # choosing reminders again subscribes her again
    plan.next_at = _next(plan, now)
    plan.updated_at = now


def _times(plan: ReminderPlan) -> list[time]:
    return [time.fromisoformat(value) for value in plan.times]


def _next(plan: ReminderPlan, after: datetime) -> datetime | None:
    return timing.next_slot(plan.weekdays, _times(plan), ZoneInfo(plan.time_zone), after)


def coach_stopped(plan: ReminderPlan) -> bool:
    """Whether the coach has stopped for her (programs.enrolment.lifecycle): her calendar then
    empties, as her e-mails stop."""
    stopped = db.session.scalar(
        select(Patient.stopped_at).where(
            Patient.tenant_id == plan.tenant_id, Patient.id == plan.patient_id
        )
    )
    return stopped is not None


def unsubscribe(plan: ReminderPlan) -> None:
    plan.unsubscribed_at = plan.unsubscribed_at or datetime.now(UTC)
    plan.next_at = None
    plan.updated_at = datetime.now(UTC)


# --- the tokens in her links ------------------------------------------------------------------


def _sign(purpose: str, *values: int) -> str:
    """`values` and an HMAC-SHA256 over them and the purpose: a link that names her plan and
    cannot be made up. Hand-rolled rather than a serializer because a batch signs thousands."""
    message = ":".join([purpose, *map(str, values)]).encode()
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return ".".join([*map(str, values), base64.urlsafe_b64encode(mac).decode().rstrip("=")])


def _verify(purpose: str, token: str) -> list[int] | None:
    *parts, _mac = token.split(".")
    if not parts or not all(part.lstrip("-").isdigit() for part in parts):
        return None
    values = [int(part) for part in parts]
    return values if hmac.compare_digest(_sign(purpose, *values), token) else None


def unsubscribe_token(plan: ReminderPlan) -> str:
    """Signed, not stored: it must keep working in every e-mail she ever got."""
    return _sign("unsubscribe", plan.tenant_id, plan.id)


def _unsubscribe_tokens(tenant_id: int, plan_ids: list[int]) -> dict[int, str]:
    return {plan_id: _sign("unsubscribe", tenant_id, plan_id) for plan_id in plan_ids}


def calendar_token(plan: ReminderPlan) -> str | None:
    if not plan.calendar_generation:
        return None
    return _sign("calendar", plan.tenant_id, plan.id, plan.calendar_generation)


def new_calendar_link(plan: ReminderPlan) -> None:
    """A new private feed address; the old one stops working (revoked)."""
    plan.calendar_generation = abs(plan.calendar_generation) + 1
    plan.updated_at = datetime.now(UTC)


def revoke_calendar(plan: ReminderPlan) -> None:
    plan.calendar_generation = -abs(plan.calendar_generation)  # no feed; the next link is new
    plan.updated_at = datetime.now(UTC)


def plan_by_token(purpose: str, token: str, tenant_id: int) -> ReminderPlan | None:
    """The plan a link names, when it is this tenant's and (for the feed) not revoked."""
    values = _verify(purpose, token)
    if values is None or len(values) < 2 or values[0] != tenant_id:
        return None
    plan = db.session.scalar(
        select(ReminderPlan).where(
            ReminderPlan.tenant_id == tenant_id, ReminderPlan.id == values[1]
        )
    )
    if plan is None or (purpose == "calendar" and values[2:] != [plan.calendar_generation]):
        return None
    return plan


# --- dispatch ---------------------------------------------------------------------------------


def dispatch(now: datetime | None = None) -> int:
    """The scheduler's job: queue every due plan, per tenant, in batches. Returns how many."""
    now = now or datetime.now(UTC)
    with cross_tenant(db.session, "find due reminders"):
        due = db.session.execute(
            select(ReminderPlan.tenant_id, ReminderPlan.id)
            .where(ReminderPlan.next_at <= now)
            .order_by(ReminderPlan.tenant_id, ReminderPlan.id)
        ).all()
        db.session.rollback()
    for tenant_id, rows in groupby(due, key=lambda row: row[0]):
        ids = [row[1] for row in rows]
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            jobs.enqueue(
                send_reminders,
                tenant_id,
                batch,
                now.timestamp(),
                queue="default",
                job_id=f"reminders-{tenant_id}-{batch[0]}-{int(now.timestamp()) // 60}",
            )
    return len(due)


def send_reminders(tenant_id: int, plan_ids: list[int], dispatched_at: float) -> int:
    """A batch job: record each due slot once, move the plan on, then e-mail. Returns sent.
    Slots are judged at the dispatch that queued the batch, so a retry judges alike."""
    now = datetime.fromtimestamp(dispatched_at, UTC)
    with tenant_context(tenant_id, db.session):
        plans = db.session.execute(
            select(
                ReminderPlan.id,
                ReminderPlan.patient_id,
                ReminderPlan.next_at,
                ReminderPlan.weekdays,
                ReminderPlan.times,
                ReminderPlan.time_zone,
                ReminderPlan.paused_until,
                ReminderPlan.unsubscribed_at,
                Patient.stopped_at,
                Patient.phase,
            )
            .join(
                Patient, (Patient.tenant_id == tenant_id) & (Patient.id == ReminderPlan.patient_id)
            )
            .where(ReminderPlan.tenant_id == tenant_id, ReminderPlan.id.in_(plan_ids))
            .with_for_update(of=ReminderPlan, skip_locked=True)
        ).all()
        due, moved = [], []
        for plan in plans:
            if plan.next_at is None or as_utc(plan.next_at) > now:
                continue  # another run got here first
            slot = as_utc(plan.next_at)
            zone = ZoneInfo(plan.time_zone)
            times = [time.fromisoformat(value) for value in plan.times]
            moved.append(
                {
                    "id": plan.id,
                    "next_at": timing.next_slot(plan.weekdays, times, zone, max(now, slot)),
                }
            )
            paused = (
                plan.paused_until is not None and slot.astimezone(zone).date() <= plan.paused_until
            )
            # Sent to her GP or a physio (a red flag, say): no calls to practise meanwhile.
            referred = plan.phase == Phase.REFERRED
            if plan.unsubscribed_at or plan.stopped_at or referred or paused or now - slot > STALE:
                continue
            due.append(
                {
                    "tenant_id": tenant_id,
                    "patient_id": plan.patient_id,
                    "kind": SendKind.REMINDER,
                    "slot": slot.strftime("%Y-%m-%dT%H:%MZ"),
                    "created_at": now,
                }
            )
        update_all(ReminderPlan, moved, tenant_id)
        insert_all_once(ReminderSend, due, ["tenant_id", "patient_id", "slot"])
        patient_ids = [plan.patient_id for plan in plans]
        db.session.commit()
        return deliver(tenant_id, patient_ids)


@dataclass(frozen=True)
class Pending:
    send_id: int
    kind: SendKind
    email: str
    locale: str
    plan_id: int | None  # her plan, for the unsubscribe link
    unsubscribed: bool


def deliver(tenant_id: int, patient_ids: list[int]) -> int:
    """E-mail every recorded, unsent reminder or nudge of these patients; mark them sent."""
    rows = db.session.execute(
        select(
            ReminderSend.id,
            ReminderSend.kind,
            User.email,
            User.locale,
            ReminderPlan.id,
            ReminderPlan.unsubscribed_at.is_not(None),
        )
        .join(Patient, (Patient.tenant_id == tenant_id) & (Patient.id == ReminderSend.patient_id))
        .join(User, User.id == Patient.user_id)
        .outerjoin(
            ReminderPlan,
            (ReminderPlan.tenant_id == tenant_id) & (ReminderPlan.patient_id == Patient.id),
        )
        .where(
            ReminderSend.tenant_id == tenant_id,
            ReminderSend.patient_id.in_(patient_ids),
            ReminderSend.sent_at.is_(None),
        )
    ).all()
    pending = [item for item in (Pending(*row) for row in rows) if not item.unsubscribed]
    if not pending:
        return 0
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    signed = brand(tenant_id)
    home = worker_site_url(slug, "portal.home")
    stop = worker_site_url(slug, "portal.unsubscribe", token=PLACEHOLDER)
    tokens = _unsubscribe_tokens(tenant_id, [p.plan_id for p in pending if p.plan_id])
    sender = (
        signed.sender if signed else current_app.config["MAIL_SENDER"],
        sender_address().rpartition("@")[2],
    )
    texts: dict[tuple[str, SendKind], tuple[str, str, str]] = {}
    messages = []
    for item in pending:
        key = (item.locale or "nl", item.kind)
        if key not in texts:
            texts[key] = _texts(*key)
        link = stop.replace(PLACEHOLDER, tokens[item.plan_id]) if item.plan_id else None
        messages.append(
            _message(item.email, sender, texts[key], home, link, signed.signature if signed else "")
        )
    if current_app.config.get("MAIL_SERVER"):
        send_all(messages)
    else:
        log.info("%s reminder mails (not sent, no MAIL_SERVER)", len(messages))
    now = datetime.now(UTC)
    day = now.astimezone(ZoneInfo(db.session.get(Tenant, tenant_id).time_zone)).date()
    db.session.execute(
        update(ReminderSend)
        .where(
            ReminderSend.tenant_id == tenant_id, ReminderSend.id.in_([p.send_id for p in pending])
        )
        .values(sent_at=now, day=day, returned=_answered(day))
    )
    db.session.commit()
    for kind, sent in Counter(item.kind for item in pending).items():
        metrics.add(SENT, kind.value, sent)
    return len(pending)


def _answered(day: date) -> Exists:
    """SQL: whether the woman of the reminder_sends row logged a set on `day` (her day it went
    out) or the next; from then on the database keeps this (triggers, migration 0024)."""
    return exists().where(
        PracticeDay.tenant_id == ReminderSend.tenant_id,
        PracticeDay.patient_id == ReminderSend.patient_id,
        PracticeDay.day.between(day, day + timedelta(days=1)),
    )


def _texts(locale: str, kind: SendKind) -> tuple[str, str, str]:
    """Subject (RFC 2047 encoded where needed), body and unsubscribe line in her language,
    with {home} and {stop} to fill in."""
    with force_locale(locale):
        if kind == SendKind.NUDGE:
            subject = _("We have not seen you for a while")
            text = _("It has been a while. Whenever you are ready, your coach is there for you.")
        else:
            subject = _("Your moment to practise")
            text = _("This is your reminder. A few minutes are enough.")
        body = "\n".join([_("Hello,"), "", text, "", _("Open your coach: %(url)s", url="{home}")])
        footer = _("No more of these e-mails? Unsubscribe: %(url)s", url="{stop}")
    encoded = subject if subject.isascii() else Header(subject, "utf-8").encode()
    return encoded, body, footer


def _message(
    email: str,
    sender: tuple[str, str],
    texts: tuple[str, str, str],
    home: str,
    stop: str | None,
    signature: str,
) -> tuple[str, bytes]:
    """A reminder or a nudge as RFC 5322 bytes: a greeting and links, no health details, and
    RFC 8058's one-click unsubscribe. Written out directly rather than by the email package,
    whose header folding costs more than everything else when a batch holds thousands."""
    subject, body, footer = texts
    text = body.replace("{home}", home)
    headers = [
        f"From: {sender[0]}",
        f"To: {email}",
        f"Subject: {subject}",
        f"Date: {formatdate()}",
        f"Message-ID: {make_msgid(domain=sender[1])}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
    ]
    if signature:
        text += "\n\n" + signature
    if stop is not None:
        text += "\n\n" + footer.replace("{stop}", stop)
        headers += [
            f"List-Unsubscribe: <{stop}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
    content = base64.encodebytes((text + "\n").encode()).replace(b"\n", b"\r\n")
    return email, "\r\n".join(headers).encode() + b"\r\n\r\n" + content


# --- nudges ------------------------------------------------------------------------------------


def nudge(now: datetime | None = None) -> int:
    """The scheduler's job: a kind nudge after 7 and after 21 days without a logged set (her
    mid-morning), then silence until she practises again. Each nudge is recorded."""
    now = now or datetime.now(UTC)
    with cross_tenant(db.session, "find tenants with women in training"):
        tenants = db.session.scalars(
            select(Patient.tenant_id).where(Patient.phase == Phase.TRAINING).distinct()
        ).all()
        db.session.rollback()
    sent = 0
    for tenant_id in tenants:
        sent += _nudge_tenant(tenant_id, now)
    return sent


def _nudge_tenant(tenant_id: int, now: datetime) -> int:
    with tenant_context(tenant_id, db.session):
        zone = ZoneInfo(db.session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)))
        local = now.astimezone(zone)
        if local.time() < timing.NUDGE_AT or timing.quiet(local.time()):
            db.session.rollback()
            return 0
        last = (
            select(func.max(ExerciseSession.day))
            .where(ExerciseSession.tenant_id == tenant_id, ExerciseSession.patient_id == Patient.id)
            .correlate(Patient)
            .scalar_subquery()
        )
        since_last = (
            select(func.count(ReminderSend.id))
            .where(
                ReminderSend.tenant_id == tenant_id,
                ReminderSend.patient_id == Patient.id,
                ReminderSend.kind == SendKind.NUDGE,
                ReminderSend.created_at >= last,
            )
            .correlate(Patient)
            .scalar_subquery()
        )
        rows = db.session.execute(
            select(Patient.id, last, since_last, ReminderPlan.id)
            .outerjoin(
                ReminderPlan,
                (ReminderPlan.tenant_id == tenant_id) & (ReminderPlan.patient_id == Patient.id),
            )
            .where(
                Patient.tenant_id == tenant_id,
                Patient.phase == Phase.TRAINING,
                Patient.user_id.is_not(None),
                Patient.stopped_at.is_(None),
                ReminderPlan.unsubscribed_at.is_(None),
                last <= local.date() - timedelta(days=timing.NUDGE_DAYS[0]),
            )
        ).all()
        nudged = []
        for patient_id, last_day, done, plan_id in rows:
            days = timing.nudge_due(last_day, local.date(), done)
            if days is None:
                continue
            if plan_id is None:  # her unsubscribe link needs a plan, even without reminders
                db.session.add(
                    ReminderPlan(
                        tenant_id=tenant_id,
                        patient_id=patient_id,
                        weekdays=[],
                        times=[],
                        time_zone=zone.key,
                        calendar_generation=0,
                        updated_at=now,
                    )
                )
            stored = insert_once(
                ReminderSend,
                {
                    "tenant_id": tenant_id,
                    "patient_id": patient_id,
                    "kind": SendKind.NUDGE,
                    "slot": f"nudge{days}:{last_day.isoformat()}",
                    "created_at": now,
                },
                ["tenant_id", "patient_id", "slot"],
            )
            if stored is not None:
                nudged.append(patient_id)
        db.session.commit()
        return deliver(tenant_id, nudged) if nudged else 0
