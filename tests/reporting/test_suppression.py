"""Small-cell suppression over random tables (hypothesis): no published count under k, and no
hidden count that the published ones pin down (suppression_audit's check over the whole table)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from suppression_audit import cube_lines, partition, pinned_cells

from pelvicoach.reporting.suppression import Lines, protect


def with_totals(inner: np.ndarray) -> np.ndarray:
    """The table with a total appended along every axis (the margins and the grand total)."""
    table = inner
    for axis in range(inner.ndim):
        table = np.concatenate([table, table.sum(axis=axis, keepdims=True)], axis=axis)
    return table


def check(inner: np.ndarray, k: int) -> np.ndarray:
    table = with_totals(inner)
    lines = cube_lines(table.shape, [partition(size) for size in inner.shape])
    flat = table.ravel()
    published = protect(flat, lines, k)
    assert (flat[published] >= k).all(), "a published count under k"
    assert pinned_cells(flat, published, lines) == [], "a hidden count can be worked out"
    return published.reshape(table.shape)


counts = st.integers(min_value=0, max_value=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(counts, min_size=1, max_size=8), st.integers(min_value=5, max_value=12))
def test_a_single_distribution(cells, k):
    check(np.array(cells), k)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda rows: st.integers(min_value=1, max_value=5).flatmap(
            lambda columns: st.lists(
                st.lists(counts, min_size=columns, max_size=columns),
                min_size=rows,
                max_size=rows,
            )
        )
    ),
    st.integers(min_value=5, max_value=12),
)
def test_a_table_with_row_and_column_totals(rows, k):
    check(np.array(rows), k)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(counts, min_size=27, max_size=27).map(lambda cells: np.array(cells).reshape(3, 3, 3)),
    st.integers(min_value=5, max_value=12),
)
def test_a_cube_like_a_table_under_two_filters(cube, k):
    check(cube, k)


def test_two_cycles_joined_by_one_cell_do_not_give_it_away():
    """The line rule alone leaves this: every row and column has two hidden cells, yet the cell
    joining the two blocks follows from the four lines around the first block."""
    inner = np.array(
        [
            [3, 4, 30, 30],
            [4, 3, 2, 30],
            [30, 30, 3, 4],
            [30, 30, 4, 3],
        ]
    )
    published = check(inner, 10)
    assert not published[:4, :4][inner < 10].any()


def test_nothing_hidden_where_every_count_is_large():
    published = check(np.array([[12, 15], [20, 11]]), 10)
    assert published.all()


def test_one_small_cell_takes_a_partner_in_its_row_and_column():
    published = check(np.array([[3, 15, 40], [20, 11, 50], [30, 30, 30]]), 10)
    assert not published[0, 0]
    assert (~published[0, :3]).sum() == 2
    assert (~published[:3, 0]).sum() == 2
    assert published[3, 3]  # the grand total stays


@pytest.mark.parametrize("k", [5, 10])
def test_zero_is_small_too(k):
    published = check(np.array([0, 50, 60]), k)
    assert not published[0]


def test_a_locked_count_is_hidden_when_nothing_else_can_protect_a_small_one():
    """Counts settled before (locked) are spared while any other count will do; where none
    will, safety comes first. Here the small curve count's only partners are locked ones."""
    values = np.array([3, 10, 13, 20, 33])  # curve: 3 + 10 = 13; main: 13 + 20 = 33
    lines = Lines([[0, 1, 2], [2, 3, 4]])
    locked = np.array([False, True, True, True, True])
    published = protect(values, lines, 5, locked=locked)
    assert not published[0]
    assert pinned_cells(values, published, lines) == []
    assert not published[1]  # the locked part, the cheaper of the two in its line
    assert published[2:].all()
    # With an unlocked count beside it, the locked ones stay
    values = np.array([3, 10, 19, 20, 39, 6])  # curve: 3 + 10 + 6 = 19; main: 19 + 20 = 39
    lines = Lines([[0, 1, 5, 2], [2, 3, 4]])
    locked = np.array([False, True, True, True, True, False])
    published = protect(values, lines, 5, locked=locked)
    assert published.tolist() == [False, True, True, True, True, False]
    assert pinned_cells(values, published, lines) == []
