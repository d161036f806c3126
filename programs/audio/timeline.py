"""When each cue of an exercise starts: the one source for the on-screen player and the MP3."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

OUTRO_SECONDS = 4  # the closing "done" cue


@dataclass(frozen=True)
class Cue:
    start: int  # seconds from the beginning
    seconds: int
    cue: str  # a cue key of the program: squeeze, relax, ...
    words: str  # what is said (and shown) in her language
    repetition: int  # 0 for the lead-in and the close


@dataclass(frozen=True)
class Timeline:
    cues: list[Cue]
    total: int  # seconds

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "cues": [asdict(cue) for cue in self.cues]}


def timeline(exercise: dict[str, Any], spoken: dict[str, dict[str, str]], locale: str) -> Timeline:
    """The exercise's lead-in, its repetitions of the pattern, and a closing cue."""
    timing = exercise["timing"]

    def say(key: str) -> str:
        return spoken[key].get(locale) or spoken[key]["nl"]

    cues = [Cue(0, timing["lead_in"], "start", say("start"), 0)]
    at = timing["lead_in"]
    for repetition in range(1, timing["repetitions"] + 1):
        for segment in timing["pattern"]:
            cues.append(
                Cue(at, segment["seconds"], segment["cue"], say(segment["cue"]), repetition)
            )
            at += segment["seconds"]
    cues.append(Cue(at, OUTRO_SECONDS, "done", say("done"), 0))
    return Timeline(cues, at + OUTRO_SECONDS)
