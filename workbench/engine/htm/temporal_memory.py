"""The Temporal Memory of HTM_SPEC.md "Temporal Memory": cells in columns learn sequences through
distal segments whose synapses reach the cells that were active one step earlier.

What runs where:

- Segments live in a :class:`~.tm_segments.SegmentPool` (fixed-capacity rows: presynaptic cell,
  permanence, synapse count; owner cell per segment; per-cell segment counts; LIFO free list).
- Dendrite activity (spec step 1) comes from a dendrite engine: on numpy a presynaptic index
  (:mod:`.tm_dendrites`: from the few active cells to the segments they reach), on OpenCL the
  same index kept on the host and mirrored on the device, which counts from the active cells'
  entries (:mod:`.tm_dendrites_cl`).
- On a GPU (``resident``, :mod:`.tm_resident_cl`) the pool itself lives on the device and
  every step, learning included, runs there: the host sends the active columns, reads one
  small block back mid-way through a learning step (to size its random draws) and brings back
  only what a view asks for. The rest of this list is the host-walked engine, the default on
  a CPU device, where it is the faster.
- On OpenCL a step without learning runs on the device from start to end (activation, the
  bursting columns' winners, the next count) and nothing comes back until a view, a learning
  step or a reset asks for it; the random draws its least-used choices spend are spent then.
  When the views were read after the previous step, as a GUI or a recording reads them after
  every step, the step is walked on the host instead, which starts the device's count as soon
  as the active cells are known and picks the winners meanwhile: the views are then at hand
  without a further read, and the device has only the count on its path.
- A learning step's column walk (steps 2-4) runs on the host: vectorised where the spec's
  order does not matter (activation, winners, the anomaly, every adaptation of the step at
  once), in ascending column order where it does. Growth, segment creation and destruction
  share the RNG stream: all of a step's draws are made in one call, in walk order, and its
  shuffles computed together (on the model's device when there are many, draws made there
  too: :mod:`.shuffles`, :mod:`.rng_cl`);
  each growth then touches only its own segment, so all of them run at once
  (:meth:`~.tm_segments.SegmentPool.grow_many`), and so do the step's creations when no
  destruction comes between them (:meth:`~.tm_segments.SegmentPool.create_segments`);
  otherwise creation and destruction, which share the LIFO free list, take a lean Python loop.
  On OpenCL the host then sends what it changed and the active cells (as the predicted cells
  plus the bursting columns), and reads back only the list of active and matching segments.

The dendrites of step t are computed at the end of step t-1 (after its learning, from its
active cells), which is the same thing the spec computes at the start of step t; it lets
``predictive_cells`` show, after a step, the cells predicted for the next input.

Where the spec is silent (NuPIC / htm.core behaviour, as BAMI describes it): permanences are
clipped at 1 when they grow; a synapse's index, for the tie rule of the max-synapses rule, is
its slot in the segment (creation order: removing a synapse moves the later ones down); the
sum of squared permanences that picks the segment a full cell loses is summed in float64; a
segment is checked against min_threshold after every adaptation; winners are chosen (and the
least-used cell's draws spent) with learning off too; thresholds and counts must be >= 1.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..backend import BackendFallbackWarning, get_backend
from ..state import state_array
from .anomaly import raw_anomaly_from_counts
from .radix import argsort_below
from .rng import CompatRNG
from .rng_cl import build_kernel, draws_on_device
from .shuffles import shuffled_prefixes
from .tm_dendrites import PresynapticIndex
from .tm_segments import SegmentPool

_EMPTY = np.empty(0, dtype=np.int64)
# A step's shuffles run on the model's OpenCL device from this many steps of their walks (rows x
# candidates): below it a device round trip costs more than numpy's lock-step walk.
DEVICE_SHUFFLE_SWAPS = 1 << 16


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer (got {value!r})")
    if value < low:
        raise ValueError(f"{name} must be >= {low} (got {value})")
    return int(value)


def _check_fraction(name: str, value: Any) -> np.float32:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number (got {value!r})")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1] (got {value})")
    return np.float32(value)


def _in_sorted(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values[i] in reference, for a sorted ``reference``."""
    if not len(reference):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(reference, values), len(reference) - 1)
    return reference[pos] == values


