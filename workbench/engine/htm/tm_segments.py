"""Distal segment storage of the Temporal Memory, shaped so that a GPU can use it as it is.

Every segment is one row of a pool: ``pre[segment, slot]`` (presynaptic cell, int32, -1 when
empty) and ``perm[segment, slot]`` (permanence, float32, 0 when empty), ``count[segment]``
live synapses packed at the front of the row in creation order, ``owner[segment]`` (the cell,
-1 for a free row). A synapse's index is its slot: removing one shifts the later ones down,
so the order stays the creation order, which is what HTM_SPEC.md's tie rule "lower synapse
index first" reads here.

Rows are fixed-capacity so a device kernel can walk them with a stride. The capacity starts
small and doubles, up to ``max_synapses_per_segment``, the first time a segment needs more:
segments rarely hold more than a few dozen synapses, and a 255-wide row for each of the
hundreds of thousands of segments a large TM grows would waste gigabytes.

Flat segment indices are handed out in order and freed ones are reused last in, first out
(HTM_SPEC.md "Temporal Memory" rule 4: the segment order "(cell, segment)" uses flat indices).
Each cell keeps the count of its segments (its segments are the rows it owns); a cell at
``max_segments_per_cell`` loses the segment with the smallest sum of squared permanences (ties:
lower segment index) before it gets a new one, and the new one takes the freed index.

The pool records what changed since a dendrite engine last looked (``layout_changed``: for a
segment whose synapse set changed, its count then and the first slot whose presynaptic cell
may differ, so the slots before it kept theirs; ``values_changed``: segments whose
permanences moved, which includes those, i.e. the rows a step's learning touched (bench_scaling's
bytes model reads it); :meth:`connected_flips`: the synapses, as handles
``segment * width + slot``, whose permanence crossed ``connected_at`` an odd number of times),
so the engines update their own indexes or device copies incrementally. A flip is noted where
the old and new permanences are both at hand (adapting, raising), which is far cheaper than
re-reading every changed segment afterwards; a handle whose slot has since changed synapse is
one the engine replaces anyway. A device engine also copies each segment's cell and each cell's
segment count: ``owners_changed`` lists the segments created or destroyed, ``cells_changed``
their cells.
"""

from __future__ import annotations

import numpy as np

from ..state import state_array

_INITIAL_ROWS = 1024
_INITIAL_WIDTH = 32
_DESTROY_BELOW = np.float32(1e-6)
_ONE = np.float32(1.0)


def row_width(needed: int, max_synapses: int) -> int:
    """The width of rows that must hold ``needed`` synapses: 32 (or ``max_synapses``, if
    smaller), doubled while too narrow, capped at ``max_synapses``. A pool's width is always
    one of these, so a device copy that widens by the same rule (tm_resident_cl) ends at the
    same width as a host pool after the same steps."""
    width = min(_INITIAL_WIDTH, max_synapses)
    while width < min(needed, max_synapses):
        width = min(2 * width, max_synapses)
    return width


