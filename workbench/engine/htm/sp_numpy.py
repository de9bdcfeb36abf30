"""The Spatial Pooler's per-step rules on numpy (HTM_SPEC.md, "Spatial Pooler", compute 1-4).

Storage, and why:

* ``perm``: dense float32 (num_columns, num_inputs), -1 for inputs outside the potential pool.
  Learning touches only the active columns, and a column's synapses are one contiguous row, so
  adapting is a gather of K rows, a few vectorised passes and a scatter back. A dense row makes
  the update branch-free: ``where(perm < 0, perm, clip(perm + delta))``. (A compact
  pool-indexed layout would halve the work at potential_pct 0.5, but needs a second gather of
  the input bits per synapse, which costs as much.)
* ``conn_t``: the connected synapses transposed, uint8 (num_inputs, padded num_columns): row i
  lists, as 0/1 bytes, the columns that input i connects to. The overlap is input-driven: the
  rows of the active inputs only are summed. The rows are summed as uint64 words, eight column
  counters per word, 255 rows at a time (a lane cannot carry into the next below 256), which
  makes the sum about eight times cheaper than byte arithmetic. After learning only the synapses
  whose connected state changed are rewritten, a handful per step.
"""

from __future__ import annotations

import numpy as np

from . import sp_rules
from .sp_params import SpatialPoolerParams

_LANES = 8  # uint8 counters per uint64 word
_MAX_ROWS_PER_SUM = 255  # rows summed before a uint8 lane could overflow


