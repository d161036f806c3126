"""When she is ready for the next level, or better off a step back: pure functions over her
logged sessions and the program's settings, so every branch is a row in a table test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pelvicoach.programs.training.models import Completion, Effort


@dataclass(frozen=True)
class Logged:
    day: date
    level: int
    completion: Completion
    effort: Effort


class Advice(StrEnum):
    STAY = "stay"
    MOVE_UP = "move_up"
    STEP_BACK = "step_back"
    SEE_PHYSIO = "see_physio"  # too hard at the first level: no step back, a physio looks


@dataclass(frozen=True)
class Progress:
    advice: Advice
    days_met: int  # days in the window on which she met the level's daily target
    days_needed: int
    window_days: int
    today: int  # sets done today at this level (or higher)
    per_day: int  # the level's sets a day


def counts(log: Logged, level: int) -> bool:
    """A set counts towards a level's target when done fully, at that level or above, and not
    too hard."""
    return (
        log.level >= level and log.completion == Completion.FULLY and log.effort != Effort.TOO_HARD
    )


def advise(
    level: dict[str, Any],
    top_level: int,
    logs: Iterable[Logged],
    today: date,
    settings: dict[str, Any],
) -> Progress:
    """Advice for her current `level` from the sets she logged since she got to it, oldest
    first. Moving up needs the level's sets a day on enough of the last days; a step back is
    suggested after the last few sets were all too hard (at the first level, a pelvic
    physiotherapist: no progress is advice to see one). Either way she decides."""
    logs = list(logs)
    number = level["level"]
    first_day = today - timedelta(days=settings["training_window_days"] - 1)
    per_day = Counter(
        log.day for log in logs if first_day <= log.day <= today and counts(log, number)
    )
    days_met = sum(1 for done in per_day.values() if done >= level["sets"])
    repeats = settings["too_hard_repeats"]
    recent = [log for log in logs if log.level == number][-repeats:]
    if len(recent) == repeats and all(log.effort == Effort.TOO_HARD for log in recent):
        advice = Advice.STEP_BACK if number > 1 else Advice.SEE_PHYSIO
    elif number < top_level and days_met >= settings["training_days_needed"]:
        advice = Advice.MOVE_UP
    else:
        advice = Advice.STAY
    return Progress(
        advice=advice,
        days_met=days_met,
        days_needed=settings["training_days_needed"],
        window_days=settings["training_window_days"],
        today=per_day.get(today, 0),
        per_day=level["sets"],
    )


def choosable(highest: int, top_level: int, settings: dict[str, Any]) -> range:
    """The levels she may pick herself: any she reached, and a few beyond."""
    return range(1, min(top_level, max(highest, 1) + settings["levels_ahead"]) + 1)
