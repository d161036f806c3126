"""Small-cell suppression: which counts may be published so that no group under k women shows,
and no hidden count can be worked out from the published ones.

A report is a set of counts tied by additive lines (a total is the sum of its parts: a row and
its row total, a filter value and the "all" setting beside it, a month and its year). Three
steps, repeated until nothing changes:

1. primary: every count below k is hidden (zero too: "nobody" is a statement about a group);
2. line rule: a line with exactly one hidden count would give it away by subtraction, and one
   whose hidden counts add up to zero would show they are all zero; in both a second count is
   hidden, the smallest published part (the total only where no part is left);
3. audit: counts hidden across several lines can still be pinned down by combining them (two
   cycles of hidden cells joined by one cell, or the bounds that counts are never negative).
   For every group of hidden counts linked through lines, a linear program finds the least and
   the most each could be given everything published; where those meet, one more count in its
   lines is hidden.

Filter settings are lines too: the report under cohort "postpartum", under "menopause" and under
"all" are parts and total, so comparing two settings reveals nothing the line rule did not
protect (the hypercube method of statistical offices, with an exact audit behind it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array

ASK_EACH_UP_TO = 16  # unsure counts asked one by one; more are taken as pinned


class Lines:
    """Additive relations between the cells of a flat vector of counts: each line is an array
    of cell indices whose last entry is the total of the others."""

    def __init__(self, lines: Iterable[Sequence[int]] = ()) -> None:
        self.lines: list[np.ndarray] = [np.asarray(line, dtype=np.int64) for line in lines]

    def add(self, line: Sequence[int]) -> None:
        self.lines.append(np.asarray(line, dtype=np.int64))

    def by_length(self) -> dict[int, np.ndarray]:
        """The lines grouped by length, as 2-d arrays, for vectorized passes."""
        groups: dict[int, list[np.ndarray]] = {}
        for line in self.lines:
            groups.setdefault(len(line), []).append(line)
        return {length: np.vstack(rows) for length, rows in groups.items()}


def protect(
    values: np.ndarray,
    lines: Lines,
    k: int,
    hide: np.ndarray | None = None,
    locked: np.ndarray | None = None,
) -> np.ndarray:
    """A mask of the counts that may be published (True) for the flat vector `values`. `hide`
    marks counts to hide from the start besides those below k (messages sent to fewer than k
    women, say); `locked` marks published counts to hide as a second count only where nothing
    else will do (a part of the report settled before, when the rest is protected around it:
    where all of the rest is hidden and still gives a count away, safety comes first)."""
    values = np.asarray(values, dtype=np.int64)
    published = values >= k
    if hide is not None:
        published &= ~hide
    if locked is None:
        locked = np.zeros(len(values), dtype=bool)
    groups = lines.by_length()
    free: set[int] = set()  # hidden counts shown to have room: hiding more only adds room
    while True:
        while _line_rule(values, published, locked, groups):
            pass
        if not _audit(values, published, locked, lines, free):
            return published


def _line_rule(
    values: np.ndarray, published: np.ndarray, locked: np.ndarray, groups: dict[int, np.ndarray]
) -> bool:
    """One pass of the line rule over every line; True where it hid something."""
    changed = False
    for length, index in groups.items():
        shown = published[index]
        hidden = length - shown.sum(axis=1)
        hidden_sum = np.where(shown, 0, values[index]).sum(axis=1)
        exposed = (hidden == 1) | ((hidden >= 1) & (hidden_sum == 0) & shown[:, -1])
        if not exposed.any():
            continue
        # The cheapest second count: the smallest published part, then the total; a locked
        # count only after those (each tier costs more than any count of the one before).
        tier = locked[index].astype(np.int64) * 2
        tier[:, -1] += 1
        step = float(values.max(initial=0)) + 1
        cost = np.where(shown, values[index] + tier * step, np.inf)
        choice = cost[exposed].argmin(axis=1)
        cells = index[exposed, choice]
        possible = np.isfinite(cost[exposed, choice])
        if possible.any():
            published[cells[possible]] = False
            changed = True
    return changed


def _audit(
    values: np.ndarray, published: np.ndarray, locked: np.ndarray, lines: Lines, free: set[int]
) -> bool:
    """Hide one more count beside every hidden count that combined lines pin down; True where
    it hid something."""
    touching = [line for line in lines.lines if not published[line].all()]
    # One line the line rule let stand has two hidden counts or more, not all 0: never pinned.
    components = [group for group in _components(published, touching) if len(group) > 1]
    if len(components) > 1:
        # The groups are independent, so a corner of all of them at once is a corner of each:
        # a few programs over everything settle what would take a few per group.
        _pinned(values, published, [line for group in components for line in group], free, False)
    changed = False
    for component in components:
        for pinned in _pinned(values, published, component, free):
            partner = _nearest_partner(values, published, ~locked, component, pinned)
            if partner is None:  # all of the rest is hidden: a locked count it must be
                partner = _nearest_partner(values, published, published, component, pinned)
            if partner is not None:
                published[partner] = False
                changed = True
    return changed


def _nearest_partner(
    values: np.ndarray,
    published: np.ndarray,
    unlocked: np.ndarray,
    component: list[np.ndarray],
    pinned: int,
) -> int | None:
    """The count to hide beside a pinned one: the smallest published (unlocked) part of its own
    lines, or, where there is none, of the lines next to them (linked by hidden counts), and so
    on outwards; a total (what readers look for first) only where no part is left at all, the
    nearest one."""
    reached, frontier, seen = {pinned}, {pinned}, set()
    nearest_totals: list[int] = []
    while frontier:
        around = [
            n for n, line in enumerate(component) if n not in seen and frontier & set(line.tolist())
        ]
        if not around:
            break
        seen.update(around)
        lines = [component[n] for n in around]
        parts = [int(c) for line in lines for c in line[:-1] if published[c] and unlocked[c]]
        if parts:
            return min(parts, key=lambda c: (values[c], c))
        if not nearest_totals:
            nearest_totals = [
                int(line[-1]) for line in lines if published[line[-1]] and unlocked[line[-1]]
            ]
        frontier = {int(c) for line in lines for c in line if not published[c]} - reached
        reached |= frontier
    return min(nearest_totals, key=lambda c: (values[c], c)) if nearest_totals else None


def _components(published: np.ndarray, lines: list[np.ndarray]) -> list[list[np.ndarray]]:
    """The lines grouped so that lines sharing a hidden count are together."""
    parent: dict[int, int] = {}

    def find(cell: int) -> int:
        while parent.setdefault(cell, cell) != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for line in lines:
        hidden = [int(cell) for cell in line if not published[cell]]
        for cell in hidden[1:]:
            parent[find(cell)] = find(hidden[0])
    grouped: dict[int, list[np.ndarray]] = {}
    for line in lines:
        first = next(int(cell) for cell in line if not published[cell])
        grouped.setdefault(find(first), []).append(line)
    return list(grouped.values())


def _pinned(
    values: np.ndarray,
    published: np.ndarray,
    component: list[np.ndarray],
    free: set[int],
    ask_each: bool = True,
) -> list[int]:
    """The hidden counts of this group whose least and most possible values meet (without
    `ask_each`, only the counts shown to have room, added to `free`)."""
    hidden = sorted({int(cell) for line in component for cell in line if not published[cell]})
    position = {cell: n for n, cell in enumerate(hidden)}
    entries: list[tuple[int, int, float]] = []  # (line, hidden count, +1 part or -1 total)
    known = np.zeros(len(component))
    for row, line in enumerate(component):
        for cell in line[:-1]:
            if published[cell]:
                known[row] -= values[cell]
            else:
                entries.append((row, position[int(cell)], 1.0))
        total = int(line[-1])
        if published[total]:
            known[row] += values[total]
        else:
            entries.append((row, position[total], -1.0))
    # Built sparse: a tenant's report holds thousands of counts, most lines a handful of them.
    rows, columns, signs = zip(*entries, strict=True) if entries else ((), (), ())
    equations = csr_array((signs, (rows, columns)), shape=(len(component), len(hidden)))
    truth = values[hidden].astype(float)
    # A box well above every true count keeps each program bounded, so every corner tells
    # something; a count with room at all has room inside it (the truth lies strictly within).
    ceiling = float(truth.max(initial=0)) * 2 + 2
    unsure = [cell for cell in hidden if cell not in free]
    # A few corners of what is possible settle most counts at once: any count that differs
    # there from its true value has room.
    rng = np.random.default_rng(len(hidden))
    objectives = [np.ones(len(hidden)), -np.ones(len(hidden))]
    objectives += [rng.standard_normal(len(hidden)) for _ in range(4)]

    def settle(objective: np.ndarray) -> bool:
        """Free the unsure counts that differ from the truth at this corner; any freed?"""
        nonlocal unsure
        corner = _solve(objective, equations, known, ceiling)
        if corner is None:
            return False
        moved = {
            cell for cell in unsure if abs(corner[position[cell]] - truth[position[cell]]) > 0.5
        }
        free.update(moved)
        unsure = [cell for cell in unsure if cell not in moved]
        return bool(moved)

    for objective in objectives:
        if unsure:
            settle(objective)
    # Then push those left up together, down together, and in random mixes, while that frees
    # some; a count still unsure after that is asked on its own.
    for draw in (lambda n: -np.ones(n), lambda n: np.ones(n), rng.standard_normal):
        while unsure:
            objective = np.zeros(len(hidden))
            objective[[position[cell] for cell in unsure]] = draw(len(unsure))
            if not settle(objective):
                break
    if len(unsure) > ASK_EACH_UP_TO:
        # Counts no corner, push or mix could move are pinned as a rule: taken so without two
        # programs each (hiding one more beside a count with room is only safer).
        return unsure if ask_each else []
    pinned: list[int] = []
    for cell in unsure if ask_each else ():
        objective = np.zeros(len(hidden))
        for sign in (-1, 1):  # the largest first: most have room upwards
            objective[position[cell]] = sign
            corner = _solve(objective, equations, known, ceiling)
            if corner is None or abs(corner[position[cell]] - truth[position[cell]]) > 0.5:
                free.add(cell)
                break
        else:
            pinned.append(cell)
    return pinned


def _solve(
    objective: np.ndarray, equations: csr_array, known: np.ndarray, ceiling: float
) -> np.ndarray | None:
    """A corner of {0 <= x <= ceiling : equations x = known} minimizing the objective."""
    result = linprog(objective, A_eq=equations, b_eq=known, bounds=(0, ceiling), method="highs")
    return result.x if result.status == 0 else None