def _dedupe_sorted(values: np.ndarray) -> np.ndarray:
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _view(values: np.ndarray) -> np.ndarray:
    out = values.astype(np.uint32)
    out.flags.writeable = False
    return out


_GROW, _DESTROY, _BURST = 0, 1, 2
_NOT_STARTED = object()  # an engine's started count may be any object, None included


class TemporalMemory:
    """HTM_SPEC.md's Temporal Memory (htm.core 2.2 semantics), on numpy or OpenCL."""

    def __init__(self, column_shape: int | tuple[int, ...], cells_per_column: int = 32,
                 activation_threshold: int = 13, initial_permanence: float = 0.21,
                 connected_permanence: float = 0.5, min_threshold: int = 10,
                 max_new_synapse_count: int = 20, permanence_increment: float = 0.1,
                 permanence_decrement: float = 0.1, predicted_segment_decrement: float = 0.0,
                 max_segments_per_cell: int = 255, max_synapses_per_segment: int = 255,
                 seed: int = 42, backend: Any = "numpy", resident: bool | None = None) -> None:
        """The spec's parameters; ``backend`` (a name or backend object) and, on OpenCL,
        ``resident``: keep the segments on the device and run every step there, learning
        included (:mod:`.tm_resident_cl`), rather than walk learning steps on the host against
        a device-counted index (:mod:`.tm_dendrites_cl`). None: resident on a GPU, where that
        is the faster, not on a CPU device, where the host walk is. The results are the same
        either way."""
        shape = (column_shape,) if isinstance(column_shape, (int, np.integer)) else tuple(column_shape)
        if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                            for d in shape):
            raise ValueError(f"column_shape must be one or more integers >= 1 (got {column_shape!r})")
        self.column_shape = tuple(int(d) for d in shape)
        self.num_columns = math.prod(self.column_shape)
        self.cells_per_column = _check_int("cells_per_column", cells_per_column, 1)
        self.num_cells = self.num_columns * self.cells_per_column
        self.activation_threshold = _check_int("activation_threshold", activation_threshold, 1)
        self.min_threshold = _check_int("min_threshold", min_threshold, 1)
        self.max_new_synapse_count = _check_int("max_new_synapse_count", max_new_synapse_count, 1)
        self.max_segments_per_cell = _check_int("max_segments_per_cell", max_segments_per_cell, 1)
        self.max_synapses_per_segment = _check_int("max_synapses_per_segment",
                                                   max_synapses_per_segment, 1)
        self.initial_permanence = _check_fraction("initial_permanence", initial_permanence)
        self.connected_permanence = _check_fraction("connected_permanence", connected_permanence)
        self.permanence_increment = _check_fraction("permanence_increment", permanence_increment)
        self.permanence_decrement = _check_fraction("permanence_decrement", permanence_decrement)
        self.predicted_segment_decrement = _check_fraction("predicted_segment_decrement",
                                                           predicted_segment_decrement)
        self.seed = seed
        self._rng = CompatRNG(seed)
        self._connected_at = np.float32(self.connected_permanence - np.float32(1e-6))
        self._pool = SegmentPool(self.num_cells, self.max_synapses_per_segment,
                                 self.max_segments_per_cell, self._connected_at)
        self._engine, self.backend_name = _dendrite_engine(backend, self, resident)
        self._resident = getattr(self._engine, "resident", False)
        self._pool_stale = False  # a resident engine changed the segments since the last pull
        self._runtime = getattr(self._engine, "runtime", None)  # OpenCL's, for the shuffles
        self._unsettled: np.ndarray | None = None  # a device step's columns, not yet read back
        self._viewed = False  # whether a view was read since the last step
        # per cell, 1 if it is in _coded_cells, else 0; the last entry, read for the -1 of an
        # empty slot, is 2: the code of the adaptation's third delta, 0
        self._active_code = np.zeros(self.num_cells + 1, dtype=np.int8)
        self._active_code[-1] = 2
        self._coded_cells = _EMPTY
        self._reinforce_deltas = np.array([-self.permanence_decrement, self.permanence_increment, 0],
                                          dtype=np.float32)
        self._punish_deltas = np.array([0, -self.predicted_segment_decrement, 0], dtype=np.float32)
        self._active_cells = _EMPTY
        self._clear_cells()

    # -- parameters ----------------------------------------------------------------------------
    def params(self) -> dict:
        """The constructor arguments (backend aside) that define this TM."""
        return {
            "column_shape": self.column_shape,
            "cells_per_column": self.cells_per_column,
            "activation_threshold": self.activation_threshold,
            "initial_permanence": float(self.initial_permanence),
            "connected_permanence": float(self.connected_permanence),
            "min_threshold": self.min_threshold,
            "max_new_synapse_count": self.max_new_synapse_count,
            "permanence_increment": float(self.permanence_increment),
            "permanence_decrement": float(self.permanence_decrement),
            "predicted_segment_decrement": float(self.predicted_segment_decrement),
            "max_segments_per_cell": self.max_segments_per_cell,
            "max_synapses_per_segment": self.max_synapses_per_segment,
            "seed": self.seed,
        }

    # -- the step ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Spec rule 5: a sequence boundary. Cell and segment activity is cleared (synapses stay)
        and the anomaly reads NaN until the next step."""
        self._settle()
        self._clear_cells()
        self._engine.reset()

    def _clear_cells(self) -> None:
        self._active_cells = _EMPTY
        self._predicted_active = _EMPTY
        self._winner_cells = _EMPTY
        self._bursting_columns = _EMPTY
        self._anomaly = math.nan
        self._set_dendrites(_EMPTY, _EMPTY, _EMPTY)

    def compute(self, active_columns: Any, learn: bool = True) -> None:
        """One time step: spec steps 1-4 for these active columns (an SDR or sorted indices)."""
        cols = self._column_indices(active_columns)
        viewed, self._viewed = self._viewed, False
        if self._resident:  # every step on the device; the host settles it when asked
            self._engine.step(cols, learn, self._rng)
            self._unsettled = cols
            self._pool_stale = self._pool_stale or learn
            return
        if not learn and self._engine.infers_on_device and not viewed:
            # nobody read the last step: this one runs on the device until someone asks
            self._engine.infer_step(self._pool, cols)
            self._unsettled = cols
            return
        self._settle()
        cpc = self.cells_per_column
        n_active = len(cols)

        # Step 2: raw anomaly, against the cells predicted before this input arrived.
        col_predicted = _in_sorted(self._predictive_columns, cols)
        n_predicted = int(np.count_nonzero(col_predicted))
        self._anomaly = raw_anomaly_from_counts(n_active, n_active - n_predicted)

        # Step 3: predicted columns activate their predicted cells; the others burst.
        bursting = cols[~col_predicted]
        pred = self._predictive_cells
        correct = pred[_in_sorted(cols, pred // cpc)]
        active_cells = self._active_cells_of(correct, bursting)

        # Without learning the synapses stay as they are, so a device can count the next
        # step's dendrites (step 1) while the host picks the winners.
        started = (_NOT_STARTED if learn else
                   self._engine.start_activity(self._pool, active_cells, correct, bursting))

        # Bursting winners: best matching segment, else the previous winner, else least used.
        if len(bursting):
            best, rest, rest_winner, least_used = self._bursting_winners(bursting)
            winners = np.concatenate([correct, self._seg_cell[best], rest_winner])
            winners.sort(kind="stable")  # three ascending runs, merged
        else:  # every column predicted (a learned sequence): nothing to choose
            best = rest = rest_winner = _EMPTY
            least_used = np.zeros(0, dtype=bool)
            winners = correct

        if learn:
            self._learn(cols, _in_sorted(cols, self._seg_col), best, rest, rest_winner,
                        least_used, self._winner_cells)
        elif least_used.any() and cpc > 1:
            # The least-used choice shuffles the column first: its draws are spent either way.
            self._rng.draws(int(np.count_nonzero(least_used)) * (cpc - 1))

        self._set_cells(active_cells, correct, winners, bursting)
        if started is _NOT_STARTED:
            found = self._engine.activity(self._pool, active_cells, correct, bursting, winners)
        else:
            found = self._engine.finish_activity(started, winners)
        self._set_dendrites(*found)

    def _active_cells_of(self, correct: np.ndarray, bursting: np.ndarray) -> np.ndarray:
        """The active cells (ascending) of a step whose predicted columns activated ``correct``
        and whose ``bursting`` columns (ascending) activated every cell."""
        cpc = self.cells_per_column
        cells = np.concatenate([correct, (bursting[:, None] * cpc + np.arange(cpc)).ravel()])
        cells.sort(kind="stable")  # two ascending runs: a stable sort merges them, O(n)
        return cells

    def _set_cells(self, active_cells: np.ndarray, correct: np.ndarray, winners: np.ndarray,
                   bursting: np.ndarray) -> None:
        """The step's cells (ascending): active, active because predicted, winners; and its
        bursting columns."""
        self._active_cells = active_cells
        self._predicted_active = correct
        self._winner_cells = winners
        self._bursting_columns = bursting

    def _look(self) -> None:
        """A view is read: bring the last step back if the device ran it."""
        self._viewed = True
        self._settle()

    def _settle(self) -> None:
        """Bring back the step the device ran last, if the host has not seen it yet: its cells,
        its anomaly and its count; and spend the random draws of the least-used choices the
        device made since the last time (nothing else has drawn since: the steps that draw on
        the host settle first)."""
        cols = self._unsettled
        if cols is None:
            return
        self._unsettled = None
        predicted, bursting, column_winners, found, least_used = self._engine.read_step()
        if least_used and self.cells_per_column > 1:
            self._rng.draws(least_used * (self.cells_per_column - 1))
        correct = np.sort(predicted).astype(np.int64)
        bursting = np.sort(bursting).astype(np.int64)
        active_cells = self._active_cells_of(correct, bursting)
        winners = np.concatenate([correct, column_winners[column_winners >= 0]]).astype(np.int64)
        winners.sort(kind="stable")  # the bursting winners come in column order: two runs
        self._anomaly = raw_anomaly_from_counts(len(cols), len(bursting))
        self._set_cells(active_cells, correct, winners, bursting)
        self._set_dendrites(*found)

    def _bursting_winners(self, bursting: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(best matching segments of the bursting columns that have one, the other bursting
        columns, their winner cells, which of those are least-used choices)."""
        cpc = self.cells_per_column
        seg_col, seg_pot = self._seg_col, self._seg_pot
        burst_matching = np.flatnonzero(self._seg_matching & _in_sorted(bursting, seg_col))
        if len(burst_matching):
            order = np.lexsort((-seg_pot[burst_matching], seg_col[burst_matching]))
            ranked = burst_matching[order]
            best = ranked[np.concatenate(([True], seg_col[ranked][1:] != seg_col[ranked][:-1]))]
        else:
            best = _EMPTY
        rest = bursting[~_in_sorted(seg_col[best], bursting)]
        prev_winners = self._winner_cells
        if len(prev_winners) and len(rest):
            winner_cols = prev_winners // cpc
            pos = np.minimum(np.searchsorted(winner_cols, rest), len(prev_winners) - 1)
            has_prev = winner_cols[pos] == rest
            rest_winner = np.where(has_prev, prev_winners[pos], 0)
        else:
            has_prev = np.zeros(len(rest), dtype=bool)
            rest_winner = np.zeros(len(rest), dtype=np.int64)
        least_used = ~has_prev
        if least_used.any():
            lu_cols = rest[least_used]
            counts = self._pool.segments_per_cell[lu_cols[:, None] * cpc + np.arange(cpc)]
            rest_winner[least_used] = lu_cols * cpc + np.argmin(counts, axis=1)
        return best, rest, rest_winner, least_used

    def _learn(self, cols: np.ndarray, in_active_col: np.ndarray, best: np.ndarray,
               rest: np.ndarray, rest_winner: np.ndarray, least_used: np.ndarray,
               prev_winners: np.ndarray) -> None:
        """Steps 3-4 with learning: adapt (vectorised), then grow / create / destroy in column order."""
        seg, seg_col, seg_pot = self._seg, self._seg_col, self._seg_pot
        pool = self._pool
        reinforce = np.concatenate([np.flatnonzero(self._seg_active & in_active_col), best])
        codes = self._codes_of_active_cells()
        doomed = pool.adapt(seg[reinforce], codes, self._reinforce_deltas, self.min_threshold)
        if self.predicted_segment_decrement > 0:
            punish = np.flatnonzero(self._seg_matching & ~in_active_col)
            doomed = np.concatenate([doomed, pool.adapt(seg[punish], codes, self._punish_deltas,
                                                        self.min_threshold)])
        else:
            punish = _EMPTY
        adapted = np.concatenate([reinforce, punish])

        # Events that share the RNG stream or the free list, keyed by (column, segment order).
        stride = len(seg) + 1
        requested = self.max_new_synapse_count - seg_pot[reinforce]
        grow = reinforce[(requested > 0) & ~doomed[: len(reinforce)]]
        destroy = adapted[doomed]
        burst_key = rest * stride
        keys = np.concatenate([seg_col[grow] * stride + grow + 1,
                               seg_col[destroy] * stride + destroy + 1, burst_key])
        if not len(keys):
            return
        kinds = np.concatenate([np.full(len(grow), _GROW), np.full(len(destroy), _DESTROY),
                                np.full(len(rest), _BURST)])
        first = np.concatenate([seg[grow], seg[destroy], rest_winner])
        second = np.concatenate([self.max_new_synapse_count - seg_pot[grow],
                                 np.zeros(len(destroy), dtype=np.int64),
                                 least_used.astype(np.int64)])
        order = np.argsort(keys, kind="stable")
        kinds, first, second = kinds[order], first[order], second[order]
        n_candidates = len(prev_winners)
        shuffle_of, shuffles = self._step_shuffles(kinds, second, n_candidates)
        initial = self.initial_permanence
        growing = kinds == _GROW
        if growing.any():
            # A growth reads and writes only its own segment, so the step's growths run at once;
            # walk row -1 (no shuffle): the candidates in sorted order (a growth without a
            # shuffle asks for them all, so there are no more than the walks are long).
            walk_rows = shuffle_of[growing]
            walks = np.empty((len(walk_rows), shuffles.shape[1]), dtype=np.int64)
            shuffled = walk_rows >= 0
            walks[shuffled] = shuffles[walk_rows[shuffled]]
            walks[~shuffled] = np.arange(shuffles.shape[1])
            pool.grow_many(first[growing], second[growing], prev_winners, walks, initial)
        fresh: list[int] = []
        fresh_shuffles: list[int] = []
        others = np.flatnonzero(~growing).tolist()
        if n_candidates and not (kinds[others] == _DESTROY).any():
            # only creations (in bursting columns, so on distinct cells): all at once
            fresh = pool.create_segments(first[others]).tolist()
            fresh_shuffles = shuffle_of[others].tolist()
        else:
            for kind, a, row in zip(kinds[others].tolist(), first[others].tolist(),
                                    shuffle_of[others].tolist()):
                if kind == _DESTROY:
                    pool.destroy_segment(a)
                elif n_candidates:
                    fresh.append(pool.create_segment(a))
                    fresh_shuffles.append(row)
        if fresh:
            # A new segment gets the first n candidates of its walk (it has nothing to skip or
            # to raise), capped by max_synapses_per_segment; no other event of the step reads
            # it, so all of them are written at once.
            n = min(self.max_new_synapse_count, n_candidates, self.max_synapses_per_segment)
            if fresh_shuffles[0] < 0:
                cells = np.broadcast_to(prev_winners[:n], (len(fresh), n))
            else:
                cells = prev_winners[shuffles[fresh_shuffles, :n]]
            pool.fill_new(fresh, cells, initial)

    def _codes_of_active_cells(self) -> np.ndarray:
        """Per cell (and one more for empty slots) the adaptation's delta code: 1 for the
        current active cells (the previous ones, to a step that learns), else 0; kept up to
        date only when learning reads it."""
        if self._coded_cells is not self._active_cells:
            self._active_code[self._coded_cells] = 0
            self._active_code[self._active_cells] = 1
            self._coded_cells = self._active_cells
        return self._active_code

    def _step_shuffles(self, kinds: np.ndarray, second: np.ndarray, n: int
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The step's random draws, all in one call, in walk order: ``cells_per_column - 1``
        spent by each least-used choice, ``n - 1`` by each shuffle of the n candidates (an
        event's least-used draws come before its shuffle's). Returns, per event, its row in the
        returned array of shuffled candidate positions (-1: none), of which only the first
        min(max_new_synapse_count, n) are made: a walk never passes them. A creation takes no
        more; a growth asks for max_new_synapse_count less its active potential synapses, and
        every candidate it passes that is on the segment already is one of those: the
        candidates, the previous winners, are previous active cells, and nothing adds a synapse
        between the count and the growth (what removes one only shortens the walk). The
        shuffles run on the model's device when there are many, and so are the draws made
        (:mod:`.shuffles`, :mod:`.rng_cl`)."""
        spare = self.cells_per_column - 1
        creating = n > 0 and self.max_new_synapse_count < n
        bursts = kinds == _BURST
        least_used = bursts & (second != 0)
        shuffling = ((kinds == _GROW) & (second < n)) | (bursts & creating)
        draws = spare * least_used + (n - 1) * shuffling
        before = np.cumsum(draws) - draws  # draws of the events before each one
        starts = (before + spare * least_used)[shuffling]
        shuffle_of = np.where(shuffling, np.cumsum(shuffling) - 1, -1)
        drawn = int(draws.sum())
        keep = min(self.max_new_synapse_count, n)
        if not len(starts):
            self._rng.draws(drawn)  # the least-used choices' draws, spent
            return shuffle_of, np.empty((0, keep), dtype=np.int64)
        if len(starts) * n >= DEVICE_SHUFFLE_SWAPS and self._runtime is not None:
            raw = draws_on_device(self._rng, drawn, self._runtime)  # made where they are used
            return shuffle_of, shuffled_prefixes(len(starts), n, keep, raw, starts, self._runtime)
        return shuffle_of, shuffled_prefixes(len(starts), n, keep, self._rng.draws(drawn), starts)

    def _host_pool(self) -> SegmentPool:
        """The segments as they are now, on the host (a resident engine's brought back first
        when its steps changed them)."""
        self._settle()
        if self._pool_stale:
            self._engine.pull(self._pool)
            self._pool_stale = False
        return self._pool

    def _compute_dendrites(self) -> None:
        """Step 1 for the next input, from the current cells and synapses (after a load, or
        a change made to the host pool)."""
        self._set_dendrites(*self._engine.activity(
            self._host_pool(), self._active_cells, self._predicted_active, self._bursting_columns,
            self._winner_cells))

    def _set_dendrites(self, found: np.ndarray, connected: np.ndarray, potential: np.ndarray,
                       cells: np.ndarray | None = None) -> None:
        """The dendrite engine's segments (in any order) in (cell, segment) order; their
        ``cells`` when the host pool may not know them (a resident engine's)."""
        rows = len(self._pool.count)
        if cells is None:
            cells = self._pool.owner[found]
        else:  # a resident engine's rows may outnumber the host pool's
            cells = cells.astype(np.int64)
            rows = max(rows, int(found.max()) + 1 if len(found) else 0)
        order = argsort_below(cells * rows + found, self.num_cells * rows)
        self._seg = found[order]
        self._seg_cell = cells[order]
        self._seg_col = self._seg_cell // self.cells_per_column
        self._seg_pot = potential[order].astype(np.int64, copy=False)
        self._seg_active = connected[order] >= self.activation_threshold
        self._seg_matching = self._seg_pot >= self.min_threshold
        self._predictive_cells = _dedupe_sorted(self._seg_cell[self._seg_active])
        self._predictive_columns = _dedupe_sorted(self._predictive_cells // self.cells_per_column)

    def _column_indices(self, active_columns: Any) -> np.ndarray:
        cols = np.asarray(getattr(active_columns, "sparse", active_columns))
        if cols.ndim != 1:
            raise ValueError(f"active_columns must be a 1-D array of column indices "
                             f"(got shape {cols.shape})")
        if not len(cols):
            return _EMPTY
        if cols.dtype.kind not in "iu":
            raise TypeError(f"active_columns must hold integer column indices (got {cols.dtype})")
        cols = cols.astype(np.int64, copy=False)
        if len(cols) > 1 and np.any(cols[1:] <= cols[:-1]):
            raise ValueError("active_columns must be sorted ascending without repeats; "
                             "pass np.unique(columns)")
        if cols[0] < 0 or cols[-1] >= self.num_columns:
            bad = cols[0] if cols[0] < 0 else cols[-1]
            raise ValueError(f"active column {bad} is out of range for {self.num_columns} columns")
        return cols

    # -- read-only views -----------------------------------------------------------------------
    @property
    def anomaly(self) -> float:
        """Raw anomaly of the last step (spec step 2); NaN before the first step and after reset."""
        self._look()
        return self._anomaly

    @property
    def active_cells(self) -> np.ndarray:
        self._look()
        return _view(self._active_cells)

    @property
    def winner_cells(self) -> np.ndarray:
        self._look()
        return _view(self._winner_cells)

    @property
    def predictive_cells(self) -> np.ndarray:
        """Cells with an active segment now, i.e. predicted for the next input."""
        self._look()
        return _view(self._predictive_cells)

    @property
    def predictive_columns(self) -> np.ndarray:
        """Columns with a predictive cell now, ascending: those predicted for the next input."""
        self._look()
        return _view(self._predictive_columns)

    @property
    def bursting_columns(self) -> np.ndarray:
        """Active columns of the last step that no cell had predicted."""
        self._look()
        return _view(self._bursting_columns)

    @property
    def active_segments(self) -> np.ndarray:
        """Flat indices of the segments active now (for the next input), in (cell, segment) order."""
        self._look()
        return _view(self._seg[self._seg_active])

    @property
    def matching_segments(self) -> np.ndarray:
        """Flat indices of the segments matching now (for the next input), in (cell, segment) order."""
        self._look()
        return _view(self._seg[self._seg_matching])

    def segments_of(self, cell: int) -> list[tuple[int, list[tuple[int, float]]]]:
        """The segments of ``cell`` (ascending flat index), each with its (presynaptic cell,
        permanence) synapses in slot order."""
        if not 0 <= cell < self.num_cells:
            raise ValueError(f"cell {cell} is out of range for {self.num_cells} cells")
        if self._pool_stale:  # a resident engine's: read that cell's rows only
            return self._engine.segments_of(cell)
        return [(s, self._pool.synapses(s)) for s in self._pool.segments_of(cell)]

    def num_segments(self, cell: int | None = None) -> int:
        """Segments of the whole TM, or of one cell."""
        if cell is not None and not 0 <= cell < self.num_cells:
            raise ValueError(f"cell {cell} is out of range for {self.num_cells} cells")
        if self._pool_stale:
            return self._engine.num_segments(cell)
        if cell is None:
            return self._pool.num_segments()
        return int(self._pool.segments_per_cell[cell])

    def num_synapses(self) -> int:
        return self._engine.num_synapses() if self._pool_stale else self._pool.num_synapses()

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything the next steps depend on: parameters, synapses, cells, the RNG."""
        pool = self._host_pool()
        return {
            "params": self.params(),
            "pool": pool.state_dict(),
            "rng": self._rng.state_dict(),
            "active_cells": state_array(self._active_cells),
            "winner_cells": state_array(self._winner_cells),
            "bursting_columns": state_array(self._bursting_columns),
            "anomaly": self._anomaly,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`; the following steps are those the saved TM would take."""
        saved = dict(state["params"])
        saved["column_shape"] = tuple(saved["column_shape"])
        mine = self.params()
        different = {k: (saved.get(k), v) for k, v in mine.items() if saved.get(k) != v}
        if different:
            listed = ", ".join(f"{k}: saved {s!r}, this TM {m!r}" for k, (s, m) in different.items())
            raise ValueError(f"state_dict is from a TemporalMemory with other parameters ({listed}); "
                             "build one with the saved parameters first")
        active = np.asarray(state["active_cells"], dtype=np.int64)
        winners = np.asarray(state["winner_cells"], dtype=np.int64)
        if not _in_sorted(active, winners).all():  # growth's candidates must be active cells
            raise ValueError("state_dict's winner cells are not all among its active cells; it "
                             "was not saved by a TemporalMemory (nothing was loaded)")
        self._unsettled = None  # the device's last step is replaced, draws included
        self._pool.load_state_dict(state["pool"])
        self._pool_stale = False  # the host's pool is the one to send
        self._rng.load_state_dict(state["rng"])
        self._active_cells = active
        self._winner_cells = winners
        self._bursting_columns = np.asarray(state["bursting_columns"], dtype=np.int64)
        self._predicted_active = self._active_cells[
            ~_in_sorted(self._bursting_columns, self._active_cells // self.cells_per_column)]
        self._anomaly = float(state["anomaly"])
        self._engine.rebuild(self._pool)
        self._compute_dendrites()


def resident_by_default(runtime: Any) -> bool:
    """Whether a TemporalMemory on this OpenCL runtime keeps its segments on the device when
    not told (``resident=None``): on a GPU, where a step run there whole is several times
    faster; not on a CPU device, where the host's walk with a presynaptic index is (see
    docs/performance.md). Tests swap it to run their OpenCL TMs resident."""
    return bool(runtime.is_gpu)


def _dendrite_engine(backend: Any, tm: TemporalMemory, resident: bool | None
                     ) -> tuple[Any, str]:
    """The dendrite engine of ``tm`` for ``backend`` (a name or a backend object) and the name
    of the backend it runs on: numpy when OpenCL is missing (get_backend warns) or its kernels
    fail to build (warned here). ``resident``: as the TemporalMemory's argument."""
    resolved = get_backend(backend)
    runtime = getattr(resolved, "runtime", None)
    lowest = min(tm.activation_threshold, tm.min_threshold)
    if runtime is None:
        return PresynapticIndex(tm.num_cells, tm._connected_at, lowest), "numpy"
    from ..cl.runtime import KernelBuildError  # noqa: PLC0415 - only with OpenCL
    from .tm_dendrites_cl import DeviceDendrites  # noqa: PLC0415
    from .tm_resident_cl import ResidentEngine  # noqa: PLC0415

    try:
        runtime.program("shuffle.cl")  # the growth shuffles of large learning steps,
        build_kernel(runtime)  # and their draws
        if resident_by_default(runtime) if resident is None else resident:
            try:
                return (ResidentEngine(runtime, tm.num_cells, tm.cells_per_column, tm.params(),
                                       tm._connected_at), f"opencl:{runtime.index}")
            except ValueError:  # parameters it cannot take: the host walk can, when not asked
                if resident:
                    raise
            except KernelBuildError as exc:
                warnings.warn(f"the resident Temporal Memory's kernels failed to build ({exc}); "
                              "its learning steps are walked on the host instead",
                              BackendFallbackWarning, stacklevel=3)
        return (DeviceDendrites(runtime, tm.num_cells, tm._connected_at, tm.activation_threshold,
                                tm.min_threshold, tm.cells_per_column), f"opencl:{runtime.index}")
    except KernelBuildError as exc:
        warnings.warn(f"Temporal Memory kernels failed to build ({exc}); running on numpy instead",
                      BackendFallbackWarning, stacklevel=3)
        return PresynapticIndex(tm.num_cells, tm._connected_at, lowest), "numpy"
