"""Progression, branch by branch, as a table: pure functions over logged sets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pelvicoach.programs.configuration.services import default_program
from pelvicoach.programs.training.models import Completion, Effort
from pelvicoach.programs.training.progression import Advice, Logged, advise, choosable

TODAY = date(2026, 11, 26)
SETTINGS = {
    "training_days_needed": 5,
    "training_window_days": 7,
    "too_hard_repeats": 2,
    "levels_ahead": 1,
}
LEVEL_3 = {"level": 3, "sets": 3}
FULL, PART = Completion.FULLY, Completion.PARTLY
EASY, RIGHT, HARD = Effort.EASY, Effort.RIGHT, Effort.TOO_HARD


def days(count: int, sets: int = 3, level: int = 3, start: int = 0, **kind) -> list[Logged]:
    """`sets` sets a day on `count` days, ending `start` days before today, oldest first."""
    completion, effort = kind.get("completion", FULL), kind.get("effort", RIGHT)
    return [
        Logged(TODAY - timedelta(days=start + back), level, completion, effort)
        for back in reversed(range(count))
        for _ in range(sets)
    ]


CASES = [
    # (why, logs, level, advice, days met, today's sets)
    ("nothing logged yet", [], LEVEL_3, Advice.STAY, 0, 0),
    ("5 full days in the last 7: up", days(5), LEVEL_3, Advice.MOVE_UP, 5, 3),
    ("4 full days: not yet", days(4), LEVEL_3, Advice.STAY, 4, 3),
    ("5 days but 2 sets a day: not yet", days(5, sets=2), LEVEL_3, Advice.STAY, 0, 2),
    ("more sets than asked count too", days(5, sets=4), LEVEL_3, Advice.MOVE_UP, 5, 4),
    ("5 days, ending 3 days ago: 4 in the window", days(5, start=3), LEVEL_3, Advice.STAY, 4, 0),
    ("sets done partly do not count", days(5, completion=PART), LEVEL_3, Advice.STAY, 0, 0),
    ("easy sets count", days(5, effort=EASY), LEVEL_3, Advice.MOVE_UP, 5, 3),
    ("sets at a lower level do not count", days(5, level=2), LEVEL_3, Advice.STAY, 0, 0),
    ("sets at a higher level count", days(5, level=4), LEVEL_3, Advice.MOVE_UP, 5, 3),
    ("the top level has no next", days(7, level=12), {"level": 12, "sets": 3}, Advice.STAY, 7, 3),
    (
        "the last two too hard: a step back",
        days(5) + days(1, sets=2, effort=HARD),
        LEVEL_3,
        Advice.STEP_BACK,
        5,
        3,
    ),
    (
        "one too hard, then fine: stay on course",
        days(4) + days(1, sets=1, effort=HARD) + days(1, sets=1),
        LEVEL_3,
        Advice.STAY,
        4,
        4,  # today: 3 + 1 that count, the too hard one does not
    ),
    (
        "too hard at level 1: nowhere to step back to, a physio looks",
        days(1, sets=2, level=1, effort=HARD),
        {"level": 1, "sets": 3},
        Advice.SEE_PHYSIO,
        0,
        0,
    ),
    (
        "too hard sets of another level do not count against this one",
        days(1, sets=2, level=4, effort=HARD),
        LEVEL_3,
        Advice.STAY,
        0,
        0,
    ),
]


@pytest.mark.parametrize(
    ("logs", "level", "advice", "met", "today"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_advice(logs, level, advice, met, today):
    progress = advise(level, 12, logs, TODAY, SETTINGS)
    assert (progress.advice, progress.days_met, progress.today) == (advice, met, today)
    assert progress.per_day == level["sets"]


def test_a_longer_window_and_fewer_days_needed_follow_the_settings():
    settings = {**SETTINGS, "training_days_needed": 3, "training_window_days": 14}
    logs = days(3, start=10)
    assert advise(LEVEL_3, 12, logs, TODAY, settings).advice == Advice.MOVE_UP
    assert advise(LEVEL_3, 12, logs, TODAY, SETTINGS).advice == Advice.STAY


def test_three_too_hard_in_a_row_when_the_program_asks_three():
    settings = {**SETTINGS, "too_hard_repeats": 3}
    two, three = days(1, sets=2, effort=HARD), days(1, sets=3, effort=HARD)
    assert advise(LEVEL_3, 12, two, TODAY, settings).advice == Advice.STAY
    assert advise(LEVEL_3, 12, three, TODAY, settings).advice == Advice.STEP_BACK


@pytest.mark.parametrize(
    ("highest", "ahead", "top", "allowed"),
    [
        (1, 1, 12, range(1, 3)),
        (5, 1, 12, range(1, 7)),
        (5, 0, 12, range(1, 6)),
        (12, 1, 12, range(1, 13)),
        (11, 3, 12, range(1, 13)),
        (0, 1, 12, range(1, 3)),
    ],
)
def test_she_may_choose_any_level_reached_and_a_few_beyond(highest, ahead, top, allowed):
    assert choosable(highest, top, {**SETTINGS, "levels_ahead": ahead}) == allowed


def test_the_default_program_has_twelve_levels_building_to_ten_second_holds():
    levels = default_program().levels
    assert len(levels) == 12
    assert [level["hold_seconds"] for level in levels] == sorted(
        level["hold_seconds"] for level in levels
    )
    assert levels[-1]["hold_seconds"] == 10
    assert all(level["rest_seconds"] >= level["hold_seconds"] for level in levels)
    assert all(8 <= level["repetitions"] <= 12 and level["sets"] == 3 for level in levels)
