"""The report: every table under every filter setting, built as one system of counts so that
suppression sees how they add up (a table's rows to its total, the settings of one filter to
"everyone", a year's months to the year), then the published part of one setting.

One filter at a time: the settings of a filter add up to everyone, and that line is what
complementary suppression protects. Two filters combined would make cells of their crossing
that no line protects (cohort and age band together differ from either alone by a group that
can be a single woman), so the page offers one filter at a time."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from pelvicoach.reporting.population import ACTIVE_WEEKS, AGE_BANDS, OUTCOME_WEEKS, Stage
from pelvicoach.reporting.suppression import Lines, protect
from pelvicoach.tenants.care_providers import ProviderKind


class Dim(StrEnum):
    PERIOD = "period"  # the year she enrolled
    COHORT = "cohort"
    AGE = "age"
    VERSION = "version"


@dataclass(frozen=True)
class Setting:
    dim: Dim | None = None  # None: everyone
    value: str | None = None


EVERYONE = Setting()
NOT_YET = "not_yet"


@dataclass(frozen=True)
class Spec:
    """A table: the women of `population` by `column`, in these categories."""

    key: str
    column: str
    categories: tuple[Hashable, ...]
    population: str  # "everyone", "intake" (a completed intake) or "training" (unlocked)


STAGES = tuple(range(Stage.TRAINING + 1))
OUTCOMES = ("much_better", "not_much_better", "no_answer", NOT_YET)
CHANGES = ("better", "same", "worse", "no_answer", NOT_YET)
REASONS = ("red_flag", "no_improvement", "control", "tear", "her_request")
SPECS = (
    Spec("funnel", "stage", STAGES, "everyone"),
    *(
        Spec(f"active_{week}", f"active_{week}", (1, 0, NOT_YET), "training")
        for week in ACTIVE_WEEKS
    ),
    Spec("type", "type", ("stress", "urge", "mixed", "other", "none"), "intake"),
    Spec("severity", "severity", ("none", "slight", "moderate", "severe", "very_severe"), "intake"),
    Spec("control", "control", ("sufficient", "unsure", "insufficient"), "intake"),
    Spec("red_flag", "red_flag", ("yes", "no"), "intake"),
    Spec("route", "route", ("see_gp", "physio", "wait", "awareness", "training"), "intake"),
    *(
        spec
        for week in OUTCOME_WEEKS
        for spec in (
            Spec(f"pgi_{week}", f"pgi_{week}", OUTCOMES, "training"),
            Spec(f"change_{week}", f"change_{week}", CHANGES, "training"),
        )
    ),
    Spec("referral", "referral", ("not_advised", "advised", "confirmed", "attended"), "everyone"),
    Spec("referral_reason", "referral_reason", REASONS, "referred"),
    Spec("referral_kind", "referral_kind", tuple(kind.value for kind in ProviderKind), "referred"),
)
# Totals that are sums of a table's rows: (table, rows).
DERIVED = {
    "intake": ("funnel", (Stage.INTAKE, Stage.TRAINING)),
    "referred": ("referral", ("confirmed", "attended")),
}


@dataclass(frozen=True)
class Row:
    category: Hashable
    count: int | None  # None: suppressed


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    total: int | None

    def count(self, category: Hashable) -> int | None:
        return next(row.count for row in self.rows if row.category == category)


@dataclass
class Report:
    setting: Setting
    k: int
    options: dict[Dim, list[str]]
    tables: dict[str, Table] = field(default_factory=dict)
    months: Table | None = None

    @property
    def reached(self) -> list[int | None]:
        """Women who reached each stage or went further, worked out from published counts
        only: the stages from it on, or the total less the stages before it."""
        funnel = self.tables["funnel"]
        counts = [row.count for row in funnel.rows]
        reached: list[int | None] = []
        for stage in range(len(counts)):
            after, before = counts[stage:], counts[:stage]
            if None not in after:
                reached.append(sum(after))  # type: ignore[arg-type]
            elif funnel.total is not None and None not in before:
                reached.append(funnel.total - sum(before))  # type: ignore[arg-type]
            else:
                reached.append(None)
        return reached


class _System:
    """Counts with keys, and the lines between them."""

    def __init__(self) -> None:
        self.values: list[int] = []
        self.index: dict[Hashable, int] = {}
        self.lines = Lines()

    def cell(self, key: Hashable, value: int) -> int:
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(int(value))
        return self.index[key]

    def alias(self, key: Hashable, same_as: Hashable) -> None:
        self.index[key] = self.index[same_as]

    def line(self, parts: list[Hashable], total: Hashable) -> None:
        self.lines.add([self.index[key] for key in parts] + [self.index[total]])


def options(women: pd.DataFrame) -> dict[Dim, list[str]]:
    years = sorted({month[:4] for month in women["month"]}) if len(women) else []
    versions = sorted({int(v) for v in women["version"]}) if len(women) else []
    return {
        Dim.PERIOD: years,
        Dim.COHORT: ["postpartum", "menopause"],
        Dim.AGE: list(AGE_BANDS),
        Dim.VERSION: [str(v) for v in versions],
    }


def _months(women: pd.DataFrame) -> list[str]:
    if not len(women):
        return []
    first, last = min(women["month"]), max(women["month"])
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _slice(women: pd.DataFrame, setting: Setting) -> pd.DataFrame:
    if setting.dim is None:
        return women
    column = {Dim.PERIOD: women["month"].str[:4], Dim.VERSION: women["version"].astype(str)}.get(
        setting.dim, women.get(setting.dim.value)
    )
    return women[column == setting.value]


def _counts(frame: pd.DataFrame, column: str, categories: tuple) -> dict[Hashable, int]:
    values = frame[column].astype(object).where(frame[column].notna(), NOT_YET)
    summed = frame["n"].groupby(values).sum()
    return {category: int(summed.get(category, 0)) for category in categories}


def system_of(women: pd.DataFrame) -> _System:
    """Every count of every table under every setting, and the lines between them."""
    choices = options(women)
    settings = [EVERYONE] + [
        Setting(dim, value) for dim, values in choices.items() for value in values
    ]
    months = _months(women)
    system = _System()
    for current in settings:
        frame = _slice(women, current)
        everyone = (current, "everyone")
        system.cell(everyone, frame["n"].sum())
        for spec in SPECS:
            population = {
                "everyone": frame,
                "intake": frame[frame["stage"] >= Stage.INTAKE],
                "training": frame[frame["stage"] == Stage.TRAINING],
                "referred": frame[frame["referral"].isin(DERIVED["referred"][1])],
            }[spec.population]
            counts = _counts(population, spec.column, spec.categories)
            keys = [(current, spec.key, category) for category in spec.categories]
            for key, category in zip(keys, spec.categories, strict=True):
                system.cell(key, counts[category])
            system.line(keys, (current, spec.population))
            for total, (table, rows) in DERIVED.items():
                if table == spec.key:
                    system.cell((current, total), sum(counts[row] for row in rows))
                    system.line([(current, table, row) for row in rows], (current, total))
            if spec.key == "funnel":
                system.alias((current, "training"), (current, "funnel", Stage.TRAINING))
        if current.dim is Dim.PERIOD:
            ours = [m for m in months if m.startswith(str(current.value))]
            system.line([(EVERYONE, "month", m) for m in ours], everyone)
        else:
            by_month = _counts(frame, "month", tuple(months))
            for month in months:
                system.cell((current, "month", month), by_month[month])
            if months:
                system.line([(current, "month", m) for m in months], everyone)
    # Each filter's settings add up to everyone, count by count.
    shared = [key[1:] for key in list(system.index) if key[0] == EVERYONE]
    for dim, values in choices.items():
        if not values:
            continue
        for rest in shared:
            if dim is Dim.PERIOD and rest[0] == "month":
                continue  # a month lies in one year: the year's line above holds it
            parts = [(Setting(dim, value), *rest) for value in values]
            if all(part in system.index for part in parts):
                system.line(parts, (EVERYONE, *rest))
    return system


@dataclass(frozen=True)
class Published:
    """Every count of every setting as it may be shown (None where hidden): worked out once
    for a tenant's data, then read for whichever setting the page asks."""

    counts: dict[Hashable, int | None]
    options: dict[Dim, list[str]]
    months: list[str]
    k: int

    def report(self, setting: Setting) -> Report:
        shown = self.counts.get
        report = Report(setting=setting, k=self.k, options=self.options)
        for spec in SPECS:
            report.tables[spec.key] = Table(
                rows=[Row(c, shown((setting, spec.key, c))) for c in spec.categories],
                total=shown((setting, spec.population)),
            )
        month_setting = EVERYONE if setting.dim is Dim.PERIOD else setting
        ours = [
            m
            for m in self.months
            if setting.dim is None
            or setting.dim is not Dim.PERIOD
            or m.startswith(str(setting.value))
        ]
        report.months = Table(
            rows=[Row(m, shown((month_setting, "month", m))) for m in ours],
            total=shown((setting, "everyone")),
        )
        return report


def publishable(women: pd.DataFrame, k: int) -> Published:
    """Suppress once over the whole system of counts."""
    system = system_of(women)
    published = protect(np.array(system.values, dtype=np.int64), system.lines, k)
    return Published(
        counts={
            key: system.values[at] if published[at] else None for key, at in system.index.items()
        },
        options=options(women),
        months=_months(women),
        k=k,
    )


def build(women: pd.DataFrame, setting: Setting, k: int) -> Report:
    """The report under one setting (tests and one-off use; pages keep `publishable`'s result)."""
    return publishable(women, k).report(setting)
