"""Reminder dispatch with a real rq worker, real Redis and a local SMTP server: the right women
at their local time across a daylight-saving change, paused and unsubscribed ones skipped, no
duplicates when the job runs twice, one-click unsubscribe without signing in, nudges once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from training_history import a_set

from pelvicoach.platform import metrics, outbox
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.jobs import redis_connection
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.models import Patient, Phase, StopReason
from pelvicoach.programs.reminders import services as reminders
from pelvicoach.programs.reminders.models import ReminderPlan, ReminderSend

ZONE = "Europe/Amsterdam"
HEALTH_WORDS = (
    "bekkenbodem",
    "pelvic floor",
    "plasverlies",
    "urine",
    "leak",
    "incontin",
    "bladder",
)


@pytest.fixture
def women(make_tenant, make_patient, db):
    tenant = make_tenant("linde")
    made = {
        name: make_patient(tenant, f"{name}@example.nl", phase="training")
        for name in ("anna", "bea", "cor", "dina")
    }
    return tenant, made


def _plan(tenant, patient, *, times=("08:00",), paused_until=None, after) -> None:
    with tenant_context(tenant.id, database.session):
        plan = reminders.plan_for(patient, ZONE)
        reminders.choose(
            plan,
            list(range(7)),
            [time.fromisoformat(t) for t in times],
            ZONE,
            paused_until,
            now=after,
        )
        database.session.commit()


def _plans(tenant) -> dict[int, ReminderPlan]:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        return {p.patient_id: p for p in database.session.scalars(select(ReminderPlan))}


def _dispatch(platform_twin, app, run_jobs, now: datetime) -> int:
    with platform_twin(app).app_context():
        reminders.dispatch(now)
    return run_jobs(app)


def test_the_right_women_at_their_local_time_once(mail_app, women, platform_twin, run_jobs):
    tenant, made = women
    # the evening before the clocks go back: her 08:00 is 06:00 UTC today, 07:00 UTC tomorrow
    evening = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    _plan(tenant, made["anna"], after=evening)
    _plan(tenant, made["bea"], after=evening, paused_until=date(2026, 10, 25))
    _plan(tenant, made["cor"], after=evening)
    with tenant_context(tenant.id, database.session):
        reminders.unsubscribe(reminders.find_plan(made["cor"]))
        database.session.commit()
    plans = _plans(tenant)
    assert plans[made["anna"].id].next_at.astimezone(UTC) == datetime(2026, 10, 25, 7, tzinfo=UTC)

    # not yet due: nothing
    _dispatch(platform_twin, mail_app, run_jobs, datetime(2026, 10, 25, 6, 59, tzinfo=UTC))
    assert mail_app.mailbox.messages == []
    # due: anna only (bea paused that day, cor unsubscribed, dina has no reminders)
    due = datetime(2026, 10, 25, 7, 0, 30, tzinfo=UTC)
    _dispatch(platform_twin, mail_app, run_jobs, due)
    _dispatch(platform_twin, mail_app, run_jobs, due)  # the scheduler ran twice
    (message,) = mail_app.mailbox.messages
    assert message["To"] == "anna@example.nl"
    assert message["From"] == f"{tenant.name} <no-reply@pelvicoach.test>"  # her coach's name
    assert f"-- \n{tenant.name}" in message.get_content()
    text = (message["Subject"] + message.get_content()).lower()
    assert not [word for word in HEALTH_WORDS if word in text]
    unsubscribe = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"]).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in message.get_content()
    plans = _plans(tenant)
    assert plans[made["anna"].id].next_at.astimezone(UTC) == datetime(2026, 10, 26, 7, tzinfo=UTC)
    assert plans[made["bea"].id].next_at.astimezone(UTC) == datetime(2026, 10, 26, 7, tzinfo=UTC)
    with tenant_context(tenant.id, database.session):
        sends = database.session.scalars(select(ReminderSend)).all()
    assert [(s.patient_id, s.slot, s.sent_at is not None) for s in sends] == [
        (made["anna"].id, "2026-10-25T07:00Z", True)
    ]
    with mail_app.app_context():  # counted once for the metrics, where every process counts
        counted = redis_connection().hgetall(metrics.COUNTERS_KEY)
    assert counted == {f"{reminders.SENT}:reminder".encode(): b"1"}

    # the batch job itself run twice for the same slot: still once
    with tenant_context(tenant.id, database.session):
        plan = reminders.find_plan(made["anna"])
        plan.next_at = datetime(2026, 10, 25, 7, tzinfo=UTC)
        database.session.commit()
    with platform_twin(mail_app).app_context():
        assert reminders.send_reminders(tenant.id, [plan.id], due.timestamp()) == 0
        assert reminders.send_reminders(tenant.id, [plan.id], due.timestamp()) == 0
    assert len(mail_app.mailbox.messages) == 1

    # one click in her mail program, without signing in
    path = "/" + unsubscribe.split("/", 3)[3]  # the link's path, on this test's app
    client = mail_app.test_client()
    assert "Do you want to stop" in client.get(path + "?lang=en").text  # a GET changes nothing
    assert _plans(tenant)[made["anna"].id].unsubscribed_at is None
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _plans(tenant)[made["anna"].id].unsubscribed_at is not None
    assert client.post(path.replace("unsubscribe/", "unsubscribe/x")).status_code == 404


def test_a_slot_missed_by_hours_is_skipped_not_sent_late(mail_app, women, platform_twin, run_jobs):
    tenant, made = women
    _plan(tenant, made["anna"], after=datetime(2026, 1, 5, 6, tzinfo=UTC))  # 08:00 = 07:00 UTC
    late = datetime(2026, 1, 5, 11, tzinfo=UTC)
    _dispatch(platform_twin, mail_app, run_jobs, late)
    assert mail_app.mailbox.messages == []
    assert _plans(tenant)[made["anna"].id].next_at.astimezone(UTC) == datetime(
        2026, 1, 6, 7, tzinfo=UTC
    )


def test_no_calls_to_practise_while_she_is_referred(mail_app, women, platform_twin, run_jobs):
    """A red flag sent her to her GP first: no self-treatment meanwhile, so no reminders."""
    tenant, made = women
    for name in ("anna", "bea"):
        _plan(tenant, made[name], after=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with tenant_context(tenant.id, database.session):
        database.session.get(Patient, made["bea"].id).phase = Phase.REFERRED
        database.session.commit()
    _dispatch(platform_twin, mail_app, run_jobs, datetime(2026, 1, 5, 7, 0, 30, tzinfo=UTC))
    assert [message["To"] for message in mail_app.mailbox.messages] == ["anna@example.nl"]
    # her plan moves on all the same: back in training, she hears from it from then on
    assert _plans(tenant)[made["bea"].id].next_at.astimezone(UTC) == datetime(
        2026, 1, 6, 7, tzinfo=UTC
    )


def test_nudges_after_7_and_21_quiet_days_then_silence(mail_app, women, platform_twin, run_jobs):
    tenant, made = women
    with tenant_context(tenant.id, database.session):
        last = datetime(2026, 11, 1, 9, tzinfo=UTC)
        database.session.add(a_set(tenant.id, made["anna"].id, last))
        database.session.commit()

    def nudge_at(moment: datetime) -> int:
        with platform_twin(mail_app).app_context():
            return reminders.nudge(moment)

    assert nudge_at(datetime(2026, 11, 7, 10, tzinfo=UTC)) == 0  # 6 days
    assert nudge_at(datetime(2026, 11, 8, 6, tzinfo=UTC)) == 0  # 7 days, but 07:00 her time
    assert nudge_at(datetime(2026, 11, 8, 10, tzinfo=UTC)) == 1
    assert nudge_at(datetime(2026, 11, 8, 11, tzinfo=UTC)) == 0  # once
    assert nudge_at(datetime(2026, 11, 22, 10, tzinfo=UTC)) == 1
    assert nudge_at(datetime(2026, 12, 30, 10, tzinfo=UTC)) == 0  # then silence
    assert [m["To"] for m in mail_app.mailbox.messages] == ["anna@example.nl"] * 2
    assert all(m["List-Unsubscribe"] for m in mail_app.mailbox.messages)
    with tenant_context(tenant.id, database.session):
        sent = database.session.execute(
            select(ReminderSend.slot, ReminderSend.day, ReminderSend.returned).order_by(
                ReminderSend.id
            )
        ).all()
        today = datetime.now(ZoneInfo(ZONE)).date()  # the day each went out, hers
        assert sent == [("nudge7:2026-11-01", today, False), ("nudge21:2026-11-01", today, False)]
        # A set today answers both (the report's returns after a message)
        logged = a_set(tenant.id, made["anna"].id, datetime.now(UTC))
        logged.day = today
        database.session.add(logged)
        database.session.commit()
        database.session.expire_all()
        assert database.session.scalars(select(ReminderSend.returned)).all() == [True, True]


def test_no_reminders_nudges_or_calendar_once_the_coach_stopped_for_her(
    mail_app, women, platform_twin, run_jobs
):
    tenant, made = women
    evening = datetime(2026, 1, 4, 20, tzinfo=UTC)
    for name in ("anna", "bea", "cor"):
        _plan(tenant, made[name], after=evening)
    with tenant_context(tenant.id, database.session):
        for name in ("anna", "bea", "cor"):
            database.session.add(
                a_set(tenant.id, made[name].id, datetime(2026, 1, 1, 9, tzinfo=UTC))
            )
        lifecycle.withdraw_consent(database.session.merge(made["bea"]))
        lifecycle.end(
            database.session.merge(made["cor"]),
            StopReason.LEFT,
            site_name=tenant.name,
            link="https://example.nl/",
        )
        database.session.commit()
    with platform_twin(mail_app).app_context():
        outbox.relay()
    _dispatch(platform_twin, mail_app, run_jobs, datetime(2026, 1, 5, 7, 0, 30, tzinfo=UTC))
    with platform_twin(mail_app).app_context():
        assert reminders.nudge(datetime(2026, 1, 8, 10, tzinfo=UTC)) == 1  # anna's 7 quiet days
    to = sorted(m["To"] for m in mail_app.mailbox.messages)
    assert to == ["anna@example.nl", "anna@example.nl", "cor@example.nl"]  # cor: told it ended
    (ended,) = [m for m in mail_app.mailbox.messages if m["To"] == "cor@example.nl"]
    assert tenant.name in ended["Subject"]
    assert not [word for word in HEALTH_WORDS if word in ended.get_content().lower()]
    # Her plan moved on, so she is not flooded with old slots if she comes back.
    assert _plans(tenant)[made["bea"].id].next_at.astimezone(UTC) == datetime(
        2026, 1, 6, 7, tzinfo=UTC
    )
    with tenant_context(tenant.id, database.session):
        plans = {name: reminders.find_plan(made[name]) for name in ("anna", "bea")}
        assert not reminders.coach_stopped(plans["anna"])
        assert reminders.coach_stopped(plans["bea"])
        lifecycle.consent_again(database.session.merge(made["bea"]))
        database.session.commit()
        assert not reminders.coach_stopped(plans["bea"])
    _dispatch(platform_twin, mail_app, run_jobs, datetime(2026, 1, 6, 7, 0, 30, tzinfo=UTC))
    assert sorted(m["To"] for m in mail_app.mailbox.messages[3:]) == [
        "anna@example.nl",
        "bea@example.nl",
    ]
