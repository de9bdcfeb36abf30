"""The Spatial Pooler's per-step rules on numpy (HTM_SPEC.md, "Spatial Pooler", compute 1-4).

Storage, and why:

* ``perm``: dense float32 (num_columns, num_inputs). Inputs outside the potential pool hold NaN
  here (the public views and state_dict show -1): NaN survives "+ delta", maximum and minimum
  and compares false with every threshold, so adapting a row needs no mask at all, which halves
  the cost of learning. Learning touches only the active columns, and a column's synapses are
  one contiguous row: a gather of K rows, a few in-place vectorised passes, a scatter back.
* ``conn_t``: the connected synapses transposed, uint8 (num_inputs, padded num_columns): row i
  lists, as 0/1 bytes, the columns that input i connects to. The overlap is input-driven: the
  rows of the active inputs only are summed. The rows are summed as uint64 words, eight column
  counters per word, 255 rows at a time (a lane cannot carry into the next below 256), which
  makes the sum about eight times cheaper than byte arithmetic (measured faster here than a
  popcount over a column-major bitmask). After learning only the synapses whose connected
  state changed are rewritten, a handful per step.

At reduced precision (``permanence_dtype``, :mod:`.sp_storage`) ``perm`` holds float16 or uint8
codes (255 outside the pool): the gathered rows are decoded to float32, updated as above and
encoded once when they are stored back.
"""

from __future__ import annotations

import numpy as np

from . import sp_rules
from .sp_local import local_winners
from .sp_params import SpatialPoolerParams

_LANES = 8  # uint8 counters per uint64 word
_MAX_ROWS_PER_SUM = 255  # rows summed before a uint8 lane could overflow


class NumpySpatialEngine:
    """Holds the SP's arrays on the host and runs compute steps 1-4 with numpy."""

    name = "numpy"

    def __init__(self, params: SpatialPoolerParams) -> None:
        """Allocates the state, every input outside every pool; :meth:`set_permanence_rows`
        fills it."""
        self.p = params
        self.storage = params.storage
        n = params.num_columns
        self._stride = -(-n // _LANES) * _LANES
        self.perm = np.full((n, params.num_inputs), self.storage.outside_pool,
                            dtype=self.storage.dtype)
        self.conn_t = np.zeros((params.num_inputs, self._stride), dtype=np.uint8)
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
            winners = local_winners(self.boosted, radius, density, self.p)
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
        rows = self.storage.decode(self.perm[cols])
        adapted = _clip01(rows + delta)
        if p.stimulus_threshold > 0:
            adapted = self.storage.quantize(adapted)  # the raise counts stored values
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
        rows = self.storage.decode(self.perm[cols])
        self._store_rows(cols, rows, _clip01(rows + self.p.bump))

    def _store_rows(self, cols: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        """Encode the float32 rows ``new`` into ``perm`` and update the connected flags that
        changed from ``old`` (both decoded)."""
        threshold = self.p.connected_threshold
        stored = self.storage.encode(new)
        self.perm[cols] = stored
        now = self.storage.at_least(stored, threshold)
        changed = old >= threshold
        np.not_equal(changed, now, out=changed)
        r, i = np.nonzero(changed)
        self.conn_t[i, cols[r]] = now[r, i]

    # -- state the host reads and writes ------------------------------------------------------
    def connected_span_sums(self) -> np.ndarray:
        return sp_rules.connected_span_sums(self.perm, self.p)

    def permanence_row(self, column: int) -> np.ndarray:
        return np.nan_to_num(self.storage.decode(self.perm[column]), nan=-1.0)

    def permanence_matrix(self) -> np.ndarray:
        return np.nan_to_num(self.storage.decode(self.perm), nan=-1.0)

    def get(self, name: str) -> np.ndarray:
        """A copy of one per-column array: overlaps, boosted, boost, odc, adc, min_odc, active."""
        return getattr(self, name).copy()

    def set(self, name: str, values: np.ndarray) -> None:
        """Replace one per-column array (boost, odc, adc, min_odc, overlaps, boosted, active)."""
        current = getattr(self, name)
        setattr(self, name, np.array(values, dtype=current.dtype))

    def set_permanence_rows(self, start: int, rows: np.ndarray) -> None:
        """Replace the permanences of columns ``start`` .. ``start + len(rows) - 1`` (-1 marks
        inputs outside the potential pool), rounded to the storage."""
        rows = np.asarray(rows, dtype=np.float32)
        stop = start + len(rows)
        self.perm[start:stop] = self.storage.encode(np.where(rows < 0, np.float32(np.nan), rows))
        self.conn_t[:, start:stop] = self.storage.at_least(
            self.perm[start:stop], self.p.connected_threshold).T


def _clip01(values: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] in place (NaN passes through) and return ``values``."""
    np.maximum(values, np.float32(0), out=values)
    return np.minimum(values, np.float32(1), out=values)
