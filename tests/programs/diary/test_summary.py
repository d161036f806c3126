"""The diary's summary, measure by measure, as tables: pure, no database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pelvicoach.programs.diary.models import EntryKind
from pelvicoach.programs.diary.summary import Flag, Noted, summarize

ZONE = ZoneInfo("Europe/Amsterdam")
DAYS = [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29)]  # over the clock change
VOID, DRINK, LEAK, PAD, BED, WAKE = (
    EntryKind.VOID,
    EntryKind.DRINK,
    EntryKind.LEAK,
    EntryKind.PAD,
    EntryKind.BED,
    EntryKind.WAKE,
)


def at(day: int, clock: str) -> datetime:
    """`clock` on diary day `day` (0-based; 3 is the morning after the last day)."""
    return datetime.combine(DAYS[0] + timedelta(days=day), time.fromisoformat(clock), ZONE)


def typical_day(day: int) -> list[Noted]:
    """Up at 7, to bed at 23: 6 voids by day, 1 at night, 1.75 L to drink."""
    voids = [
        ("07:10", 350),
        ("10:00", 250),
        ("13:00", 300),
        ("16:00", 250),
        ("19:00", 300),
        ("22:40", 200),
    ]
    return [
        Noted(WAKE, at(day, "07:00")),
        *[Noted(VOID, at(day, clock), ml, 1) for clock, ml in voids],
        *[
            Noted(DRINK, at(day, clock), 250)
            for clock in ("07:30", "09:00", "11:00", "13:00", "15:00", "18:00", "20:00")
        ],
        Noted(BED, at(day, "23:00")),
        Noted(VOID, at(day + 1, "03:00"), 400, 2),
    ]


def three_typical_days() -> list[Noted]:
    return [entry for day in range(3) for entry in typical_day(day)] + [Noted(WAKE, at(3, "07:00"))]


def value(summary, key):
    return summary.measure(key).value


def test_three_typical_days_are_within_every_range():
    summary = summarize(three_typical_days(), DAYS)
    assert summary.days == 3
    assert value(summary, "day_voids") == 6
    assert value(summary, "night_voids") == 1  # 03:00 belongs to the night before, even day 4
    assert value(summary, "fluid_ml") == 1750
    assert value(summary, "largest_void_ml") == 400
    assert value(summary, "mean_void_ml") == round((350 + 250 + 300 + 250 + 300 + 200 + 400) / 7)
    assert value(summary, "leaks") == 0
    assert value(summary, "urgency") == round((6 * 1 + 2) / 7, 1)
    assert summary.flagged == []
    assert summary.voids_measured == 21
    assert summary.typical_interval_minutes == 180  # median of 170, 180, 180, 180, 220


def extra(kind, clocks, ml=None, day=0):
    return [Noted(kind, at(day, clock), ml) for clock in clocks]


CASES = [
    # (why, entries added to three typical days, key, value, flag)
    (
        "two more voids by day on each day: 8 a day",
        [e for d in range(3) for e in extra(VOID, ["11:30", "17:30"], 150, d)],
        "day_voids",
        8,
        Flag.HIGH,
    ),
    (
        "two more at night on each night: 3 a night",
        [e for d in range(3) for e in extra(VOID, ["01:00", "05:00"], 150, d + 1)],
        "night_voids",
        3,
        Flag.HIGH,
    ),
    ("one leak in three days", extra(LEAK, ["10:30"]), "leaks", 0.3, Flag.HIGH),
    (
        "drinking 750 mL more a day",
        [e for d in range(3) for e in extra(DRINK, ["21:00"], 750, d)],
        "fluid_ml",
        2500,
        Flag.HIGH,
    ),
    ("pads are counted, with no range", extra(PAD, ["09:00", "15:00", "21:00"]), "pads", 1, None),
    ("one large void", extra(VOID, ["12:00"], 800), "largest_void_ml", 800, Flag.HIGH),
]


@pytest.mark.parametrize(
    ("added", "key", "expected", "flag"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_measure_outside_its_range_is_flagged(added, key, expected, flag):
    summary = summarize(three_typical_days() + added, DAYS)
    assert value(summary, key) == expected
    assert summary.measure(key).flag == flag
    assert [m.key for m in summary.flagged] == ([key] if flag else [])


def test_little_to_drink_few_voids_and_small_ones_are_flagged_low():
    entries = [
        Noted(VOID, at(day, clock), 150)
        for day in range(3)
        for clock in ("08:00", "14:00", "20:00")
    ] + [Noted(DRINK, at(day, "12:00"), 500) for day in range(3)]
    summary = summarize(entries, DAYS)
    assert (value(summary, "day_voids"), summary.measure("day_voids").flag) == (3, Flag.LOW)
    assert (value(summary, "fluid_ml"), summary.measure("fluid_ml").flag) == (500, Flag.LOW)
    assert summary.measure("largest_void_ml").flag == Flag.LOW
    assert value(summary, "night_voids") == 0  # no bed or wake noted: the night is 23-07


def test_unmeasured_voids_count_but_give_no_volumes():
    entries = [Noted(VOID, at(0, clock)) for clock in ("08:00", "11:00", "14:00")]
    summary = summarize(entries, DAYS)
    assert summary.days == 1  # averages over the days with notes
    assert value(summary, "day_voids") == 3
    assert value(summary, "largest_void_ml") is None
    assert value(summary, "mean_void_ml") is None
    assert summary.measure("largest_void_ml").flag is None
    assert summary.typical_interval_minutes == 180
    # no drink noted: her fluid is not known, not too little
    assert (value(summary, "fluid_ml"), summary.measure("fluid_ml").flag) == (None, None)


def test_her_own_bed_time_decides_what_is_night():
    late = [
        Noted(BED, at(0, "01:30")),
        Noted(VOID, at(0, "23:30"), 300),
        Noted(WAKE, at(1, "09:00")),
    ]
    # she went to bed after midnight: on the calendar that is day 1, in her diary day 0's night
    late[0] = Noted(BED, at(1, "01:30"))
    summary = summarize(late, DAYS)
    assert value(summary, "day_voids") == 1
    assert value(summary, "night_voids") == 0


def test_nothing_noted_gives_an_empty_summary():
    assert summarize([], DAYS).days == 0
    outside = [Noted(VOID, at(5, "10:00"), 300)]  # after the diary
    assert summarize(outside, DAYS).days == 0


def test_the_voids_as_she_goes_to_bed_and_gets_up_are_by_day():
    entries = [
        *[Noted(VOID, at(0, clock), 300) for clock in ("07:00", "11:00", "14:00", "17:00")],
        Noted(WAKE, at(0, "07:00")),
        Noted(VOID, at(0, "22:30"), 300),
        Noted(BED, at(0, "22:30")),
        Noted(VOID, at(1, "02:00"), 300),
        Noted(WAKE, at(1, "07:00")),
        Noted(VOID, at(1, "07:00"), 300),
    ]
    summary = summarize(entries, DAYS[:1])
    assert (value(summary, "day_voids"), value(summary, "night_voids")) == (5, 1)
    assert summary.measure("day_voids").flag is None
