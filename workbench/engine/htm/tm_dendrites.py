"""Dendrite activity of the Temporal Memory on numpy, computed presynaptically.

HTM_SPEC.md "Temporal Memory" step 1 counts, per segment, the synapses to the previous step's
active cells (active potential) and those of them that are connected (active connected). Only
a few dozen cells are active while a trained TM holds hundreds of thousands of synapses, so on
the CPU it is far cheaper to start from the active cells and follow their outgoing synapses
than to scan every segment: this module keeps a presynaptic index, cell -> the synapses that cell
feeds, each as one integer entry: segment + 1, slot, and a low bit that says whether the
synapse's permanence is connected (so counting needs no random reads of the permanences, and
the segment comes out with a shift); 0 marks an empty or removed entry. The synapse's
"handle" ``segment * width + slot`` is its flat position in the pool's arrays.

Layout: slab tables of doubling width (8, 16, 32, ...); a cell's handles live in one row of
the narrowest table that holds them, so one very popular cell does not make every row wide.
Keeping up with the pool must be cheap, because a learning step rewrites hundreds of segments:
``position[handle]`` says where each handle sits in its cell's row, so the old handles of a
changed segment are overwritten with 0 (a tombstone) without searching, and its current
handles are appended. A row that fills up is compacted (tombstones dropped) or moved to a
wider table. A segment whose permanences moved gets its connected bits rewritten in place.
"""

from __future__ import annotations

import numpy as np

from .tm_segments import SegmentPool

_FIRST_WIDTH = 8
_WIDTH_FACTOR = 2


class _Slab:
    """Rows of one width; each used row belongs to one cell."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.table = np.zeros((64, width), dtype=np.int64)
        self.used = 0
        self.free: list[int] = []

    def take_row(self) -> int:
        if self.free:
            return self.free.pop()
        if self.used == len(self.table):
            grown = np.zeros((2 * len(self.table), self.width), dtype=np.int64)
            grown[: self.used] = self.table
            self.table = grown
        self.used += 1
        return self.used - 1


def _segment_handles(segments: np.ndarray, counts: np.ndarray, width: int) -> np.ndarray:
    """Handles of slots 0..count-1 of each segment, segment after segment."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(segments * width, counts) + (np.arange(total) - starts)


