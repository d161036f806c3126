"""An outside check on suppression for the tests: which hidden counts could someone work out from
everything published? One linear program over the whole system (not the per-group audit the
code runs): a hidden count is given away when its least and most possible values meet."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from pelvicoach.reporting.suppression import Lines


def pinned_cells(values: np.ndarray, published: np.ndarray, lines: Lines) -> list[int]:
    hidden = np.flatnonzero(~published)
    if hidden.size == 0:
        return []
    position = {int(cell): n for n, cell in enumerate(hidden)}
    rows, known = [], []
    for line in lines.lines:
        row = np.zeros(hidden.size)
        constant = 0.0
        for n, cell in enumerate(line):
            sign = -1 if n == len(line) - 1 else 1
            if published[cell]:
                constant -= sign * values[cell]
            else:
                row[position[int(cell)]] += sign
        if row.any():
            rows.append(row)
            known.append(constant)
    if not rows:
        return []
    equations, right = np.array(rows), np.array(known)
    truth = values[hidden].astype(float)

    def corner(objective: np.ndarray) -> np.ndarray | None:
        result = linprog(objective, A_eq=equations, b_eq=right, bounds=(0, None), method="highs")
        return result.x if result.status == 0 else None

    # Counts that differ from the truth at some possible corner have room; the rest are asked
    # one by one for their least and most.
    rng = np.random.default_rng(0)
    unsure = set(position)
    for _ in range(6):
        found = corner(rng.standard_normal(hidden.size))
        if found is not None:
            unsure -= {c for c in unsure if abs(found[position[c]] - truth[position[c]]) > 0.5}
    pinned = []
    for cell in sorted(unsure):
        ends = []
        for sign in (1, -1):
            objective = np.zeros(hidden.size)
            objective[position[cell]] = sign
            found = corner(objective)
            ends.append(None if found is None else found[position[cell]])
        if None not in ends and abs(ends[0] - ends[1]) < 0.5:
            pinned.append(cell)
    return pinned
