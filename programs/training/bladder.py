"""Bladder training's voiding-interval schedule: pure, so each step is a row in a table test.

She starts at the program's interval (1 hour by default), or at her diary's typical interval
when that is longer, and lengthens it each week she ticks off, up to the goal (2-3 hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

ROUND_TO = 15  # minutes: intervals she can keep to with a clock


@dataclass(frozen=True)
class Week:
    number: int
    minutes: int


def starting_interval(diary_minutes: int | None, settings: dict[str, Any]) -> int:
    """Her first interval: the program's start, or her diary's typical interval rounded down
    to a quarter of an hour when that is longer; never past the goal."""
    start = settings["bladder_start_minutes"]
    if diary_minutes is not None:
        start = max(start, diary_minutes // ROUND_TO * ROUND_TO)
    return min(start, settings["bladder_goal_minutes"])


def schedule(start_minutes: int, settings: dict[str, Any]) -> list[Week]:
    """Each week's interval, from her start to the goal; the last week holds the goal."""
    goal, step = settings["bladder_goal_minutes"], settings["bladder_step_minutes"]
    weeks = [Week(1, start_minutes)]
    while weeks[-1].minutes < goal:
        weeks.append(Week(len(weeks) + 1, min(goal, weeks[-1].minutes + step)))
    return weeks


def current(weeks: list[Week], weeks_done: int) -> Week:
    """The week she is in; at the goal she stays there."""
    return weeks[min(weeks_done, len(weeks) - 1)]


def tick_opens_on(week_started_on: date) -> date:
    """A week is ticked off after she kept to it for a week."""
    return week_started_on + timedelta(days=7)
