"""Many shuffles at once (workbench/engine/htm/shuffles.py) against CompatRNG.shuffle, one row
at a time, on numpy and on every OpenCL device."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.backend import get_backend
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.shuffles import shuffle_rows, shuffled_prefixes


def _runtime(backend_name: str):
    return getattr(get_backend(backend_name), "runtime", None)


def _reference(rows: list[list[int]], seed: int) -> list[list[int]]:
    """Each row shuffled in turn by one generator, as a walk over the rows would do it."""
    rng = CompatRNG(seed)
    out = []
    for row in rows:
        values = list(row)
        rng.shuffle(values)
        out.append(values)
    return out


@pytest.mark.parametrize("rows, n", [(3, 1), (1, 2), (5, 37), (150, 37), (40, 300), (2, 70_000),
                                     (9, 70_000)])
@pytest.mark.parametrize("keep", ["all", 20, 1])
def test_shuffled_prefixes_equal_compat_rng_shuffles_cut(backend_name, rows, n, keep):
    """Whole shuffles, and their first positions only (made by moving values, not swapping
    them, past the positions kept)."""
    keep = n if keep == "all" else min(keep, n)
    raw = CompatRNG(3).draws(rows * (n - 1))
    starts = np.arange(rows) * (n - 1)
    got = shuffled_prefixes(rows, n, keep, raw, starts, _runtime(backend_name))
    assert got.shape == (rows, keep)
    assert got.tolist() == [row[:keep] for row in _reference([list(range(n))] * rows, 3)]


def test_a_prefix_keeps_at_least_one_position_and_at_most_all():
    raw = CompatRNG(3).draws(8)
    for keep in (0, 10):
        with pytest.raises(ValueError, match="keep must be in"):
            shuffled_prefixes(1, 9, keep, raw, np.zeros(1, dtype=np.int64))


def test_rows_take_their_draws_from_where_they_start(backend_name):
    """Draws between the rows (another choice's) are skipped; rows may start in any order."""
    n, rows = 9, 4
    raw = CompatRNG(5).draws(rows * (n - 1) + 3 * rows)
    starts = np.array([3, 14, 25, 36])[::-1]  # row r's draws at 3 + 11 * (3 - r)
    got = shuffled_prefixes(rows, n, n, raw, starts, _runtime(backend_name))
    expected = []
    for start in starts:
        rng = CompatRNG(5)
        rng.draws(int(start))
        values = list(range(n))
        rng.shuffle(values)
        expected.append(values)
    assert got.tolist() == expected


@pytest.mark.parametrize("repeats, padding", [(1, -1), (10, -1), (10, 7)])
def test_shuffle_rows_of_different_lengths_keep_their_padding(backend_name, repeats, padding):
    """The SP's potential pools: row r shuffles its first counts[r] entries; the padding stays
    (a few rows go one at a time, many in lock-step, in uint16 when no value is negative)."""
    gen = np.random.default_rng(0)
    counts = np.tile([5, 1, 0, 12, 7, 12], repeats)
    width = 12
    pools = np.full((len(counts), width), padding, dtype=np.int32)
    for r, c in enumerate(counts):
        pools[r, :c] = np.sort(gen.choice(1000, c, replace=False))
    draws = np.maximum(counts - 1, 0)
    first = np.concatenate(([0], np.cumsum(draws)))[:-1]
    raw = CompatRNG(8).draws(int(draws.sum()))
    got = shuffle_rows(pools, counts, raw, first, _runtime(backend_name))
    expected = _reference([pools[r, :c].tolist() for r, c in enumerate(counts)], 8)
    for r, c in enumerate(counts):
        assert got[r, :c].tolist() == expected[r]
        assert (got[r, c:] == padding).all()


def test_rows_with_nothing_to_swap_come_back_as_they_are(backend_name):
    """No draws at all (every row has at most one entry): nothing to shuffle, on any backend."""
    pools = np.array([[4, -1], [-1, -1], [9, -1]], dtype=np.int32)
    got = shuffle_rows(pools, np.array([1, 0, 1]), np.empty(0, dtype=np.uint64), np.zeros(3, dtype=np.int64),
                       _runtime(backend_name))
    assert got.tolist() == pools.tolist()
