"""Reminder slots and nudges, as tables: wall-clock times in her zone across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pelvicoach.programs.reminders.timing import next_slot, nudge_due, quiet

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EVERY_DAY = list(range(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SLOTS = [
    # (why, weekdays, times, after (UTC), next slot (UTC))
    (
        "winter: 08:00 in Amsterdam is 07:00 UTC",
        EVERY_DAY,
        [time(8)],
        utc(2026, 1, 5, 6),
        utc(2026, 1, 5, 7),
    ),
    (
        "summer: 08:00 in Amsterdam is 06:00 UTC",
        EVERY_DAY,
        [time(8)],
        utc(2026, 7, 6, 5),
        utc(2026, 7, 6, 6),
    ),
    (
        "the day the clocks go forward",
        EVERY_DAY,
        [time(8)],
        utc(2026, 3, 28, 8),
        utc(2026, 3, 29, 6),
    ),
    (
        "the day the clocks go back",
        EVERY_DAY,
        [time(8)],
        utc(2026, 10, 24, 7),
        utc(2026, 10, 25, 7),
    ),
    (
        "just past a slot: the next time that day",
        EVERY_DAY,
        [time(8), time(20)],
        utc(2026, 1, 5, 7),
        utc(2026, 1, 5, 19),
    ),
    (
        "after the last time: tomorrow's first",
        EVERY_DAY,
        [time(20), time(8)],
        utc(2026, 1, 5, 19),
        utc(2026, 1, 6, 7),
    ),
    ("only on Mondays and Thursdays", [0, 3], [time(9)], utc(2026, 1, 6, 12), utc(2026, 1, 8, 8)),
    ("Sunday to Monday over a week's end", [0], [time(9)], utc(2026, 1, 4, 12), utc(2026, 1, 5, 8)),
    ("a whole week on", [0], [time(9)], utc(2026, 1, 5, 8), utc(2026, 1, 12, 8)),
    ("no days: nothing", [], [time(9)], utc(2026, 1, 5, 8), None),
    ("no times: nothing", [0], [], utc(2026, 1, 5, 8), None),
]


@pytest.mark.parametrize(
    ("weekdays", "times", "after", "expected"), [c[1:] for c in SLOTS], ids=[c[0] for c in SLOTS]
)
def test_next_slot(weekdays, times, after, expected):
    assert next_slot(weekdays, times, AMSTERDAM, after) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (time(7, 29), True),
        (time(7, 30), False),
        (time(21, 29), False),
        (time(21, 30), True),
        (time(3), True),
        (time(12), False),
    ],
)
def test_quiet_hours(moment, expected):
    assert quiet(moment) is expected


LAST = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("today", "nudged", "expected"),
    [
        (date(2026, 11, 7), 0, None),  # 6 days: not yet
        (date(2026, 11, 8), 0, 7),
        (date(2026, 11, 9), 0, 7),  # missed a day: still the first
        (date(2026, 11, 9), 1, None),  # the first went out
        (date(2026, 11, 21), 1, None),  # 20 days
        (date(2026, 11, 22), 1, 21),
        (date(2026, 12, 30), 2, None),  # then silence
    ],
)
def test_nudges(today, nudged, expected):
    assert nudge_due(LAST, today, nudged) == expected