class NumpySpatialEngine:
    """Holds the SP's arrays on the host and runs compute steps 1-4 with numpy."""

    name = "numpy"

    def __init__(self, params: SpatialPoolerParams, perm: np.ndarray) -> None:
        self.p = params
        n = params.num_columns
        self._stride = -(-n // _LANES) * _LANES
        self.perm = np.ascontiguousarray(perm, dtype=np.float32)
        self.conn_t = np.zeros((params.num_inputs, self._stride), dtype=np.uint8)
        self.conn_t[:, :n] = (self.perm >= params.connected_threshold).T
        self._conn_words = self.conn_t.view(np.uint64)
        self.overlaps = np.zeros(n, dtype=np.int32)
        self.boosted = np.zeros(n, dtype=np.float32)
        self.boost = np.ones(n, dtype=np.float32)
        self.odc = np.zeros(n, dtype=np.float32)
        self.adc = np.zeros(n, dtype=np.float32)
        self.min_odc = np.zeros(n, dtype=np.float32)
        self.active = np.empty(0, dtype=np.uint32)
        self._inputs = np.empty(0, dtype=np.int64)

    # -- compute steps 1-3 -------------------------------------------------------------------
    def infer(self, inputs: np.ndarray, use_global: bool, density: np.float32,
              radius: int) -> np.ndarray:
        """Overlap, boost, inhibition; returns the sorted active columns (uint32)."""
        self._inputs = inputs
        self.overlaps = self._overlap(inputs)
        boosted = self.overlaps.astype(np.float32)
        if self.p.boosting:
            boosted *= self.boost
        self.boosted = boosted
        if use_global:
            winners = self._inhibit_global(sp_rules.global_winner_count(density, self.p.num_columns))
        else:
            winners = self._inhibit_local(density, radius)
        self.active = winners.astype(np.uint32)
        return self.active

    def _overlap(self, inputs: np.ndarray) -> np.ndarray:
        total = np.zeros(self._stride, dtype=np.int32)
        for start in range(0, len(inputs), _MAX_ROWS_PER_SUM):
            rows = self._conn_words[inputs[start:start + _MAX_ROWS_PER_SUM]]
            lanes = rows.sum(axis=0, dtype=np.uint64).view(np.uint8)
            total += lanes
        return total[: self.p.num_columns]

    def _inhibit_global(self, n: int) -> np.ndarray:
        """Top n by boosted overlap, ties to the higher index, then the stimulus threshold.

        A key of (float bits << 32 | index) orders exactly that way (boosted overlaps are >= 0,
        and non-negative floats order like their bit patterns), and is unique, so an
        argpartition finds the winners without a full sort.
        """
        num = self.p.num_columns
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        keys = (self.boosted.view(np.uint32).astype(np.uint64) << np.uint64(32)) \
            | np.arange(num, dtype=np.uint64)
        top = np.argpartition(keys, num - n)[num - n:] if n < num else np.arange(num)
        top = top[self.boosted[top] >= np.float32(self.p.stimulus_threshold)]
        return np.sort(top)

    def _inhibit_local(self, density: np.float32, radius: int) -> np.ndarray:
        """Spec step 3, local inhibition, without the sequential walk over every column.

        Scanning ascending, column c wins if (neighbours with a larger boosted overlap) +
        (neighbours with an equal one that already won) < quota. Already won means a lower
        index, so c depends only on equal-valued lower neighbours. Most columns are decided by
        counts alone (a loss with larger >= quota, a win with larger + equal-lower < quota);
        only the rest walk sequentially, in ascending order, over their equal lower neighbours.
        """
        p, b = self.p, self.boosted
        larger, equal_lower, area = self._local_counts(radius)
        quota = sp_rules.local_winner_quota(density, area)
        eligible = b >= np.float32(p.stimulus_threshold)
        win = eligible & (larger + equal_lower < quota)
        status = np.where(win, 1, np.where(eligible & (larger < quota), 2, 0)).astype(np.int8)
        undecided = np.flatnonzero(status == 2)
        for cols, table, _ in sp_rules.column_neighbourhoods(radius, p, undecided):
            # Equal-valued lower neighbours: the only ones whose outcome matters.
            rival = (table >= 0) & (table < cols[:, None])
            rival &= b[np.maximum(table, 0)] == b[cols][:, None]
            room = quota[cols] - larger[cols]
            for row, c in enumerate(cols):
                won_equal = np.count_nonzero(status[table[row, rival[row]]] == 1)
                status[c] = 1 if won_equal < room[row] else 0
        return np.flatnonzero(status == 1)

    def _local_counts(self, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per column: neighbours with a larger boosted overlap, equal ones with a lower index,
        and the neighbourhood size (itself included)."""
        p, b = self.p, self.boosted
        num, shape = p.num_columns, p.column_shape
        if all(d <= (2 * radius + 1 if p.wrap_around else radius + 1) for d in shape):
            # The neighbourhood is every column: count by sorting instead of walking.
            order = np.argsort(b, kind="stable")  # ascending value, ties by ascending index
            ranked = b[order]
            larger, equal_lower = np.empty(num, np.int64), np.empty(num, np.int64)
            larger[order] = num - np.searchsorted(ranked, ranked, side="right")
            equal_lower[order] = np.arange(num) - np.searchsorted(ranked, ranked, side="left")
            return larger, equal_lower, np.full(num, num, dtype=np.int64)
        larger, equal_lower, area = (np.empty(num, np.int64) for _ in range(3))
        for cols, table, counts in sp_rules.column_neighbourhoods(radius, p):
            valid = table >= 0
            values = b[np.maximum(table, 0)]
            mine = b[cols][:, None]
            larger[cols] = ((values > mine) & valid).sum(axis=1)
            equal_lower[cols] = ((values == mine) & valid & (table < cols[:, None])).sum(axis=1)
            area[cols] = counts
        return larger, equal_lower, area

    # -- compute step 4 ------------------------------------------------------------------------
    def learn(self) -> None:
        """4a, on the input of the last :meth:`infer`: adapt the active columns' potential
        synapses, clip, raise to threshold."""
        cols = self.active.astype(np.int64)
        if len(cols) == 0:
            return
        p = self.p
        delta = np.full(p.num_inputs, -p.inactive_dec, dtype=np.float32)
        delta[self._inputs] = p.active_inc
        rows = self.perm[cols]
        adapted = np.minimum(np.maximum(rows + delta, np.float32(0)), np.float32(1))
        adapted = np.where(rows < 0, rows, adapted)
        sp_rules.raise_to_threshold(adapted, p)
        self._store_rows(cols, rows, adapted)

    def update_duty_cycles(self, decay: np.float32, increment: np.float32) -> None:
        """4b: dc = dc * decay, then + increment where the event happened."""
        self.odc *= decay
        self.odc[self.overlaps > 0] += increment
        self.adc *= decay
        self.adc[self.active] += increment

    def bump_weak_columns(self) -> None:
        """4c: columns whose overlap duty cycle is below the minimum get + connected/10, clipped."""
        cols = np.flatnonzero(self.odc < self.min_odc)
        if len(cols) == 0:
            return
        rows = self.perm[cols]
        bumped = np.minimum(np.maximum(rows + self.p.bump, np.float32(0)), np.float32(1))
        self._store_rows(cols, rows, np.where(rows < 0, rows, bumped))

    def _store_rows(self, cols: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        threshold = self.p.connected_threshold
        self.perm[cols] = new
        now = new >= threshold
        r, i = np.nonzero((old >= threshold) != now)
        self.conn_t[i, cols[r]] = now[r, i]

    # -- state the host reads and writes ------------------------------------------------------
    def connected_span_sums(self) -> np.ndarray:
        return sp_rules.connected_span_sums(self.perm, self.p)

    def permanence_row(self, column: int) -> np.ndarray:
        return self.perm[column].copy()

    def permanence_matrix(self) -> np.ndarray:
        return self.perm.copy()

    def get(self, name: str) -> np.ndarray:
        """A copy of one per-column array: overlaps, boosted, boost, odc, adc, min_odc, active."""
        return getattr(self, name).copy()

    def set(self, name: str, values: np.ndarray) -> None:
        """Replace one per-column array (boost, odc, adc, min_odc, overlaps, boosted, active)."""
        current = getattr(self, name)
        setattr(self, name, np.array(values, dtype=current.dtype))

    def set_permanences(self, perm: np.ndarray) -> None:
        self.perm = np.array(perm, dtype=np.float32)
        self.conn_t[:, : self.p.num_columns] = (self.perm >= self.p.connected_threshold).T
