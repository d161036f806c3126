"""An outside check on suppression for the tests: which hidden counts could someone work out from
everything published? One linear program over the whole system (not the per-group audit the
code runs): a hidden count is given away when its least and most possible values meet."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array

from pelvicoach.reporting.suppression import Lines


def pinned_cells(values: np.ndarray, published: np.ndarray, lines: Lines) -> list[int]:
    hidden = np.flatnonzero(~published)
    if hidden.size == 0:
        return []
    position = {int(cell): n for n, cell in enumerate(hidden)}
    entries, known = [], []  # (equation, hidden count, sign)
    for line in lines.lines:
        constant, terms = 0.0, []
        for n, cell in enumerate(line):
            sign = -1 if n == len(line) - 1 else 1
            if published[cell]:
                constant -= sign * values[cell]
            else:
                terms.append((position[int(cell)], sign))
        if terms:
            entries += [(len(known), column, sign) for column, sign in terms]
            known.append(constant)
    if not known:
        return []
    rows, columns, signs = zip(*entries, strict=True)
    equations = csr_array((signs, (rows, columns)), shape=(len(known), hidden.size))
    right = np.array(known)
    truth = values[hidden].astype(float)
    # Bounded well above every count, so each program has a corner; room anywhere means room
    # inside this box, as the truth lies strictly within it.
    ceiling = float(values.max(initial=0)) * 2 + 2

    def corner(objective: np.ndarray) -> np.ndarray | None:
        result = linprog(objective, A_eq=equations, b_eq=right, bounds=(0, ceiling), method="highs")
        return result.x if result.status == 0 else None

    # Counts that differ from the truth at some possible corner have room; the rest are asked
    # one by one for their least and most.
    rng = np.random.default_rng(0)
    unsure = set(position)

    def settle(objective: np.ndarray) -> bool:
        nonlocal unsure
        found = corner(objective)
        if found is None:
            return False
        moved = {c for c in unsure if abs(found[position[c]] - truth[position[c]]) > 0.5}
        unsure -= moved
        return bool(moved)

    for _ in range(6):
        settle(rng.standard_normal(hidden.size))
    for sign in (-1, 1):  # all that are left up together, then down together
        while unsure:
            objective = np.zeros(hidden.size)
            objective[[position[c] for c in unsure]] = sign
            if not settle(objective):
                break
    pinned = []
    for cell in sorted(unsure):
        ends = []
        for sign in (1, -1):
            objective = np.zeros(hidden.size)
            objective[position[cell]] = sign
            found = corner(objective)
            ends.append(None if found is None else found[position[cell]])
        if None not in ends and abs(ends[0] - ends[1]) < 0.5:  # None: infeasible, never here
            pinned.append(cell)
    return pinned


def cube_lines(shape: Sequence[int], margins: Sequence[Sequence[Sequence[int]] | None]) -> Lines:
    """The lines of an n-dimensional table stored flat (C order). `margins[axis]` lists that
    axis's lines as index groups along it, the total last (a plain category axis with its
    total: `[[0, 1, ..., n-1, n]]`); None for an axis whose entries are separate tables."""
    lines = Lines()
    grid = np.indices(shape).reshape(len(shape), -1).T
    for axis, groups in enumerate(margins):
        if not groups:
            continue
        others = [n for n in range(len(shape)) if n != axis]
        heads = np.unique(grid[:, others], axis=0) if others else np.zeros((1, 0), dtype=int)
        for group in groups:
            for head in heads:
                coordinates = np.zeros((len(group), len(shape)), dtype=np.int64)
                coordinates[:, others] = head
                coordinates[:, axis] = group
                lines.add(np.ravel_multi_index(coordinates.T, shape))
    return lines


def partition(size: int) -> list[list[int]]:
    """The one line of an axis of `size` categories followed by their total."""
    return [list(range(size + 1))]
