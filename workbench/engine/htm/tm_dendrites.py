"""Dendrite activity of the Temporal Memory on numpy, computed presynaptically.

HTM_SPEC.md "Temporal Memory" step 1 counts, per segment, the synapses to the previous step's
active cells (active potential) and those of them that are connected (active connected). Only
a few dozen cells are active while a trained TM holds hundreds of thousands of synapses, so on
the CPU it is far cheaper to start from the active cells and follow their outgoing synapses
than to scan every segment: this module keeps a presynaptic index, cell -> the synapses that
cell feeds, each as one integer entry: segment + 1, a bit that says whether the synapse's
permanence is connected, and the slot, from high bits to low (so counting needs no random
reads of the permanences, and one shift gives the bin 2 * (segment + 1) + connected that
counts both at once); 0 marks an empty or removed entry. A synapse's handle
``segment * width + slot`` is its flat position in the pool's arrays.

Layout: one flat buffer of entries; each cell owns a block of it (start, capacity, used).
Keeping up with the pool must be cheap, because a learning step rewrites hundreds of
segments: ``position[handle]`` is where each synapse's entry sits, so an entry is zeroed
(a tombstone) or has its connected bit toggled in place without searching, and new ones are
appended to their cell's block. The pool says which synapses flipped connected state and, for
a segment whose synapses changed, from which slot on, so the usual step (a few dozen
permanences crossing, a few segments growing some synapses) touches just those entries. A
cell whose block is full moves, without its tombstones, to a new block at the end of the
buffer, twice as large as it needs; when the abandoned blocks outweigh the live ones the whole
buffer is compacted. All of it is vectorised over the cells
and synapses a step touches.

A device mirror of the buffer (:mod:`.tm_dendrites_cl`) asks the index to track its writes:
then every position written, and every cell whose block moved or grew, is noted, so each step
the mirror copies only those entries and block bounds, and a rebuild, compaction or
reallocation is noted as a rewrite of the whole buffer. Untracked (the numpy engine), noting
costs one test per write.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from .radix import argsort_below
from .tm_segments import SegmentPool

_MIN_BLOCK = 8


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ranges starts[i] .. starts[i] + lengths[i] - 1."""
    offsets = np.cumsum(lengths) - lengths
    flat = np.repeat(starts - offsets, lengths)
    flat += np.arange(len(flat))
    return flat


def _block_sizes(needed: np.ndarray) -> np.ndarray:
    """Powers of two at least twice ``needed`` (and at least the minimum block)."""
    want = np.maximum(2 * needed, _MIN_BLOCK)
    return (1 << np.ceil(np.log2(want)).astype(np.int64)).astype(np.int64)


