"""What her diary adds up to, per 24 hours, each measure set against the typical range (ICS;
DESIGN.md's clinical notes). Pure: entries in, numbers and flags out.

Day and night follow her own bed and wake times: a void between going to bed and getting up
counts for the night (the one as she goes to bed, and the one as she gets up, by day). Where
she noted neither, the night runs from 23:00 to 07:00."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from statistics import median

from pelvicoach.programs.diary.models import EntryKind

DEFAULT_BED, DEFAULT_WAKE = time(23, 0), time(7, 0)
# (low, high): outside this a measure is flagged. None: no range to compare with.
TYPICAL: dict[str, tuple[float, float] | None] = {
    "day_voids": (5, 7),
    "night_voids": (0, 2),
    "leaks": (0, 0),
    "fluid_ml": (1500, 2000),
    "largest_void_ml": (300, 700),
    "mean_void_ml": None,
    "pads": None,
    "urgency": None,
}


class Flag(StrEnum):
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class Noted:
    kind: EntryKind
    at: datetime  # in her time zone
    millilitres: int | None = None
    urgency: int | None = None


@dataclass(frozen=True)
class Measure:
    key: str
    value: float | None  # None: nothing to go on (no measured voids, say)
    typical: tuple[float, float] | None
    flag: Flag | None


@dataclass(frozen=True)
class Summary:
    days: int  # days with entries: the averages are over these
    measures: list[Measure] = field(default_factory=list)
    typical_interval_minutes: int | None = None  # between voids by day, for bladder training
    voids_measured: int = 0

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def flagged(self) -> list[Measure]:
        return [m for m in self.measures if m.flag]


def _flag(key: str, value: float | None) -> Flag | None:
    typical = TYPICAL[key]
    if value is None or typical is None:
        return None
    low, high = typical
    if value < low:
        return Flag.LOW
    if value > high:
        return Flag.HIGH
    return None


def _nights(entries: list[Noted], days: list[date]) -> list[tuple[datetime, datetime]]:
    """Each night of the diary as (to bed, up again), from her notes or the defaults."""
    beds = sorted(e.at for e in entries if e.kind == EntryKind.BED)
    wakes = sorted(e.at for e in entries if e.kind == EntryKind.WAKE)
    zone = entries[0].at.tzinfo if entries else None
    nights = []  # the night before the first day, then the night after each day
    for day in [days[0] - timedelta(days=1), *days]:
        evening = datetime.combine(day, time(12, 0), zone)
        bed = next((b for b in beds if evening <= b < evening + timedelta(hours=24)), None)
        bed = bed or datetime.combine(day, DEFAULT_BED, zone)
        wake = next((w for w in wakes if bed < w < bed + timedelta(hours=18)), None)
        wake = wake or datetime.combine(day + timedelta(days=1), DEFAULT_WAKE, zone)
        nights.append((bed, wake))
    return nights


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def summarize(entries: list[Noted], days: list[date]) -> Summary:
    """Averages per 24 hours over the diary's `days` that have entries. A diary day runs from
    getting up to getting up the next morning, so a void at 3 at night counts for the night
    before, even past the last date."""
    if not entries or not days:
        return Summary(days=0)
    nights = _nights(entries, days)
    zone = entries[0].at.tzinfo
    start, end = datetime.combine(days[0], time(0), zone), nights[-1][1]
    noted = [
        e for e in entries if start <= e.at < end and e.kind not in (EntryKind.BED, EntryKind.WAKE)
    ]

    def diary_day(moment: datetime) -> int:
        return max((i for i, (_bed, wake) in enumerate(nights[:-1]) if wake <= moment), default=0)

    count = len({diary_day(e.at) for e in noted})
    if not count:
        return Summary(days=0)

    def at_night(moment: datetime) -> bool:
        """Asleep: the void as she goes to bed and the one as she gets up are by day (ICS)."""
        return any(bed < moment < wake for bed, wake in nights)

    voids = [e for e in noted if e.kind == EntryKind.VOID]
    day_voids = [v for v in voids if not at_night(v.at)]
    measured = [v.millilitres for v in voids if v.millilitres]
    drunk = [e.millilitres for e in noted if e.kind == EntryKind.DRINK and e.millilitres]
    urgencies = [e.urgency for e in voids if e.urgency is not None]

    def per_day(kind: EntryKind) -> float | None:
        return _rounded(sum(1 for e in noted if e.kind == kind) / count)

    values = {
        "day_voids": _rounded(len(day_voids) / count),
        "night_voids": _rounded((len(voids) - len(day_voids)) / count),
        "leaks": per_day(EntryKind.LEAK),
        "fluid_ml": _rounded(sum(drunk) / count, 0) if drunk else None,
        "largest_void_ml": float(max(measured)) if measured else None,
        "mean_void_ml": _rounded(sum(measured) / len(measured), 0) if measured else None,
        "pads": per_day(EntryKind.PAD),
        "urgency": _rounded(sum(urgencies) / len(urgencies)) if urgencies else None,
    }
    return Summary(
        days=count,
        measures=[
            Measure(key, value, TYPICAL[key], _flag(key, value)) for key, value in values.items()
        ],
        typical_interval_minutes=_typical_interval(day_voids),
        voids_measured=len(measured),
    )


def _typical_interval(day_voids: list[Noted]) -> int | None:
    """The median time between two voids on the same day, in minutes."""
    moments = sorted(v.at for v in day_voids)
    gaps = [
        (later - earlier).total_seconds() / 60
        for earlier, later in itertools.pairwise(moments)
        if earlier.date() == later.date()
    ]
    return round(median(gaps)) if gaps else None
