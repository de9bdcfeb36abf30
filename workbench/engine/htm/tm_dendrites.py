"""Dendrite activity of the Temporal Memory on numpy, computed presynaptically.

HTM_SPEC.md "Temporal Memory" step 1 counts, per segment, the synapses to the previous step's
active cells (active potential) and those of them that are connected (active connected). Only
a few dozen cells are active while a trained TM holds hundreds of thousands of synapses, so on
the CPU it is far cheaper to start from the active cells and follow their outgoing synapses
than to scan every segment: this module keeps a presynaptic index, cell -> handles
``segment * max_synapses_per_segment + slot`` of the synapses that cell feeds.

The index is a set of slab tables of increasing width (8, 32, 128, ...): a cell's handles live
in one row of the narrowest table that holds them, so one very popular cell does not make every
row wide. It follows the segment pool incrementally: after each step the handles of every
segment whose synapse set changed are removed (from the rows of the cells it used to reach) and
its current handles added. Permanences are read from the pool when activity is computed, so a
permanence change alone needs no index work.
"""

from __future__ import annotations

import numpy as np

from .tm_segments import SegmentPool

_FIRST_WIDTH = 8
_WIDTH_FACTOR = 4


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


class PresynapticIndex:
    """Segment activity from active cells through a cell -> synapse-handle index."""

    def __init__(self, num_cells: int, max_synapses_per_segment: int) -> None:
        self.num_cells = num_cells
        self.stride = max_synapses_per_segment
        self.slabs: list[_Slab] = []
        self.cell_slab = np.full(num_cells, -1, dtype=np.int64)
        self.cell_row = np.zeros(num_cells, dtype=np.int64)
        self.cell_len = np.zeros(num_cells, dtype=np.int64)

    # -- keeping up with the pool --------------------------------------------------------------
    def sync(self, pool: SegmentPool) -> None:
        """Apply the pool's synapse-set changes since the last sync (then clear them)."""
        if pool.layout_changed:
            segments = np.fromiter(pool.layout_changed, dtype=np.int64,
                                   count=len(pool.layout_changed))
            old_pre = np.concatenate(list(pool.layout_changed.values())).astype(np.int64)
            self._remove(np.unique(old_pre), segments, len(pool.count))
            counts = pool.count[segments].astype(np.int64)
            width = int(counts.max()) if len(counts) else 0
            if width:
                slots = np.arange(width)
                live = slots < counts[:, None]
                pre = pool.pre[segments, :width][live].astype(np.int64)
                handles = (segments[:, None] * self.stride + slots)[live]
                self._add(pre, handles)
        pool.clear_changes()

    def rebuild(self, pool: SegmentPool) -> None:
        """Index every synapse of ``pool`` from scratch (after loading a state)."""
        self.__init__(self.num_cells, self.stride)
        n = pool.n_rows
        if n:
            slots = np.arange(pool.width)
            live = slots < pool.count[:n, None]
            pre = pool.pre[:n][live].astype(np.int64)
            handles = (np.arange(n)[:, None] * self.stride + slots)[live]
            self._add(pre, handles)
        pool.clear_changes()

    def _slab_for(self, length: int) -> int:
        k = 0
        width = _FIRST_WIDTH
        while width < length:
            width *= _WIDTH_FACTOR
            k += 1
        while len(self.slabs) <= k:
            self.slabs.append(_Slab(_FIRST_WIDTH * _WIDTH_FACTOR ** len(self.slabs)))
        return k

    def _remove(self, cells: np.ndarray, segments: np.ndarray, num_rows: int) -> None:
        """Drop, from the rows of ``cells``, every handle that belongs to ``segments``."""
        cells = cells[self.cell_len[cells] > 0]
        if not len(cells):
            return
        gone_segments = np.zeros(num_rows, dtype=bool)
        gone_segments[segments] = True
        slab_of = self.cell_slab[cells]
        for k in np.unique(slab_of).tolist():
            slab = self.slabs[k]
            group = cells[slab_of == k]
            rows = self.cell_row[group]
            lens = self.cell_len[group]
            w = int(lens.max())
            sub = slab.table[rows, :w]
            seg = sub // self.stride
            keep = np.arange(w) < lens[:, None]
            keep &= ~gone_segments[seg]
            order = np.argsort(~keep, axis=1, kind="stable")
            slab.table[rows, :w] = np.take_along_axis(sub, order, axis=1)
            self.cell_len[group] = keep.sum(axis=1)

    def _add(self, pre: np.ndarray, handles: np.ndarray) -> None:
        """Append ``handles`` to the rows of their presynaptic cells ``pre``."""
        order = np.argsort(pre, kind="stable")
        pre = pre[order]
        handles = handles[order]
        cells, first, added = np.unique(pre, return_index=True, return_counts=True)
        old_len = self.cell_len[cells]
        new_len = old_len + added
        slab_of = self.cell_slab[cells]
        capacity = np.where(slab_of >= 0, _FIRST_WIDTH * _WIDTH_FACTOR ** np.maximum(slab_of, 0), 0)
        for i in np.flatnonzero(new_len > capacity).tolist():
            self._move(int(cells[i]), int(new_len[i]))
        rank = np.arange(len(pre)) - np.repeat(first, added)
        position = np.repeat(old_len, added) + rank
        slab_of = self.cell_slab[pre]
        rows = self.cell_row[pre]
        for k in np.unique(slab_of).tolist():
            sel = slab_of == k
            self.slabs[k].table[rows[sel], position[sel]] = handles[sel]
        self.cell_len[cells] = new_len

    def _move(self, cell: int, length: int) -> None:
        """Give ``cell`` a row wide enough for ``length`` handles, keeping the ones it has."""
        k = self._slab_for(length)
        slab = self.slabs[k]
        row = slab.take_row()
        old = int(self.cell_slab[cell])
        if old >= 0:
            n = int(self.cell_len[cell])
            old_slab = self.slabs[old]
            old_row = int(self.cell_row[cell])
            slab.table[row, :n] = old_slab.table[old_row, :n]
            old_slab.free.append(old_row)
        self.cell_slab[cell] = k
        self.cell_row[cell] = row

    # -- activity ------------------------------------------------------------------------------
    def activity(self, pool: SegmentPool, active_cells: np.ndarray, connected: np.float32,
                 lowest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments with at least ``lowest`` active potential synapses.

        Returns (segments ascending, active connected counts, active potential counts), with
        "connected" meaning permanence >= ``connected`` (already lowered by 1e-6).
        """
        cells = active_cells[self.cell_len[active_cells] > 0]
        if not len(cells):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        slab_of = self.cell_slab[cells]
        parts = []
        for k in np.unique(slab_of).tolist():
            group = cells[slab_of == k] if len(self.slabs) > 1 else cells
            lens = self.cell_len[group]
            w = int(lens.max())
            sub = self.slabs[k].table[self.cell_row[group], :w]
            parts.append(sub[np.arange(w) < lens[:, None]])
        handles = parts[0] if len(parts) == 1 else np.concatenate(parts)
        segments = handles // self.stride
        slots = handles - segments * self.stride
        is_connected = pool.perm[segments, slots] >= connected
        potential = np.bincount(segments, minlength=pool.n_rows)
        found = np.flatnonzero(potential >= lowest)
        connected_count = np.bincount(segments[is_connected], minlength=pool.n_rows)
        return found, connected_count[found], potential[found]