class PresynapticIndex:
    """Segment activity from active cells through a cell -> synapse-entry index."""

    infers_on_device = False  # whether the engine runs whole steps without learning itself

    def __init__(self, num_cells: int, connected: np.float32, lowest: int,
                 track_writes: bool = False) -> None:
        self.num_cells = num_cells
        self.connected = connected  # already lowered by 1e-6
        self.lowest = lowest
        # positions written and cells whose block bounds changed since the last take_written
        # (None: not tracked), and whether the whole buffer was rewritten since
        self._written: list[np.ndarray] | None = [] if track_writes else None
        self._written_cells: list[np.ndarray] = []
        self._rewritten = False
        self._reset(0, 0)

    def _reset(self, width: int, handles: int) -> None:
        self.width = width
        self.slot_bits = max(1, (width - 1).bit_length())
        self.entries = np.zeros(1024, dtype=np.int64)
        self.end = 0
        self.cell_start = np.zeros(self.num_cells, dtype=np.int64)
        self.cell_cap = np.zeros(self.num_cells, dtype=np.int64)
        self.cell_len = np.zeros(self.num_cells, dtype=np.int64)  # used, tombstones included
        self.position = np.zeros(handles, dtype=np.int32)
        self._note_rewritten()

    # -- write tracking ------------------------------------------------------------------------
    def _note_written(self, positions: np.ndarray) -> None:
        if self._written is not None:
            self._written.append(positions)

    def _note_bounds(self, cells: np.ndarray) -> None:
        """``cells`` got a new block start or length."""
        if self._written is not None:
            self._written_cells.append(cells)

    def _note_rewritten(self) -> None:
        if self._written is not None:
            self._written.clear()
            self._written_cells.clear()
            self._rewritten = True

    def take_written(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(positions of the entries written, cells whose block start or length changed) since
        the last call (either may repeat; read their values now), or None when the whole buffer
        was rebuilt, compacted or reallocated since, so that a mirror must copy all of it and
        every cell's bounds. Only for an index built with ``track_writes``."""
        if self._written is None:
            raise RuntimeError("take_written needs an index built with track_writes=True")
        written, cells = self._written, self._written_cells
        self._written, self._written_cells = [], []
        if self._rewritten:
            self._rewritten = False
            return None
        empty = np.empty(0, dtype=np.int64)
        return (np.concatenate(written) if written else empty,
                np.concatenate(cells) if cells else empty)

    # -- entries -------------------------------------------------------------------------------
    def _entries(self, pool: SegmentPool, handles: np.ndarray) -> np.ndarray:
        segments = handles // self.width
        slots = handles - segments * self.width
        connected = pool.perm.ravel()[handles] >= self.connected
        return ((((segments + 1) << 1) | connected) << self.slot_bits) | slots

    def _handles(self, entries: np.ndarray) -> np.ndarray:
        segments = (entries >> (self.slot_bits + 1)) - 1
        return segments * self.width + (entries & ((1 << self.slot_bits) - 1))

    # -- keeping up with the pool --------------------------------------------------------------
    def sync(self, pool: SegmentPool) -> None:
        """Apply the pool's changes since the last sync (then clear them).

        The synapses whose connected state flipped get their bit toggled in place. A segment
        whose synapse set changed keeps the entries of the slots before the first one that
        changed (a grown segment appends only its new synapses); the later slots' entries go
        and the synapses now in them are appended, their bits read afresh (so a flip noted for
        such a slot, which the toggle applied to the entry about to go, does no harm).
        """
        if pool.width != self.width:
            self.rebuild(pool)
            return
        if len(self.position) < pool.pre.size:
            grown = np.zeros(pool.pre.size, dtype=np.int32)
            grown[: len(self.position)] = self.position
            self.position = grown
        flipped = pool.connected_flips()
        if len(flipped):
            toggled = self.position[flipped]
            self.entries[toggled] ^= 1 << self.slot_bits
            self._note_written(toggled)
        changed = pool.layout_changed
        if changed:
            segments = np.fromiter(changed, dtype=np.int64, count=len(changed))
            old_count, first = np.fromiter(chain.from_iterable(changed.values()), dtype=np.int64,
                                           count=2 * len(changed)).reshape(-1, 2).T
            starts = segments * self.width + first
            gone = self.position[_ragged(starts, old_count - first)]
            self.entries[gone] = 0
            self._note_written(gone)
            self._append(pool, _ragged(starts, pool.count[segments] - first))
        pool.clear_changes()

    def rebuild(self, pool: SegmentPool) -> None:
        """Index every synapse of ``pool`` from scratch (after loading, or when rows widen)."""
        self._reset(pool.width, pool.pre.size)
        n = pool.n_rows
        self._append(pool, _ragged(np.arange(n) * pool.width, pool.count[:n].astype(np.int64)))
        pool.clear_changes()

    def _append(self, pool: SegmentPool, handles: np.ndarray) -> None:
        """Add the entries of ``handles`` to the blocks of their presynaptic cells."""
        if not len(handles):
            return
        pre = pool.pre.ravel()[handles].astype(np.int64)
        order = argsort_below(pre, self.num_cells)
        pre = pre[order]
        handles = handles[order]
        first = np.flatnonzero(np.concatenate(([True], pre[1:] != pre[:-1])))
        cells = pre[first]
        added = np.diff(first, append=len(pre))
        short = self.cell_len[cells] + added > self.cell_cap[cells]
        if short.any():
            self._relocate(cells[short], added[short])
        positions = np.repeat(self.cell_start[cells] + self.cell_len[cells], added)
        positions += np.arange(len(pre)) - np.repeat(first, added)
        self.entries[positions] = self._entries(pool, handles)
        self._note_written(positions)
        self.position[handles] = positions
        self.cell_len[cells] += added
        self._note_bounds(cells)

    def _relocate(self, cells: np.ndarray, extra: np.ndarray) -> None:
        """Move ``cells`` to new blocks at the end, without tombstones, with room for twice
        their live entries plus ``extra``."""
        old = _ragged(self.cell_start[cells], self.cell_len[cells])
        values = self.entries[old]
        owner = np.repeat(np.arange(len(cells)), self.cell_len[cells])
        keep = values > 0
        values, owner = values[keep], owner[keep]
        live = np.bincount(owner, minlength=len(cells))
        sizes = _block_sizes(live + extra)
        if self.end + int(sizes.sum()) > len(self.entries):
            self._make_space(int(sizes.sum()))
        starts = self.end + np.cumsum(sizes) - sizes
        self.end += int(sizes.sum())
        positions = np.repeat(starts, live) + (np.arange(len(values)) - np.repeat(np.cumsum(live) - live, live))
        self.entries[positions] = values
        self._note_written(positions)
        self.position[self._handles(values)] = positions
        self.cell_start[cells] = starts
        self.cell_cap[cells] = sizes
        self.cell_len[cells] = live
        self._note_bounds(cells)

    def _make_space(self, wanted: int) -> None:
        """Room for ``wanted`` more entries at the end: when abandoned blocks take most of the
        buffer, move every cell's block to the front (same capacity, tombstones dropped, so a
        cell that had room for an append in progress still has it); grow the buffer if that
        is not enough. Either is a rewrite of the whole buffer."""
        used = int(self.cell_cap.sum())
        if used < self.end // 2:
            cells = np.flatnonzero(self.cell_cap)
            old = _ragged(self.cell_start[cells], self.cell_len[cells])
            values = self.entries[old]
            owner = np.repeat(np.arange(len(cells)), self.cell_len[cells])
            keep = values > 0
            values, owner = values[keep], owner[keep]
            live = np.bincount(owner, minlength=len(cells))
            sizes = self.cell_cap[cells]
            starts = np.cumsum(sizes) - sizes
            self.entries[:] = 0
            positions = np.repeat(starts, live) + (np.arange(len(values)) - np.repeat(np.cumsum(live) - live, live))
            self.entries[positions] = values
            self.position[self._handles(values)] = positions
            self.cell_start[cells] = starts
            self.cell_len[cells] = live
            self.end = int(sizes.sum())
            self._note_rewritten()
        size = len(self.entries)
        while self.end + wanted > size:
            size *= 2
        if size > len(self.entries):
            grown = np.zeros(size, dtype=np.int64)
            grown[: self.end] = self.entries[: self.end]
            self.entries = grown
            self._note_rewritten()

    # -- activity ------------------------------------------------------------------------------
    def activity(self, pool: SegmentPool, active_cells: np.ndarray,
                 predicted_cells: np.ndarray | None = None,
                 bursting_columns: np.ndarray | None = None,
                 winners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments with at least ``lowest`` active potential synapses from ``active_cells``:
        (segments, active connected counts, active potential counts), the segments in no
        particular order (here ascending). The index first takes in the pool's changes.

        ``predicted_cells`` and ``bursting_columns`` say the same as ``active_cells``, which
        they split into the active cells of predicted columns and the columns whose every cell
        is active (None: all are single cells), and ``winners`` are the step's winner cells;
        an engine may use whichever form is cheaper and keep what a next step of its own needs
        (this one reads ``active_cells`` only)."""
        return self.finish_activity(self.start_activity(pool, active_cells, predicted_cells,
                                                        bursting_columns, winners))

    def start_activity(self, pool: SegmentPool, active_cells: np.ndarray,
                       predicted_cells: np.ndarray | None = None,
                       bursting_columns: np.ndarray | None = None,
                       winners: np.ndarray | None = None) -> object:
        """:meth:`activity` begun, for :meth:`finish_activity`: an engine on a device returns
        while the device counts (and the winners may follow at the finish); this one counts
        now."""
        self.sync(pool)
        return self._count_now(pool, active_cells)

    def finish_activity(self, started: object, winners: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The result of :meth:`start_activity`'s count (``winners``: the step's winner cells,
        when chosen since the start)."""
        return started

    def reset(self) -> None:
        """A sequence boundary; this engine keeps no cell state between steps."""

    def _count_now(self, pool: SegmentPool, active_cells: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        entries = self.entries.take(_ragged(self.cell_start[active_cells], self.cell_len[active_cells]))
        # bin 2 * (segment + 1) + connected; tombstones (0) fall in bin 0
        counts = np.bincount(entries >> self.slot_bits, minlength=2 * (pool.n_rows + 1)).reshape(-1, 2)[1:]
        connected_count = counts[:, 1]
        potential = counts[:, 0] + connected_count
        found = np.flatnonzero(potential >= self.lowest)
        return found, connected_count[found], potential[found]
