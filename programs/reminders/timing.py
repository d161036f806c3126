"""When the next reminder is due, and whether a nudge is: pure functions over wall-clock times
in her time zone, so daylight saving never moves her 8 o'clock reminder to 7 or 9."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START, QUIET_END = time(21, 30), time(7, 30)  # no reminder e-mails at night
NUDGE_DAYS = (7, 21)  # days without activity before the first and the last nudge
NUDGE_AT = time(10, 0)  # nudges go out mid-morning, her time


def quiet(moment: time) -> bool:
    """Inside the quiet hours (overnight)."""
    return moment >= QUIET_START or moment < QUIET_END


def next_slot(
    weekdays: list[int], times: list[time], zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first of her reminder times strictly after `after` (aware), in UTC; None without
    days or times. Each slot is a wall-clock time on a weekday (Monday 0) in `zone`."""
    if not weekdays or not times:
        return None
    local = after.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        for moment in sorted(times):
            slot = datetime.combine(day, moment, zone)
            if slot > local:
                return slot.astimezone(UTC)
    return None  # unreachable with a weekday and a time, kept for the type checker


def nudge_due(last_active: date, today: date, nudged_since: int) -> int | None:
    """The nudge to send today (7 or 21, the days of silence it follows), or None: one nudge
    per step, counted since her last activity, then silence until she returns."""
    if nudged_since >= len(NUDGE_DAYS):
        return None
    days = NUDGE_DAYS[nudged_since]
    return days if (today - last_active).days >= days else None
