"""Suppression across the whole report (hypothesis over random populations): under every filter
setting no published count is below k, and nothing hidden can be worked out from everything
published, comparing settings included (they are lines of the same system)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from suppression_audit import pinned_cells

from pelvicoach.reporting.facts import AGE_BANDS
from pelvicoach.reporting.population import CURVE_WEEKS, DIMENSIONS, Population
from pelvicoach.reporting.report import SPECS, WEEKS, system_of

CATEGORIES = {spec.column: spec.categories for spec in SPECS}
TODAY = date(2026, 3, 15)  # the weeks of the latest months partly ended


@st.composite
def groups(draw) -> tuple[dict, list[dict], list[dict]]:
    """A group of women alike, the weeks in which some of them practised, and the reminders
    and nudges some of them were sent."""
    stage = draw(st.integers(min_value=0, max_value=4))
    n = draw(st.integers(min_value=1, max_value=14))
    dims = {
        "cohort": draw(st.sampled_from(["postpartum", "menopause"])),
        "age": draw(st.sampled_from(AGE_BANDS)),
        "version": draw(st.integers(min_value=1, max_value=2)),
        "month": draw(st.sampled_from(["2025-11", "2025-12", "2026-01", "2026-02"])),
        "team": draw(st.sampled_from(["", "Noord", "Zuid"])),
    }
    row = {**dims, "stage": stage, "n": n}
    training = stage == 4
    # The weeks since enrolment that have ended follow from the day she enrolled, as in the
    # data: the report leaves out what the calendar alone rules out.
    enrolled = date.fromisoformat(f"{dims['month']}-01") + timedelta(
        days=draw(st.integers(min_value=0, max_value=27))
    )
    row["weeks_done"] = min(CURVE_WEEKS, (TODAY - enrolled).days // 7) if training else None
    for column in ("sets_band", "plan"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if training else None
    practice = [
        {**dims, "week": week, "n": active}
        for week in WEEKS[: row["weeks_done"] or 0]
        if (active := draw(st.integers(min_value=0, max_value=n)))
    ]
    sends = []
    for kind in ("reminder", "nudge"):
        if reached := draw(st.integers(min_value=0, max_value=n)):
            sent = draw(st.integers(min_value=reached, max_value=4 * reached))
            back = draw(st.integers(min_value=0, max_value=sent))
            sends.append({**dims, "kind": kind, "sends": sent, "returned": back, "n": reached})
    for column in ("type", "severity", "control", "red_flag", "route"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if stage >= 3 else None
    for column in ("pgi_8", "change_8", "pgi_12", "change_12"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if stage == 4 else None
    row["referral"] = draw(st.sampled_from(CATEGORIES["referral"]))
    referred = row["referral"] in ("confirmed", "attended")
    for column in ("referral_reason", "referral_kind"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if referred else None
    return row, practice, sends


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(groups(), min_size=1, max_size=10), st.integers(min_value=5, max_value=12))
def test_every_setting_safe_and_nothing_worked_out(drawn, k):
    population = Population(
        women=pd.DataFrame([row for row, _practice, _sends in drawn]),
        practice=frame(
            [p for _row, practice, _ in drawn for p in practice], [*DIMENSIONS, "week", "n"]
        ),
        sends=frame(
            [s for _row, _p, sends in drawn for s in sends],
            [*DIMENSIONS, "kind", "sends", "returned", "n"],
        ),
        today=TODAY,
    )
    system = system_of(population)
    values = np.array(system.values, dtype=np.int64)
    # Every line holds for the true counts (a line that did not would make the audit wrong).
    assert all(values[line[:-1]].sum() == values[line[-1]] for line in system.lines.lines)
    published = system.protected(k)
    assert (values[published] >= k).all()
    # A count of messages shows only where the women they went to are k or more.
    assert all(values[women] >= k for cell, women in system.guards if published[cell])
    assert pinned_cells(values, published, system.lines) == []