class SegmentPool:
    """Segments and synapses of one Temporal Memory (see the module docstring)."""

    def __init__(self, num_cells: int, max_synapses_per_segment: int,
                 max_segments_per_cell: int, connected_at: np.float32) -> None:
        self.num_cells = num_cells
        self.connected_at = np.float32(connected_at)  # connected: permanence >= this
        self.max_synapses = max_synapses_per_segment
        self.max_segments = max_segments_per_cell
        self.width = row_width(0, max_synapses_per_segment)
        self.pre = np.full((_INITIAL_ROWS, self.width), -1, dtype=np.int32)
        self.perm = np.zeros((_INITIAL_ROWS, self.width), dtype=np.float32)
        self.count = np.zeros(_INITIAL_ROWS, dtype=np.int32)
        self.owner = np.full(_INITIAL_ROWS, -1, dtype=np.int64)
        self.n_rows = 0
        self.free: list[int] = []
        self.segments_per_cell = np.zeros(num_cells, dtype=np.int32)
        self.layout_changed: dict[int, tuple[int, int]] = {}  # segment: (old count, first slot)
        self.values_changed: set[int] = set()
        self._flips: list[np.ndarray] = []  # handles, one array per noting call
        self.owners_changed: set[int] = set()
        self.cells_changed: set[int] = set()

    # -- bookkeeping ---------------------------------------------------------------------------
    def num_segments(self) -> int:
        return self.n_rows - len(self.free)

    def num_synapses(self) -> int:
        return int(self.count[: self.n_rows].sum())

    def clear_changes(self) -> None:
        self.layout_changed.clear()
        self.values_changed.clear()
        self._flips.clear()
        self.owners_changed.clear()
        self.cells_changed.clear()

    def _crossed(self, old: np.ndarray, new: np.ndarray) -> np.ndarray:
        """Where a permanence that went from ``old`` to ``new`` changed its connected state."""
        return (old >= self.connected_at) != (new >= self.connected_at)

    def _note_flips(self, segments: np.ndarray, slots: np.ndarray) -> None:
        """Note that synapses (segments[i], slots[i], distinct) changed connected state."""
        if len(segments):
            self._flips.append(segments * self.width + slots)

    def connected_flips(self) -> np.ndarray:
        """The synapses (handles) whose connected state changed since the changes were last
        cleared: those noted an odd number of times (a second flip cancels the first)."""
        if len(self._flips) < 2:
            return self._flips[0] if self._flips else np.empty(0, dtype=np.int64)
        handles, times = np.unique(np.concatenate(self._flips), return_counts=True)
        return handles[(times & 1) == 1]

    def _note_layout(self, segment: int, first_slot: int) -> None:
        """Slots ``first_slot`` and later of ``segment`` are about to change synapses."""
        noted = self.layout_changed.get(segment)
        if noted is None:
            self.layout_changed[segment] = (int(self.count[segment]), first_slot)
        elif first_slot < noted[1]:
            self.layout_changed[segment] = (noted[0], first_slot)
        self.values_changed.add(segment)

    def _grow_rows(self) -> None:
        rows = 2 * len(self.count)
        self.pre = _resized(self.pre, (rows, self.width), -1)
        self.perm = _resized(self.perm, (rows, self.width), 0)
        self.count = _resized(self.count, (rows,), 0)
        self.owner = _resized(self.owner, (rows,), -1)

    def _widen(self, needed: int) -> None:
        width = row_width(needed, self.max_synapses)
        rows = len(self.count)
        self.pre = _resized(self.pre, (rows, width), -1)
        self.perm = _resized(self.perm, (rows, width), 0)
        self.width = width

    # -- segments ------------------------------------------------------------------------------
    def create_segment(self, cell: int) -> int:
        """A new empty segment on ``cell``; a full cell first loses its weakest segment."""
        if self.segments_per_cell[cell] >= self.max_segments:
            segs = self.segments_of(cell)
            # float64 holds each float32 square exactly; the squares are added in slot order,
            # as a device kernel does (numpy's pairwise sum would group them by the row width)
            squares = np.square(self.perm[segs].astype(np.float64))
            strength = np.zeros(len(segs))
            for slot in range(int(self.count[segs].max())):
                strength += squares[:, slot]
            self.destroy_segment(segs[int(np.argmin(strength))])
        if self.free:
            segment = self.free.pop()
        else:
            if self.n_rows == len(self.count):
                self._grow_rows()
            segment = self.n_rows
            self.n_rows += 1
        self._note_layout(segment, 0)
        self.owner[segment] = cell
        self.owners_changed.add(segment)
        self.cells_changed.add(cell)
        self.segments_per_cell[cell] += 1
        return segment

    def create_segments(self, cells: np.ndarray) -> np.ndarray:
        """:meth:`create_segment` for each of ``cells`` (ascending, distinct) in turn, at once
        when no cell is full: the indices come off the free list (last in, first out), then
        from new rows, exactly as one at a time. A step in which most columns burst creates a segment in each
        (1,311 at 65,536 columns), which one at a time cost 4 us apiece."""
        cells = np.asarray(cells, dtype=np.int64)
        if np.any(cells[1:] <= cells[:-1]):  # O(n), on the learning step's path
            raise ValueError("create_segments needs ascending distinct cells; call create_segment "
                             "in turn")
        if (self.segments_per_cell[cells] >= self.max_segments).any():
            return np.array([self.create_segment(c) for c in cells.tolist()], dtype=np.int64)
        reused = min(len(cells), len(self.free))
        fresh = len(cells) - reused
        popped = self.free[len(self.free) - reused:][::-1]
        del self.free[len(self.free) - reused:]
        while self.n_rows + fresh > len(self.count):
            self._grow_rows()
        segments = np.concatenate([np.array(popped, dtype=np.int64),
                                   np.arange(self.n_rows, self.n_rows + fresh, dtype=np.int64)])
        self.n_rows += fresh
        # a free or new row holds no synapses, so its note is (0, 0) unless it was noted
        # already this step (destroyed: its old count, from slot 0), which stays
        listed = segments.tolist()
        notes = dict.fromkeys(listed, (0, 0))
        notes.update(self.layout_changed)
        self.layout_changed = notes
        self.values_changed.update(listed)
        self.owners_changed.update(listed)
        self.cells_changed.update(cells.tolist())
        self.owner[segments] = cells
        self.segments_per_cell[cells] += 1
        return segments

    def destroy_segment(self, segment: int) -> None:
        """Remove a segment and its synapses; its index goes on top of the free list."""
        self._note_layout(segment, 0)
        cell = int(self.owner[segment])
        self.owners_changed.add(segment)
        self.cells_changed.add(cell)
        self.segments_per_cell[cell] -= 1
        n = self.count[segment]
        self.pre[segment, :n] = -1
        self.perm[segment, :n] = 0
        self.count[segment] = 0
        self.owner[segment] = -1
        self.free.append(segment)

    def _keep_slots(self, segment: int, keep: np.ndarray) -> None:
        """Drop the synapses of ``segment`` whose ``keep`` is False, preserving slot order."""
        self._note_layout(segment, int(np.argmin(keep)))
        n = int(self.count[segment])
        pre = self.pre[segment, :n][keep]
        perm = self.perm[segment, :n][keep]
        k = len(pre)
        self.pre[segment, :k] = pre
        self.perm[segment, :k] = perm
        self.pre[segment, k:n] = -1
        self.perm[segment, k:n] = 0
        self.count[segment] = k

    # -- learning ------------------------------------------------------------------------------
    def adapt(self, segments: np.ndarray, cell_codes: np.ndarray, deltas: np.ndarray,
              min_threshold: int) -> np.ndarray:
        """Add to every synapse of ``segments`` the float32 ``deltas[code]`` of its presynaptic
        cell's code in ``cell_codes`` (``num_cells + 1`` small ints, e.g. 0 inactive, 1 active;
        the last one, read for the -1 of an empty slot, must pick a delta of 0, so that empty
        slots stay 0 with no mask).

        Permanences are clipped at 1; a synapse that would fall below 1e-6 is destroyed (spec
        rule 4). Returns a mask of the segments left with fewer than ``min_threshold`` synapses:
        the caller destroys them in column-walk order so that the free list sees the same order
        as a one-segment-at-a-time walk.
        """
        if not len(segments):
            return np.zeros(0, dtype=bool)
        w = int(self.count[segments].max())
        rows_pre = self.pre[segments, :w]
        rows_perm = self.perm[segments, :w]
        new = np.minimum(rows_perm + deltas.take(cell_codes.take(rows_pre)), _ONE)
        valid = rows_pre >= 0
        dead = (new < _DESTROY_BELOW) & valid
        self.perm[segments, :w] = new
        self.values_changed.update(segments.tolist())
        flipped = np.flatnonzero(self._crossed(rows_perm, new))
        if len(flipped):
            self._note_flips(segments[flipped // w], flipped % w)
        if dead.any():
            hit = np.flatnonzero(dead.any(axis=1))
            for seg, first in zip(segments[hit].tolist(), dead[hit].argmax(axis=1).tolist()):
                self._note_layout(seg, first)
            keep = valid[hit] & ~dead[hit]
            kept = keep.sum(axis=1)
            # survivors packed at the front in slot order: both masks list them row by row
            packed = np.arange(w) < kept[:, None]
            pre = np.full(packed.shape, -1, dtype=self.pre.dtype)
            pre[packed] = rows_pre[hit][keep]
            perm = np.zeros(packed.shape, dtype=self.perm.dtype)
            perm[packed] = new[hit][keep]
            rows = segments[hit]
            self.pre[rows, :w] = pre
            self.perm[rows, :w] = perm
            self.count[rows] = kept
        return self.count[segments] < min_threshold

    def grow(self, segment: int, requested: int, order: list[int],
             initial_permanence: np.float32) -> None:
        """:meth:`grow_many` for one segment, walking the candidates in ``order``."""
        self.grow_many(np.array([segment], dtype=np.int64), np.array([requested], dtype=np.int64),
                       np.array(order, dtype=np.int64), np.arange(len(order))[None, :],
                       initial_permanence)

    def grow_many(self, segments: np.ndarray, requested: np.ndarray, candidates: np.ndarray,
                  walks: np.ndarray, initial_permanence: np.float32) -> None:
        """Grow up to ``requested[i]`` synapses on ``segments[i]`` (distinct segments) to the
        ``candidates`` (distinct cells: the previous winners), walked in the order of row i of
        ``walks``, a permutation of the candidates' indices (sorted order, or shuffled by the
        caller when requested < |candidates|) or its first positions, as many as the walk can
        reach (up to its n-th candidate not yet on the segment).

        Spec rule 4, for each segment: n = min(requested, |candidates|); a segment that would
        pass max_synapses_per_segment first loses its weakest synapses to non-candidates (ties:
        lower slot) and n is capped by the room left; the walk creates synapses to candidates
        not yet on the segment until n exist, raising an existing one to initial_permanence if
        lower. A segment's growth reads and writes only its own row, so all rows are walked at
        once: the slot of each candidate on each row (a search of the rows' cells among the
        sorted candidates), how many absent candidates come before each walk position (a
        cumulative sum), and from that what is new and what was passed.
        """
        m = len(candidates)
        if not len(segments) or not m:
            return
        n = np.minimum(requested, m).astype(np.int64)
        counts = self.count[segments].astype(np.int64)
        over = np.flatnonzero(counts + n > self.max_synapses).tolist()
        if over:
            candidate_set = set(candidates.tolist())
            for i in over:
                segment = int(segments[i])
                self._destroy_weakest(segment, int(counts[i] + n[i]) - self.max_synapses, candidate_set)
                counts[i] = self.count[segment]
                n[i] = min(n[i], self.max_synapses - counts[i])
        rows = np.arange(len(segments))
        slot_of = np.zeros((len(segments), m), dtype=np.int64)  # slot + 1 of each candidate; 0: absent
        w = int(counts.max())
        if w:
            by_cell = np.argsort(candidates)
            ordered = candidates[by_cell]
            rows_pre = self.pre[segments, :w]
            at = np.minimum(np.searchsorted(ordered, rows_pre), m - 1)
            on, slot = np.nonzero(ordered[at] == rows_pre)
            slot_of[on, by_cell[at[on, slot]]] = slot + 1
        walk_slots = slot_of[rows[:, None], walks]  # slot + 1 of the candidate at each position
        absent = walk_slots == 0
        absent_so_far = np.cumsum(absent, axis=1)  # absent candidates up to each position
        # the walk stops at its n-th new synapse; existing candidates before it are raised
        passed = ~absent & (absent_so_far < n[:, None])
        if passed.any():
            raised = np.broadcast_to(segments[:, None], walks.shape)[passed]
            raised_slots = walk_slots[passed] - 1
            old = self.perm[raised, raised_slots]
            new_perm = np.maximum(old, initial_permanence)
            self.perm[raised, raised_slots] = new_perm
            self.values_changed.update(raised.tolist())
            flipped = np.flatnonzero(self._crossed(old, new_perm))
            self._note_flips(raised[flipped], raised_slots[flipped])
        new = absent & (absent_so_far <= n[:, None])
        added = new.sum(axis=1)
        growing = np.flatnonzero(added)
        if not len(growing):
            return
        for segment, first in zip(segments[growing].tolist(), counts[growing].tolist()):
            self._note_layout(segment, first)
        ends = counts + added
        if int(ends.max()) > self.width:
            self._widen(int(ends.max()))
        total = int(added.sum())
        at_row = np.repeat(segments, added)
        at_slot = np.repeat(counts, added) + (np.arange(total) - np.repeat(np.cumsum(added) - added, added))
        self.pre[at_row, at_slot] = candidates[walks[new]]
        self.perm[at_row, at_slot] = initial_permanence
        self.count[segments[growing]] = ends[growing]

    def fill_new(self, segments: list[int], cells: np.ndarray,
                 initial_permanence: np.float32) -> None:
        """Give freshly created (still empty) segments their first synapses: row i of
        ``cells`` for ``segments[i]``, all at ``initial_permanence``."""
        k = cells.shape[1]
        if k > self.width:
            self._widen(k)
        rows = np.asarray(segments)
        self.pre[rows, :k] = cells
        self.perm[rows, :k] = initial_permanence
        self.count[rows] = k
        self.values_changed.update(segments)

    def _destroy_weakest(self, segment: int, how_many: int, candidate_set: set[int]) -> None:
        n = int(self.count[segment])
        pre = self.pre[segment, :n].tolist()
        perm = self.perm[segment, :n].tolist()
        others = [i for i in range(n) if pre[i] not in candidate_set]
        others.sort(key=lambda i: (perm[i], i))
        if not others:
            return
        keep = np.ones(n, dtype=bool)
        keep[others[:how_many]] = False
        self._keep_slots(segment, keep)

    # -- views ---------------------------------------------------------------------------------
    def synapses(self, segment: int) -> list[tuple[int, float]]:
        n = self.count[segment]
        return list(zip(self.pre[segment, :n].tolist(), self.perm[segment, :n].tolist()))

    def segments_of(self, cell: int) -> list[int]:
        """The segments of ``cell``, ascending: the rows it owns (a scan of the owners, which
        a view or a full cell's eviction can afford, rather than per-cell lists to keep up on
        every creation)."""
        if not self.segments_per_cell[cell]:
            return []
        return np.flatnonzero(self.owner[: self.n_rows] == cell).tolist()

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        n = self.n_rows
        return {
            "width": self.width,
            "pre": state_array(self.pre[:n]),
            "perm": state_array(self.perm[:n]),
            "count": state_array(self.count[:n]),
            "owner": state_array(self.owner[:n]),
            "free": list(self.free),
        }

    def load_state_dict(self, state: dict) -> None:
        n = len(state["count"])
        rows = max(_INITIAL_ROWS, 1 << max(n - 1, 0).bit_length())
        self.width = int(state["width"])
        self.pre = np.full((rows, self.width), -1, dtype=np.int32)
        self.perm = np.zeros((rows, self.width), dtype=np.float32)
        self.count = np.zeros(rows, dtype=np.int32)
        self.owner = np.full(rows, -1, dtype=np.int64)
        self.pre[:n] = state["pre"]
        self.perm[:n] = state["perm"]
        self.count[:n] = state["count"]
        self.owner[:n] = state["owner"]
        self.n_rows = n
        self.free = [int(s) for s in state["free"]]
        self.segments_per_cell = np.bincount(self.owner[:n][self.owner[:n] >= 0],
                                             minlength=self.num_cells).astype(np.int32)
        self.layout_changed = {}
        self.values_changed = set()
        self._flips = []
        self.owners_changed = set()
        self.cells_changed = set()


def _resized(array: np.ndarray, shape: tuple[int, ...], fill: float) -> np.ndarray:
    out = np.full(shape, fill, dtype=array.dtype)
    out[tuple(slice(0, s) for s in array.shape)] = array
    return out
