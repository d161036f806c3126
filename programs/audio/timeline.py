"""When each cue of an exercise starts: the one source for the on-screen player and the MP3."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

OUTRO_SECONDS = 4  # the closing "done" cue
LEVEL_LEAD_IN = 10
BLOCK_REST = 8  # between the holds and the quick contractions
QUICK = (("quick", 1), ("relax", 2))  # a quick squeeze, then let go fully


@dataclass(frozen=True)
class Cue:
    start: int  # seconds from the beginning
    seconds: int
    cue: str  # a cue key of the program: squeeze, relax, ...
    words: str  # what is said (and shown) in her language
    repetition: int  # 0 for the lead-in, the close and rests between blocks
    of: int = 0  # repetitions in its block


@dataclass(frozen=True)
class Timeline:
    cues: list[Cue]
    total: int  # seconds

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "cues": [asdict(cue) for cue in self.cues]}


Pattern = list[tuple[str, int]]  # (cue key, seconds), repeated as a block


def _line(
    lead_in: int, blocks: list[tuple[Pattern, int]], spoken: dict[str, dict[str, str]], locale: str
) -> Timeline:
    """A lead-in, each block's pattern repeated (a rest between blocks), and a closing cue."""

    def say(key: str) -> str:
        return spoken[key].get(locale) or spoken[key]["nl"]

    cues = [Cue(0, lead_in, "start", say("start"), 0)]
    at = lead_in
    for index, (pattern, repetitions) in enumerate(blocks):
        if index:
            cues.append(Cue(at, BLOCK_REST, "rest", say("rest"), 0))
            at += BLOCK_REST
        for repetition in range(1, repetitions + 1):
            for key, seconds in pattern:
                cues.append(Cue(at, seconds, key, say(key), repetition, repetitions))
                at += seconds
    cues.append(Cue(at, OUTRO_SECONDS, "done", say("done"), 0))
    return Timeline(cues, at + OUTRO_SECONDS)


def timeline(exercise: dict[str, Any], spoken: dict[str, dict[str, str]], locale: str) -> Timeline:
    """An awareness exercise: its lead-in and its repetitions of the pattern."""
    timing = exercise["timing"]
    pattern = [(segment["cue"], segment["seconds"]) for segment in timing["pattern"]]
    return _line(timing["lead_in"], [(pattern, timing["repetitions"])], spoken, locale)


def level_timeline(
    level: dict[str, Any], spoken: dict[str, dict[str, str]], locale: str
) -> Timeline:
    """One set of a training level: its holds with their rests, then its quick contractions."""
    blocks = [
        (
            [("squeeze", level["hold_seconds"]), ("relax", level["rest_seconds"])],
            level["repetitions"],
        )
    ]
    if level["quick_contractions"]:
        blocks.append((list(QUICK), level["quick_contractions"]))
    return _line(LEVEL_LEAD_IN, blocks, spoken, locale)
