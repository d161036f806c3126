"""Her reminders as a private iCalendar feed (RFC 5545) for her phone's calendar: one weekly
event per time, on her days, in her time zone, so the phone handles daylight saving."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def feed(
    uid_base: str, weekdays: list[int], times: list[str], zone: str, title: str, url: str
) -> bytes:
    """The feed: nothing in it says what she practises or why."""
    calendar = Calendar()
    calendar.add("prodid", "-//Pelvicoach//reminders//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", title)
    first = date.today()
    for moment in times if weekdays else []:
        start = datetime.combine(first, time.fromisoformat(moment), ZoneInfo(zone))
        event = Event()
        event.add("uid", f"{uid_base}-{moment.replace(':', '')}@pelvicoach")
        event.add("summary", title)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=10))
        event.add("rrule", {"freq": "weekly", "byday": [DAYS[day] for day in weekdays]})
        event.add("url", url)
        event.add("dtstamp", start)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
