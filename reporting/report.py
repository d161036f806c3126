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
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache

import numpy as np
import pandas as pd

from pelvicoach.reporting.facts import AGE_BANDS, OUTCOME_WEEKS, Stage
from pelvicoach.reporting.population import (
    ACTIVE_WEEKS,
    CURVE_WEEKS,
    DIMENSIONS,
    NO_TEAM,
    SET_BANDS,
    Population,
)
from pelvicoach.reporting.suppression import Lines, protect
from pelvicoach.tenants.care_providers import ProviderKind


class Dim(StrEnum):
    PERIOD = "period"  # the year she enrolled
    COHORT = "cohort"
    AGE = "age"
    VERSION = "version"
    TEAM = "team"  # her clinician's team, where the tenant has teams


@dataclass(frozen=True)
class Setting:
    dim: Dim | None = None  # None: everyone
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Setting:
        """A setting as the page's filter writes it: "dim:value", or "" for everyone."""
        if not text:
            return cls()
        dim, _sep, value = text.partition(":")
        return cls(Dim(dim), value)

    def __str__(self) -> str:
        return f"{self.dim}:{self.value}" if self.dim else ""


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
REASONS = ("red_flag", "no_improvement", "control", "tear", "other_type", "her_request")
WEEKS = tuple(range(1, CURVE_WEEKS + 1))
ACTIVE = (1, 0, NOT_YET)  # practised in the week, did not, the week has not ended
SEND_KINDS = ("reminder", "nudge")
RETURNS = ("returned", "no_return")  # a set that day or the next, or none
SPECS = (
    Spec("funnel", "stage", STAGES, "everyone"),
    Spec("sets_week", "sets_band", (*SET_BANDS, NOT_YET), "training"),
    Spec("plan", "plan", ("meets", "below", NOT_YET), "training"),
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
SPEC_COLUMNS = tuple(spec.column for spec in SPECS)
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

    def has(self, category: Hashable) -> bool:
        """Whether the category can occur at all (the calendar rules some out)."""
        return any(row.category == category for row in self.rows)


@dataclass
class Report:
    setting: Setting
    k: int
    options: dict[Dim, list[str]]
    tables: dict[str, Table] = field(default_factory=dict)
    months: Table | None = None
    # Month of enrolment -> week since enrolment -> who practised (all women, or one year)
    curve: dict[str, dict[int, Table]] = field(default_factory=dict)
    computed_at: datetime | None = None

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


def practising(table: Table) -> float | None:
    """The share who practised in a week, of those whose week has ended: None where either
    count is hidden, or the week has ended for nobody."""
    if not (table.has(1) and table.has(0)):
        return None
    active, idle = table.count(1), table.count(0)
    if active is None or idle is None or active + idle == 0:
        return None
    return active / (active + idle)


class _System:
    """Counts with keys, and the lines between them."""

    def __init__(self) -> None:
        self.values: list[int] = []
        self.index: dict[Hashable, int] = {}
        self.lines = Lines()
        # (cell, women): the cell is hidden whenever the count of women it speaks of is below k
        self.guards: list[tuple[int, int]] = []
        self.curve: set[int] = set()  # the cells of the curve by month, protected second

    def cell(self, key: Hashable, value: int) -> int:
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(int(value))
        return self.index[key]

    def alias(self, key: Hashable, same_as: Hashable) -> None:
        self.index[key] = self.index[same_as]

    def line(self, parts: list[Hashable], total: Hashable) -> None:
        self.lines.add([self.index[key] for key in parts] + [self.index[total]])

    def protected(self, k: int) -> np.ndarray:
        """The counts that may be published. The curve by month holds hundreds of small counts:
        the rest is settled first without it, then the curve is protected around that, hiding
        its own counts rather than the report's main figures."""
        values = np.array(self.values, dtype=np.int64)
        hide = np.zeros(len(values), dtype=bool)
        for cell, women in self.guards:  # hidden while the women they speak of are under k
            hide[cell] |= values[women] < k
        curve = np.zeros(len(values), dtype=bool)
        curve[list(self.curve)] = True
        main = Lines([line for line in self.lines.lines if not curve[line].any()])
        settled = protect(values, main, k, hide) & ~curve
        return protect(values, self.lines, k, hide | (~settled & ~curve), locked=settled)


def options(population: Population) -> dict[Dim, list[str]]:
    women = population.women
    years = sorted({month[:4] for month in women["month"].unique()})
    versions = sorted({int(v) for v in women["version"].unique()})
    teams = sorted(set(women["team"].unique()) - {NO_TEAM})
    return {
        Dim.PERIOD: years,
        Dim.COHORT: ["postpartum", "menopause"],
        Dim.AGE: list(AGE_BANDS),
        Dim.VERSION: [str(v) for v in versions],
        # Offered once a team is named; women of clinicians without one make up the rest.
        Dim.TEAM: [*teams, NO_TEAM] if teams else [],
    }


def _months(women: pd.DataFrame) -> list[str]:
    if not len(women):
        return []
    first, last = women["month"].min(), women["month"].max()
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _categorized(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns as categories (a fact not known yet as NOT_YET), the
    version as text and the year of the month beside it: the filters' comparisons and the
    tables' counts, done hundreds of times, then work on small integer codes."""
    frame = frame.assign(version=frame["version"].astype(str), year=frame["month"].str[:4])
    # How far she came (`stage`) is compared by order: it stays a number.
    text = frame.columns.intersection([*DIMENSIONS, "year", "kind", *SPEC_COLUMNS])
    for column in text.difference(["stage"]):
        frame[column] = frame[column].where(frame[column].notna(), NOT_YET).astype("category")
    return frame


class _Tally:
    """A frame's women (or messages) summed by a column under every setting at once, read back
    for each setting: a count per category pair with numpy (`bincount` over the columns' codes),
    where slicing the frame for every setting and spec made hundreds of pandas groupbys."""

    def __init__(self, frame: pd.DataFrame, populations: dict[str, pd.Series] | None = None):
        self.frame = frame
        self.weights = {
            name: frame["n"].to_numpy(dtype=np.float64) * rows.to_numpy(dtype=np.float64)
            for name, rows in (populations or {}).items()
        }
        self.weights["everyone"] = frame["n"].to_numpy(dtype=np.float64)
        self.codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self.done: dict[tuple, dict[Hashable, dict[Hashable, int]]] = {}

    def of(self, setting: Setting, column: str, population: str = "everyone") -> dict:
        """{category of `column`: women} among the setting's women of `population`."""
        by, at = _filtered_by(setting)
        return self.by(by, column, population).get(at, {})

    def by(self, by: str | None, column: str, population: str = "everyone") -> dict:
        """{value of `by`: {category of `column`: women}} (`by` None: a single key, None)."""
        key = (by, column, population)
        if key not in self.done:
            codes, categories = self._coded(column)
            outer, groups = self._coded(by) if by else (np.zeros_like(codes), pd.Index([None]))
            known = (codes >= 0) & (outer >= 0)
            width = len(categories)
            summed = np.bincount(
                outer[known] * width + codes[known],
                weights=self.weights[population][known],
                minlength=len(groups) * width,
            ).reshape(len(groups), width)
            self.done[key] = {
                group: {
                    category: int(count)
                    for category, count in zip(categories, row, strict=True)
                    if count
                }
                for group, row in zip(groups, summed, strict=True)
            }
        return self.done[key]

    def _coded(self, column: str) -> tuple[np.ndarray, pd.Index]:
        """The column's values as integer codes (-1: missing) and what each code stands for."""
        if column not in self.codes:
            values = self.frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                coded = (values.cat.codes.to_numpy(dtype=np.int64), values.cat.categories)
            else:
                codes, uniques = pd.factorize(values)
                coded = (codes.astype(np.int64), pd.Index(uniques))
            self.codes[column] = coded
        return self.codes[column]


def _filtered_by(setting: Setting) -> tuple[str | None, str | None]:
    """The column a setting filters on, and its value (everyone: none)."""
    if setting.dim is None:
        return None, None
    return ("year" if setting.dim is Dim.PERIOD else setting.dim.value), setting.value


def _weeks(
    ended: dict[Hashable, int],
    practised: dict[Hashable, int],
    weeks: tuple[int, ...] = WEEKS,
) -> dict[int, dict[Hashable, int]]:
    """For each week since enrolment, of the women in training (`ended`: how many by weeks
    ended): who practised in it, who did not (the week has ended), and for whom it has not ended
    yet."""
    total = sum(ended.values())
    counts = {}
    for week in weeks:
        over = sum(n for done, n in ended.items() if done >= week)
        active = practised.get(week, 0)
        counts[week] = {1: active, 0: over - active, NOT_YET: total - over}
    return counts


def system_of(population: Population) -> _System:
    """Every count of every table under every setting, and the lines between them."""
    choices = options(population)
    settings = [EVERYONE] + [
        Setting(dim, value) for dim, values in choices.items() for value in values
    ]
    months = _months(population.women)
    women = _categorized(population.women)
    stage, referral = women["stage"], women["referral"]
    tally = _Tally(
        women,
        {
            "intake": stage >= Stage.INTAKE,
            "training": stage == Stage.TRAINING,
            "referred": referral.isin(DERIVED["referred"][1]),
        },
    )
    practice, sends = _Tally(_categorized(population.practice)), _categorized(population.sends)
    system = _System()
    for current in settings:
        everyone = (current, "everyone")
        system.cell(everyone, sum(tally.of(current, "stage").values()))
        for spec in SPECS:
            found = tally.of(current, spec.column, spec.population)
            counts = {category: found.get(category, 0) for category in spec.categories}
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
        # Every week of the curve for all women; weeks 4, 8 and 12 under a filter (each week is
        # a dozen counts more under every setting, for suppression to weigh).
        weeks = WEEKS if current == EVERYONE else ACTIVE_WEEKS
        ended = tally.of(current, "weeks_done", "training")
        for week, counts in _weeks(ended, practice.of(current, "week"), weeks).items():
            possible = _possible_in(months, week, population.today)
            keys = [(current, f"active_{week}", category) for category in possible]
            if possible == (NOT_YET,):
                system.alias(keys[0], (current, "training"))
                continue
            for key, category in zip(keys, possible, strict=True):
                system.cell(key, counts[category])
            if keys:
                system.line(keys, (current, "training"))
        _reminders(system, current, sends)
        if current == EVERYONE:
            _curve(system, tally, practice, months, population.today)
        if current.dim is Dim.PERIOD:
            ours = [m for m in months if m.startswith(str(current.value))]
            system.line([(EVERYONE, "month", m) for m in ours], everyone)
        else:
            by_month = tally.of(current, "month")
            for month in months:
                system.cell((current, "month", month), by_month.get(month, 0))
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


def _reminders(system: _System, current: Setting, sends: pd.DataFrame) -> None:
    """Reminders and nudges sent and followed by a set: counts of messages, so each is shown
    only where the women they went to are a group of k or more (a guard), besides being k or
    more messages itself."""
    by, at = _filtered_by(current)
    rows = sends if by is None else sends[sends[by] == at]
    summed = rows.groupby("kind", observed=True)[["sends", "returned", "n"]].sum()
    for kind in SEND_KINDS:
        sent, returned, women = (
            (int(value) for value in summed.loc[kind]) if kind in summed.index else (0, 0, 0)
        )
        total = (current, "sends", kind)
        system.cell(total, sent)
        keys = [(*total, category) for category in RETURNS]
        system.cell(keys[0], returned)
        system.cell(keys[1], sent - returned)
        system.line(keys, total)
        reached = system.cell((current, "reached", kind), women)
        for key in (total, *keys):
            system.guards.append((system.index[key], reached))


def _curve(
    system: _System, tally: _Tally, practice: _Tally, months: list[str], today: date
) -> None:
    """The weeks of the women in training by the month they enrolled (all women only: a month
    lies in one year, so the year filter reads these same counts). A week every woman of the
    month has ended has no "not yet", one none can have ended has only that: the calendar says
    so to anyone, so those are not counts to protect (hidden zeros known to all would pin the
    counts beside them)."""
    ended_by_month = tally.by("month", "weeks_done", "training")
    practised_by_month = practice.by("month", "week")
    for month in months:
        ended = ended_by_month.get(month, {})
        total = (EVERYONE, "curve", month)
        system.curve.add(system.cell(total, sum(ended.values())))
        weeks = _weeks(ended, practised_by_month.get(month, {}))
        for week, counts in weeks.items():
            possible = _possible(month, week, today)
            keys = [(*total[1:], week, category) for category in possible]
            keys = [(EVERYONE, *key) for key in keys]
            if possible == (NOT_YET,):
                system.alias(keys[0], total)
                continue
            for key, category in zip(keys, possible, strict=True):
                system.curve.add(system.cell(key, counts[category]))
            system.line(keys, total)
    if months:
        system.line([(EVERYONE, "curve", month) for month in months], (EVERYONE, "training"))
        for week in WEEKS:
            for category in ACTIVE:
                parts = [(EVERYONE, "curve", m, week, category) for m in months]
                parts = [part for part in parts if part in system.index]
                if parts:
                    system.line(parts, (EVERYONE, f"active_{week}", category))


def _possible_in(months: list[str], week: int, today: date) -> tuple[Hashable, ...]:
    """What week `week` can be for some woman enrolled in one of `months`."""
    found = {category for month in months for category in _possible(month, week, today)}
    return tuple(category for category in ACTIVE if category in found)


@cache  # asked for every month, week and setting; the calendar's answer never changes
def _possible(month: str, week: int, today: date) -> tuple[Hashable, ...]:
    """What week `week` since enrolment can be for a woman who enrolled in `month`, by the
    calendar alone."""
    period = pd.Period(month, freq="M")
    first, last = period.start_time.date(), min(period.end_time.date(), today)
    if (today - first).days < 7 * week:
        return (NOT_YET,)
    if (today - last).days >= 7 * week:
        return (1, 0)
    return ACTIVE


@dataclass(frozen=True)
class Published:
    """Every count of every setting as it may be shown (None where hidden): worked out once
    for a tenant's data, then read for whichever setting the page asks."""

    counts: dict[Hashable, int | None]
    options: dict[Dim, list[str]]
    months: list[str]
    k: int
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def report(self, setting: Setting) -> Report:
        shown = self.counts.get
        report = Report(
            setting=setting, k=self.k, options=self.options, computed_at=self.computed_at
        )

        def table(key: str, categories: tuple, total: Hashable) -> Table:
            return Table(
                rows=[Row(c, shown((setting, key, c))) for c in categories],
                total=shown((setting, total)),
            )

        for spec in SPECS:
            report.tables[spec.key] = table(spec.key, spec.categories, spec.population)
        for week in WEEKS:
            present = tuple(c for c in ACTIVE if (setting, f"active_{week}", c) in self.counts)
            if present:
                report.tables[f"active_{week}"] = table(f"active_{week}", present, "training")
        for kind in SEND_KINDS:
            report.tables[f"sends_{kind}"] = Table(
                rows=[Row(c, shown((setting, "sends", kind, c))) for c in RETURNS],
                total=shown((setting, "sends", kind)),
            )
            report.tables[f"reached_{kind}"] = Table(
                rows=[Row("women", shown((setting, "reached", kind)))],
                total=shown((setting, "everyone")),
            )
        by_year = setting.dim is Dim.PERIOD
        ours = [m for m in self.months if not by_year or m.startswith(str(setting.value))]
        month_setting = EVERYONE if by_year else setting
        report.months = Table(
            rows=[Row(m, shown((month_setting, "month", m))) for m in ours],
            total=shown((setting, "everyone")),
        )
        if setting.dim is None or by_year:
            report.curve = {
                month: {
                    week: Table(
                        rows=[
                            Row(c, shown(key))
                            for c in ACTIVE
                            if (key := (EVERYONE, "curve", month, week, c)) in self.counts
                        ],
                        total=shown((EVERYONE, "curve", month)),
                    )
                    for week in WEEKS
                }
                for month in ours
            }
        return report


def publishable(population: Population, k: int) -> Published:
    """Suppress once over the whole system of counts."""
    system = system_of(population)
    published = system.protected(k)
    return Published(
        counts={
            key: system.values[at] if published[at] else None for key, at in system.index.items()
        },
        options=options(population),
        months=_months(population.women),
        k=k,
    )


def build(population: Population, setting: Setting, k: int) -> Report:
    """The report under one setting (tests and one-off use; pages keep `publishable`'s result)."""
    return publishable(population, k).report(setting)
