"""Bladder training's schedule, step by step, as tables."""

from __future__ import annotations

from datetime import date

import pytest

from pelvicoach.programs.training.bladder import (
    Week,
    current,
    schedule,
    starting_interval,
    tick_opens_on,
)

SETTINGS = {"bladder_start_minutes": 60, "bladder_step_minutes": 15, "bladder_goal_minutes": 180}


@pytest.mark.parametrize(
    ("diary", "start"),
    [
        (None, 60),  # no diary: every hour
        (40, 60),  # she goes more often than hourly: still start at an hour
        (60, 60),
        (100, 90),  # her diary's interval, rounded down to a quarter
        (134, 120),
        (400, 180),  # never past the goal
    ],
)
def test_the_starting_interval(diary, start):
    assert starting_interval(diary, SETTINGS) == start


@pytest.mark.parametrize(
    ("start", "settings", "minutes"),
    [
        (60, SETTINGS, [60, 75, 90, 105, 120, 135, 150, 165, 180]),
        (60, {**SETTINGS, "bladder_step_minutes": 30}, [60, 90, 120, 150, 180]),
        (150, {**SETTINGS, "bladder_step_minutes": 20}, [150, 170, 180]),  # last step shorter
        (180, SETTINGS, [180]),  # already at the goal
        (60, {**SETTINGS, "bladder_goal_minutes": 120}, [60, 75, 90, 105, 120]),
    ],
)
def test_the_schedule_lengthens_each_week_up_to_the_goal(start, settings, minutes):
    weeks = schedule(start, settings)
    assert [week.minutes for week in weeks] == minutes
    assert [week.number for week in weeks] == list(range(1, len(minutes) + 1))


@pytest.mark.parametrize(("done", "week"), [(0, Week(1, 60)), (2, Week(3, 90)), (9, Week(5, 120))])
def test_the_week_she_is_in_stays_at_the_goal(done, week):
    weeks = schedule(60, {**SETTINGS, "bladder_goal_minutes": 120})
    assert current(weeks, done) == week


def test_a_week_is_ticked_off_after_seven_days():
    assert tick_opens_on(date(2026, 11, 26)) == date(2026, 12, 3)
