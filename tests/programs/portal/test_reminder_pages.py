"""Her reminder settings, the quiet hours, and the private calendar feed (revocable)."""

from __future__ import annotations

import re

from icalendar import Calendar
from sqlalchemy import select

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.reminders.models import ReminderPlan


def _plan(tenant) -> ReminderPlan:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        return database.session.scalar(select(ReminderPlan))


def test_she_chooses_days_and_times_and_sees_the_next_reminder(client, linde, patient_in):
    patient_in()
    page = client.get("/t/linde/reminders?lang=en")
    assert page.status_code == 200
    assert "nothing about your health" in page.text
    saved = client.post(
        "/t/linde/reminders?lang=en",
        data={"weekday": ["0", "2", "4"], "time": ["08:15", "19:30", ""], "action": "save"},
        follow_redirects=True,
    )
    assert "Next reminder:" in saved.text
    plan = _plan(linde)
    assert (plan.weekdays, plan.times, plan.time_zone) == (
        [0, 2, 4],
        ["08:15", "19:30"],
        "Europe/Amsterdam",
    )
    assert plan.next_at is not None


def test_times_at_night_are_refused(client, linde, patient_in):
    patient_in()
    client.get("/t/linde/reminders")
    refused = client.post(
        "/t/linde/reminders?lang=en",
        data={"weekday": ["0"], "time": ["23:00"], "action": "save"},
    )
    assert refused.status_code == 422
    assert "we send nothing at night" in refused.text
    assert _plan(linde).times == []
    for odd in ("8 uur", "08:00+01:00", "08:00Z"):  # a clock time of her day, no offset
        odd_time = {"weekday": ["0"], "time": ["09:00", odd], "action": "save"}
        assert client.post("/t/linde/reminders", data=odd_time).status_code == 422, odd
    assert _plan(linde).times == []


def test_the_calendar_feed_is_private_and_revocable(client, linde, patient_in):
    patient_in()
    client.post(
        "/t/linde/reminders", data={"weekday": ["1", "3"], "time": ["09:00"], "action": "save"}
    )
    client.post("/t/linde/reminders", data={"action": "calendar"})
    page = client.get("/t/linde/reminders?lang=en")
    feed = re.search(r'value="(http[^"]+\.ics)"', page.text).group(1)
    path = "/" + feed.split("/", 3)[3]
    anonymous = client.application.test_client()  # a calendar app: no session
    response = anonymous.get(path)
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["BYDAY"] == ["TU", "TH"]
    assert event["DTSTART"].dt.tzinfo is not None
    assert event["DTSTART"].dt.hour == 9
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Amsterdam"
    assert "bekken" not in response.text.lower()
    client.post("/t/linde/reminders", data={"action": "calendar"})  # a new address
    assert anonymous.get(path).status_code == 404  # the old one is revoked
    newer = re.search(r'value="(http[^"]+\.ics)"', client.get("/t/linde/reminders").text).group(1)
    client.post("/t/linde/reminders", data={"action": "revoke"})
    assert anonymous.get("/" + newer.split("/", 3)[3]).status_code == 404


def test_she_can_stop_all_mails_and_start_again(client, linde, patient_in):
    patient_in()
    client.post("/t/linde/reminders", data={"weekday": ["0"], "time": ["08:00"], "action": "save"})
    client.post("/t/linde/reminders", data={"action": "stop"})
    plan = _plan(linde)
    assert plan.unsubscribed_at is not None
    assert plan.next_at is None
    client.post("/t/linde/reminders", data={"weekday": ["0"], "time": ["08:00"], "action": "save"})
    assert _plan(linde).unsubscribed_at is None