class PresynapticIndex:
    """Segment activity from active cells through a cell -> synapse-handle index."""

    def __init__(self, num_cells: int, connected: np.float32, lowest: int) -> None:
        self.num_cells = num_cells
        self.connected = connected  # already lowered by 1e-6
        self.lowest = lowest
        self._reset(0)

    def _reset(self, width: int) -> None:
        self.width = width
        self.slot_bits = max(1, (width - 1).bit_length())
        self.slabs: list[_Slab] = []
        self.cell_slab = np.full(self.num_cells, -1, dtype=np.int64)
        self.cell_row = np.zeros(self.num_cells, dtype=np.int64)
        self.cell_len = np.zeros(self.num_cells, dtype=np.int64)  # entries, tombstones included
        self.position = np.zeros(0, dtype=np.int32)

    # -- keeping up with the pool --------------------------------------------------------------
    def sync(self, pool: SegmentPool) -> None:
        """Apply the pool's changes since the last sync (then clear them)."""
        if pool.width != self.width:
            self.rebuild(pool)
            return
        if len(self.position) < pool.pre.size:
            grown = np.zeros(pool.pre.size, dtype=np.int64)
            grown[: len(self.position)] = self.position
            self.position = grown
        if pool.layout_changed:
            segments = np.fromiter(pool.layout_changed, dtype=np.int64,
                                   count=len(pool.layout_changed))
            old = list(pool.layout_changed.values())
            old_counts = np.fromiter((len(o) for o in old), dtype=np.int64, count=len(old))
            if old_counts.any():
                self._write(np.concatenate(old).astype(np.int64),
                            _segment_handles(segments, old_counts, self.width), 0)
            self._append(pool, _segment_handles(segments, pool.count[segments].astype(np.int64),
                                                self.width))
        moved = pool.values_changed.difference(pool.layout_changed)
        if moved:
            segments = np.fromiter(moved, dtype=np.int64, count=len(moved))
            handles = _segment_handles(segments, pool.count[segments].astype(np.int64), self.width)
            self._write(pool.pre.ravel()[handles].astype(np.int64), handles,
                        self._entries(pool, handles))
        pool.clear_changes()

    def rebuild(self, pool: SegmentPool) -> None:
        """Index every synapse of ``pool`` from scratch (after loading, or when rows widen)."""
        self._reset(pool.width)
        self.position = np.zeros(pool.pre.size, dtype=np.int64)
        n = pool.n_rows
        self._append(pool, _segment_handles(np.arange(n), pool.count[:n].astype(np.int64),
                                            pool.width))
        pool.clear_changes()

    def _entries(self, pool: SegmentPool, handles: np.ndarray) -> np.ndarray:
        segments = handles // self.width
        slots = handles - segments * self.width
        connected = pool.perm.ravel()[handles] >= self.connected
        return ((segments + 1) << (self.slot_bits + 1)) | (slots << 1) | connected

    def _handles(self, entries: np.ndarray) -> np.ndarray:
        segments = (entries >> (self.slot_bits + 1)) - 1
        return segments * self.width + ((entries >> 1) & ((1 << self.slot_bits) - 1))

    def _capacity(self, slab: np.ndarray) -> np.ndarray:
        return np.where(slab >= 0, _FIRST_WIDTH * _WIDTH_FACTOR ** np.maximum(slab, 0), 0)

    def _write(self, cells: np.ndarray, handles: np.ndarray, entries: np.ndarray | int) -> None:
        """Overwrite the entries of ``handles`` (in the rows of ``cells``) in place."""
        positions = self.position[handles]
        slab_of = self.cell_slab[cells]
        rows = self.cell_row[cells]
        if len(self.slabs) == 1:
            self.slabs[0].table[rows, positions] = entries
            return
        for k in np.unique(slab_of).tolist():
            sel = slab_of == k
            self.slabs[k].table[rows[sel], positions[sel]] = (
                entries if np.isscalar(entries) else entries[sel])

    def _append(self, pool: SegmentPool, handles: np.ndarray) -> None:
        """Append the entries of ``handles`` to the rows of their presynaptic cells."""
        if not len(handles):
            return
        pre = pool.pre.ravel()[handles].astype(np.int64)
        order = np.argsort(pre, kind="stable")
        pre = pre[order]
        handles = handles[order]
        cells, first, added = np.unique(pre, return_index=True, return_counts=True)
        short = self.cell_len[cells] + added > self._capacity(self.cell_slab[cells])
        for cell, extra in zip(cells[short].tolist(), added[short].tolist()):
            self._make_room(cell, extra)
        positions = np.repeat(self.cell_len[cells], added) + (np.arange(len(pre)) - np.repeat(first, added))
        self.position[handles] = positions
        self._write(pre, handles, self._entries(pool, handles))
        self.cell_len[cells] += added

    def _make_room(self, cell: int, extra: int) -> None:
        """Drop the tombstones of ``cell``'s row. If that leaves less than a quarter of the row
        free, move it to a table at least twice as wide as it needs, so that a busy cell is not
        compacted or moved again a few appends later."""
        k = int(self.cell_slab[cell])
        live = np.empty(0, dtype=np.int64)
        if k >= 0:
            row = int(self.cell_row[cell])
            entries = self.slabs[k].table[row, : self.cell_len[cell]]
            live = entries[entries > 0]
        needed = len(live) + extra
        if k < 0 or 4 * needed > 3 * self.slabs[k].width:
            if k >= 0:
                self.slabs[k].table[row] = 0
                self.slabs[k].free.append(row)
            k = 0
            while _FIRST_WIDTH * _WIDTH_FACTOR ** k < 2 * needed:
                k += 1
            while len(self.slabs) <= k:
                self.slabs.append(_Slab(_FIRST_WIDTH * _WIDTH_FACTOR ** len(self.slabs)))
            row = self.slabs[k].take_row()
            self.cell_slab[cell] = k
            self.cell_row[cell] = row
        table = self.slabs[k].table
        table[row, : len(live)] = live
        table[row, len(live): self.slabs[k].width] = 0
        self.position[self._handles(live)] = np.arange(len(live))
        self.cell_len[cell] = len(live)

    # -- activity ------------------------------------------------------------------------------
    def activity(self, pool: SegmentPool, active_cells: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments with at least ``lowest`` active potential synapses: (segments ascending,
        active connected counts, active potential counts)."""
        cells = active_cells[self.cell_len[active_cells] > 0]
        empty = np.empty(0, dtype=np.int64)
        if not len(cells):
            return empty, empty, empty
        slab_of = self.cell_slab[cells]
        parts = []
        for k in np.unique(slab_of).tolist():
            group = cells[slab_of == k] if len(self.slabs) > 1 else cells
            lens = self.cell_len[group]
            # only the used part of each row: flat positions row * width + 0 .. len-1
            starts = np.cumsum(lens) - lens
            flat = np.repeat(self.cell_row[group] * self.slabs[k].width - starts, lens)
            flat += np.arange(len(flat))
            parts.append(self.slabs[k].table.ravel().take(flat))
        entries = parts[0] if len(parts) == 1 else np.concatenate(parts)
        # bin 2 * (segment + 1) + connected; tombstones (0) fall in bin 0
        bins = ((entries >> (self.slot_bits + 1)) << 1) | (entries & 1)
        counts = np.bincount(bins, minlength=2 * (pool.n_rows + 1)).reshape(-1, 2)[1:]
        connected_count = counts[:, 1]
        potential = counts[:, 0] + connected_count
        found = np.flatnonzero(potential >= self.lowest)
        return found, connected_count[found], potential[found]
