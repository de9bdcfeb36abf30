"""Local inhibition on numpy (HTM_SPEC.md, "Spatial Pooler", compute step 3).

The rule is a sequential scan: in ascending order, column c (boosted overlap >= stimulus
threshold) wins if (neighbours with a larger boosted overlap) + (neighbours with an equal one
that already won) < trunc(0.5 + density * (neighbours + 1)). "Already won" can only be a lower
index, so c depends on equal-valued lower neighbours alone, and counts decide most columns
without any scan: a loss when larger >= quota, a win when larger + equal-lower < quota. Only the
remaining columns are walked in order, each over its equal lower neighbours.

The counts come from whichever method is cheapest for the neighbourhood:

* the neighbourhood is every column (HelloSPTP's first 49 steps): sort once;
* 1-D columns, few distinct boosted values (no boosting): the neighbourhood is one window, or
  two with wrap-around, so counts are differences of prefix sums, one row per distinct value;
* 1-D columns, many distinct values: compares over shifted views of the values (the walk's
  steps as rows of one strided view: no gather), a chunk of steps at a time;
* N-d columns: a table of every column's neighbours (:func:`.sp_rules.column_neighbourhoods`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import sp_rules
from .sp_params import SpatialPoolerParams

_COUNTS = tuple[np.ndarray, np.ndarray, np.ndarray]


def local_winners(boosted: np.ndarray, radius: int, density: np.float32,
                  params: SpatialPoolerParams) -> np.ndarray:
    """Sorted indices of the columns that win local inhibition."""
    b = boosted
    windows = _windows(radius, params) if len(params.column_shape) == 1 else None
    larger, equal_lower, area = _counts(b, radius, params, windows)
    quota = sp_rules.local_winner_quota(density, area)
    eligible = b >= np.float32(params.stimulus_threshold)
    win = eligible & (larger + equal_lower < quota)
    status = np.where(win, 1, np.where(eligible & (larger < quota), 2, 0)).astype(np.int8)
    undecided = np.flatnonzero(status == 2)
    room = quota - larger
    if windows is not None:
        for c in undecided:
            won = 0
            for lo, hi in _lower_parts(windows, int(c)):
                won += np.count_nonzero((status[lo:hi] == 1) & (b[lo:hi] == b[c]))
            status[c] = 1 if won < room[c] else 0
    else:
        for cols, table, _ in sp_rules.column_neighbourhoods(radius, params, undecided):
            rival = (table >= 0) & (table < cols[:, None])
            rival &= b[np.maximum(table, 0)] == b[cols][:, None]
            for row, c in enumerate(cols):
                won = np.count_nonzero(status[table[row, rival[row]]] == 1)
                status[c] = 1 if won < room[c] else 0
    return np.flatnonzero(status == 1)


def _windows(radius: int, params: SpatialPoolerParams) -> np.ndarray:
    """1-D neighbourhoods as (num, 4) [lo1, hi1, lo2, hi2): the window, split where it wraps."""
    num = params.num_columns
    c = np.arange(num)
    out = np.zeros((num, 4), dtype=np.int64)
    if params.wrap_around:
        start = (c - radius) % num
        end = start + min(2 * radius + 1, num)
        out[:, 0], out[:, 1], out[:, 3] = start, np.minimum(end, num), np.maximum(end - num, 0)
    else:
        out[:, 0], out[:, 1] = np.maximum(c - radius, 0), np.minimum(c + radius + 1, num)
    return out


def _lower_parts(windows: np.ndarray, c: int):
    """The parts of column c's window below c, as (lo, hi) slices."""
    lo1, hi1, lo2, hi2 = windows[c].tolist()
    return ((min(lo1, c), min(hi1, c)), (min(lo2, c), min(hi2, c)))


