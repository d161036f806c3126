"""Suppression across the whole report (hypothesis over random populations): under every filter
setting no published count is below k, and nothing hidden can be worked out from everything
published, comparing settings included (they are lines of the same system)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from suppression_audit import pinned_cells

from pelvicoach.reporting.population import AGE_BANDS
from pelvicoach.reporting.report import SPECS, system_of
from pelvicoach.reporting.suppression import protect

CATEGORIES = {spec.column: spec.categories for spec in SPECS}


@st.composite
def groups(draw) -> dict:
    stage = draw(st.integers(min_value=0, max_value=4))
    row = {
        "cohort": draw(st.sampled_from(["postpartum", "menopause"])),
        "age": draw(st.sampled_from(AGE_BANDS)),
        "version": draw(st.integers(min_value=1, max_value=2)),
        "month": draw(st.sampled_from(["2025-11", "2025-12", "2026-01", "2026-02"])),
        "stage": stage,
        "n": draw(st.integers(min_value=1, max_value=14)),
    }
    for week in (4, 8, 12):
        row[f"active_{week}"] = draw(st.sampled_from([1, 0, None])) if stage == 4 else None
    for column in ("type", "severity", "control", "red_flag", "route"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if stage >= 3 else None
    for column in ("pgi_8", "change_8", "pgi_12", "change_12"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if stage == 4 else None
    row["referral"] = draw(st.sampled_from(CATEGORIES["referral"]))
    referred = row["referral"] in ("confirmed", "attended")
    for column in ("referral_reason", "referral_kind"):
        row[column] = draw(st.sampled_from(CATEGORIES[column])) if referred else None
    return row


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(groups(), min_size=1, max_size=10), st.integers(min_value=5, max_value=12))
def test_every_setting_safe_and_nothing_worked_out(rows, k):
    women = pd.DataFrame(rows)
    system = system_of(women)
    values = np.array(system.values, dtype=np.int64)
    published = protect(values, system.lines, k)
    assert (values[published] >= k).all()
    assert pinned_cells(values, published, system.lines) == []