def _counts(b: np.ndarray, radius: int, params: SpatialPoolerParams,
            windows: np.ndarray | None) -> _COUNTS:
    """Per column: larger neighbours, equal lower-index neighbours, neighbourhood size (self
    included)."""
    num, shape = params.num_columns, params.column_shape
    if all(d <= (2 * radius + 1 if params.wrap_around else radius + 1) for d in shape):
        return _counts_everyone(b)
    if windows is None:
        return _counts_table(b, radius, params)
    values, which = np.unique(b, return_inverse=True)
    if len(values) * (num + 1) <= sp_rules.TABLE_BLOCK:
        return _counts_windows(b, values, which, windows)
    return _counts_walk(b, radius, params)


def _counts_everyone(b: np.ndarray) -> _COUNTS:
    num = len(b)
    order = np.argsort(b, kind="stable")  # ascending value, ties by ascending index
    ranked = b[order]
    larger, equal_lower = np.empty(num, np.int64), np.empty(num, np.int64)
    larger[order] = num - np.searchsorted(ranked, ranked, side="right")
    equal_lower[order] = np.arange(num) - np.searchsorted(ranked, ranked, side="left")
    return larger, equal_lower, np.full(num, num, dtype=np.int64)


def _counts_windows(b: np.ndarray, values: np.ndarray, which: np.ndarray,
                    windows: np.ndarray) -> _COUNTS:
    num = len(b)
    c = np.arange(num)

    def prefix(mask: np.ndarray) -> np.ndarray:
        out = np.zeros((mask.shape[0], num + 1), dtype=np.int32)
        np.cumsum(mask, axis=1, out=out[:, 1:])
        return out

    above = prefix(b[None, :] > values[:, None])
    equal = prefix(b[None, :] == values[:, None])
    lo1, hi1, lo2, hi2 = windows.T
    larger = (above[which, hi1] - above[which, lo1]) + (above[which, hi2] - above[which, lo2])
    below = np.minimum(windows, c[:, None])
    equal_lower = (equal[which, below[:, 1]] - equal[which, below[:, 0]]
                   + equal[which, below[:, 3]] - equal[which, below[:, 2]])
    return larger.astype(np.int64), equal_lower.astype(np.int64), (hi1 - lo1) + (hi2 - lo2)


def _counts_walk(b: np.ndarray, radius: int, params: SpatialPoolerParams) -> _COUNTS:
    """Counts over the walk's steps, a chunk of steps per vectorised compare: step t of the walk
    is a contiguous window of an extended copy of the values (see sp_rules.window_walk)."""
    num, wrap = params.num_columns, params.wrap_around
    c = np.arange(num)
    values = _stacked_walk(b, radius, wrap, np.float32(-np.inf))
    index = _stacked_walk(c, radius, wrap, num)
    larger, equal_lower = np.zeros(num, np.int64), np.zeros(num, np.int64)
    chunk = max(1, sp_rules.TABLE_BLOCK // (4 * num))
    for t in range(0, len(values), chunk):
        step = values[t:t + chunk]
        larger += (step > b).sum(axis=0)
        equal_lower += ((step == b) & (index[t:t + chunk] < c)).sum(axis=0)
    return larger, equal_lower, sp_rules.window_sizes(radius, params)


def _stacked_walk(values: np.ndarray, radius: int, wrap: bool, fill) -> np.ndarray:
    """All of sp_rules.window_walk's steps as one (steps, n) view, without copying."""
    n = len(values)
    if wrap:
        ext = np.concatenate((values, values, values))
        first = (-radius) % n
        return sliding_window_view(ext, n)[first: first + min(2 * radius + 1, n)]
    pad = np.full(radius, fill, dtype=values.dtype)
    return sliding_window_view(np.concatenate((pad, values, pad)), n)


def _counts_table(b: np.ndarray, radius: int, params: SpatialPoolerParams) -> _COUNTS:
    num = params.num_columns
    larger, equal_lower, area = (np.empty(num, np.int64) for _ in range(3))
    for cols, table, counts in sp_rules.column_neighbourhoods(radius, params):
        valid = table >= 0
        values = b[np.maximum(table, 0)]
        mine = b[cols][:, None]
        larger[cols] = ((values > mine) & valid).sum(axis=1)
        equal_lower[cols] = ((values == mine) & valid & (table < cols[:, None])).sum(axis=1)
        area[cols] = counts
    return larger, equal_lower, area
