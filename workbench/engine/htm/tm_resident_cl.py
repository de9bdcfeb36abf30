"""The Temporal Memory kept whole on an OpenCL device: segments, cell state and every step,
learning included, run there (kernels/tm_resident.cl, with tm_infer.cl's activation and
winner kernels); the host sends the active columns and reads back only what a view asks for.

Why a second engine beside :mod:`.tm_dendrites_cl`: that one keeps the segments on the host,
where a learning step's column walk runs, and mirrors a presynaptic index on the device for
the counts; each learning step then sends the index's changes and reads the found segments
back. On a GPU the round trips and the host's walk dominate a step, while counting every
synapse of every segment on the device costs little (a few hundred MB of reads at 65,536
columns, at terabytes a second), so here the pool itself lives on the device and is counted
row by row: nothing about synapses has to cross. On a CPU device the host walk with the
presynaptic index is the faster one, and stays the default there.

A learning step reads one small block back, mid-step: the number of events and random draws
it lists, so that the draws can be made, on the device, from the host's generator state (the
stream stays the TM's one stream); the rows in use and the step's creations, so that the
buffers can grow (doubling) before the creations need them; and the longest segment ever,
so that the rows can widen (doubling, as the host pool's do) before a growth, which adds at
most max_new_synapse_count synapses, could pass their width. Views read the step's cells and
found segments back in one read; a cell's synapses come back row by row
(:meth:`ResidentEngine.segments_of`), and the whole pool comes back into the TM's host pool
only for a saved state (:meth:`ResidentEngine.pull`); a pool changed on the host (loaded, or
wired by a test) goes over whole (:meth:`ResidentEngine.activity`).
"""

from __future__ import annotations

import math

import numpy as np

from ..cl.runtime import CLRuntime
from .rng import CompatRNG
from .rng_cl import draws_on_device
from .tm_dendrites_cl import tally_since
from .tm_segments import SegmentPool, row_width

_RESIDENT = "tm_resident.cl"
_INFER = "tm_infer.cl"
_SHUFFLE = "shuffle.cl"
_GROUP = 256
_GPU_LANES = 8
_MAX_KEYED = 0xFFFF
_NEVER = -(1 << 30)  # a stamp no clock reads as the step before its own
_FIRST_SLOTS = 1 << 15  # the first buffers' synapse slots (a power of two), however wide the rows
_EMPTY = np.empty(0, dtype=np.int64)
# meta, as tm_resident.cl names them
N_ROWS, FREE_TOP, EVENTS, DRAWS, SHUFFLES, CANDIDATES, MAX_COUNT, FULL = range(8)
LEAST_USED, WINNERS, WINNERS_CLOCK, BURSTS, DESTROYS = 10, 11, 12, 13, 14
_META = 16

_SCALARS = {  # kernel: how many leading int arguments
    "tm_activate": 5, "tm_best_matching": 3, "tm_winners": 5, "tm_learn_begin": 1,
    "tm_learn_columns": 4, "tm_learn_adapt": 1, "tm_learn_order": 0, "tm_learn_grow": 1,
    "tm_learn_weakest": 2, "tm_learn_apply": 1, "tm_learn_create": 0, "tm_learn_created": 0,
    "tm_learn_clear": 0, "tm_learn_fill": 0,
    "tm_step_stamp": 3, "tm_step_winner_offsets": 2, "tm_step_winner_list": 3,
    "tm_resident_count": 1, "shuffle_rows": 0,
}


class ResidentEngine:
    """A Temporal Memory's segments and steps on one OpenCL device (see the module docstring)."""

    resident = True

    def __init__(self, runtime: CLRuntime, num_cells: int, cells_per_column: int,
                 params: dict, connected_at: np.float32, lanes: int | None = None) -> None:
        """``params``: the TM's integer and float parameters (activation_threshold,
        min_threshold, max_new_synapse_count, max_segments_per_cell, max_synapses_per_segment,
        permanence_decrement, permanence_increment, predicted_segment_decrement,
        initial_permanence); ``lanes``: work items that count one row (a power of two up to
        256; default 8 on a GPU, 1 on a CPU device)."""
        if lanes is not None and (lanes < 1 or lanes > _GROUP or lanes & (lanes - 1)):
            raise ValueError(f"lanes must be a power of two from 1 to {_GROUP} (got {lanes})")
        for name, value in (("cells_per_column", cells_per_column),
                            ("max_synapses_per_segment", params["max_synapses_per_segment"])):
            if value > _MAX_KEYED:  # tm_best_matching packs both in 16 bits of its key
                raise ValueError(f"the resident OpenCL Temporal Memory takes {name} <= "
                                 f"{_MAX_KEYED} (got {value}); use resident=False or numpy")
        self.runtime = runtime
        self.cl = runtime.cl
        self.queue = runtime.queue
        self.num_cells = num_cells
        self.cpc = cells_per_column
        self.columns = num_cells // cells_per_column
        self.max_new = params["max_new_synapse_count"]
        self.max_synapses = params["max_synapses_per_segment"]
        self.width = row_width(0, self.max_synapses)  # the rows' stride, widened as needed
        self.activation_threshold = params["activation_threshold"]
        self.min_threshold = params["min_threshold"]
        self.lanes = lanes or (_GPU_LANES if runtime.is_gpu else 1)
        self._kernels = {}
        for name, scalars in _SCALARS.items():
            source = (_SHUFFLE if name == "shuffle_rows" else
                      _INFER if name in ("tm_activate", "tm_best_matching", "tm_winners")
                      else _RESIDENT)
            kernel = runtime.kernel(source, name, {"GROUP": _GROUP, "LANES": self.lanes}
                                    if source == _RESIDENT else None)
            if scalars:
                kernel.set_scalar_arg_dtypes([np.int32] * scalars
                                             + [None] * (kernel.num_args - scalars))
            self._kernels[name] = kernel
        self._spread = (64 if runtime.is_gpu else 8) * _GROUP  # work items of looping kernels
        self._cfg_host = np.array(
            [cells_per_column, self.activation_threshold, self.min_threshold,
             min(self.activation_threshold, self.min_threshold), self.max_new,
             params["max_segments_per_cell"], self.width, self.max_synapses], dtype=np.int32)
        self._cfg = self._buffer(self._cfg_host)
        self._rates = self._buffer(np.array(
            [params["permanence_decrement"], params["permanence_increment"],
             params["predicted_segment_decrement"], params["initial_permanence"], connected_at],
            dtype=np.float32))
        never_cells = np.full(num_cells, _NEVER, dtype=np.int32)
        never_columns = np.full(self.columns, _NEVER, dtype=np.int32)
        self._meta = self._buffer(np.zeros(_META, dtype=np.int32))
        self._spc = self._buffer(np.zeros(num_cells, dtype=np.int32))
        self._active_stamp = self._buffer(never_cells)
        self._winner_stamp = self._buffer(never_cells)
        self._pred_stamp = self._buffer(never_cells)
        self._evict_stamp = self._buffer(never_cells)
        self._evict_key = self._empty(8 * num_cells)
        self._evict_row = self._empty(4 * num_cells)
        self._winners = self._empty(4 * num_cells)
        self._col_stamp = self._buffer(never_columns)
        self._burst_stamp = self._buffer(never_columns)
        self._least_used_step = self._buffer(never_columns)
        self._winner_of = self._empty(4 * self.columns)
        self._winner_step = self._buffer(never_columns)
        self._best_key = self._empty(8 * self.columns)
        self._winner_count = self._empty(4 * self.columns)
        self._rows = self._events = 0
        self._fit_rows(1)
        self._fit_events(1)
        self._rows_bound = 0  # at least the rows in use
        self._staging = None
        self._staging_size = 0
        self.clock = 0
        self._found_clock = _NEVER
        self._tally_seen = 0
        self._inferred: tuple[int, int] | None = None
        self._expect = 256  # found segments read in the first read; grows with what steps find

    # -- plumbing ------------------------------------------------------------------------------
    def _buffer(self, host: np.ndarray):
        flags = self.cl.mem_flags
        return self.cl.Buffer(self.runtime.context, flags.READ_WRITE | flags.COPY_HOST_PTR,
                              hostbuf=np.ascontiguousarray(host))

    def _empty(self, nbytes: int):
        return self.cl.Buffer(self.runtime.context, self.cl.mem_flags.READ_WRITE, max(nbytes, 8))

    def _run(self, name: str, items: int, *args) -> None:
        size = max(1, math.ceil(items / _GROUP)) * _GROUP
        self._kernels[name](self.queue, (size,), (_GROUP,), *args)

    def _one(self, name: str, *args) -> None:
        self._kernels[name](self.queue, (1,), (1,), *args)

    def _fit_rows(self, needed: int) -> None:
        """Buffers for at least ``needed`` rows, the rows in use kept (doubled as needed)."""
        if needed <= self._rows:
            return
        rows = max(1 << max(0, (_FIRST_SLOTS // self.width).bit_length() - 1), self._rows, 1)
        while rows < needed:
            rows *= 2
        old, self._rows = self._rows, rows
        slots = rows * self.width

        def grown(name: str, nbytes: int, fill: int | float | None, kept: int):
            buffer = self._empty(nbytes)
            if fill is not None:
                kind = np.float32 if isinstance(fill, float) else np.int32
                pattern = np.array([fill], dtype=kind)
                self.cl.enqueue_fill_buffer(self.queue, buffer, pattern, 0, nbytes)
            if old:
                self.cl.enqueue_copy(self.queue, buffer, getattr(self, name), byte_count=kept)
            setattr(self, name, buffer)

        grown("_pre", 4 * slots, -1, 4 * old * self.width)
        grown("_perm", 4 * slots, 0.0, 4 * old * self.width)
        grown("_count", 4 * rows, 0, 4 * old)
        grown("_owner", 4 * rows, -1, 4 * old)
        grown("_free", 4 * rows, None, 4 * old)
        grown("_found", 4 * (2 + 3 * rows), 0, 4 * (2 + 3 * old))
        grown("_found_cell", 4 * rows, None, 4 * old)

    def _widen(self, needed: int) -> None:
        """Rows at least ``needed`` wide (the host pool's doubling widths), the rows in use kept."""
        width = row_width(needed, self.max_synapses)
        if width <= self.width:
            return
        old, self.width = self.width, width
        rows = self._rows
        for name, fill in (("_pre", np.int32(-1)), ("_perm", np.float32(0))):
            buffer = self._empty(4 * rows * width)
            self.cl.enqueue_fill_buffer(self.queue, buffer, fill, 0, 4 * rows * width)
            self.cl.enqueue_copy(self.queue, buffer, getattr(self, name), src_origin=(0, 0),
                                 dst_origin=(0, 0), region=(4 * old, rows),
                                 src_pitches=(4 * old,), dst_pitches=(4 * width,))
            setattr(self, name, buffer)
        self._cfg_host[6] = width
        self.cl.enqueue_copy(self.queue, self._cfg, self._cfg_host)

    def _fit_events(self, needed: int) -> None:
        """Scratch for at least ``needed`` events of a step (doubled as needed)."""
        if needed <= self._events:
            return
        self._events = max(1024, 2 * self._events)
        while self._events < needed:
            self._events *= 2
        for name, nbytes in (("_ev_key", 8), ("_ev", 16), ("_order", 4), ("_ev_row", 4),
                             ("_ev_creation", 4), ("_first_draw", 8), ("_destroyed", 16),
                             ("_created", 8)):
            setattr(self, name, self._empty(nbytes * self._events))

    def _stage(self, columns: np.ndarray, room: int) -> None:
        staged = np.concatenate([columns, [0, 0]]).astype(np.int32)
        needed = staged.nbytes + 4 * room
        if self._staging is None or self._staging_size < needed:
            self._staging_size = max(needed, 2 * self._staging_size)
            self._staging = self._empty(self._staging_size)
        self.cl.enqueue_copy(self.queue, self._staging, staged)

    def _read_meta(self) -> np.ndarray:
        return self._read(self._meta, _META, np.int32)

    # -- a step --------------------------------------------------------------------------------
    def step(self, columns: np.ndarray, learn: bool, rng: CompatRNG) -> None:
        """Enqueue a whole step for these active columns (ascending): activation, winners,
        learning (when ``learn``; its draws come from ``rng``, after the least-used choices'
        draws still owed to it) and the next step's count. Nothing comes back but, when
        learning, the size of its draws."""
        n, cpc = len(columns), self.cpc
        self.clock += 1
        clock = self.clock
        if learn:  # a step's events: its found segments (no more than the rows) and columns
            self._fit_events(self._rows_bound + n)
        self._stage(columns, n * cpc + 2 * n)
        cols_at, lists_at = 0, n
        counted = self._found_clock == clock - 1  # the last step counted (no reset since)
        self._run("tm_activate", n, n, cols_at, lists_at, cpc, clock, self._staging,
                  self._pred_stamp, self._burst_stamp, self._best_key, self._winner_of,
                  self._winner_step)
        if counted:
            self._run("tm_best_matching", self._spread, cpc, clock, self.min_threshold,
                      self._found, self._owner, self._burst_stamp, self._best_key)
        self._run("tm_winners", n, n, cols_at, lists_at, cpc, clock, self._staging,
                  self._burst_stamp, self._best_key, self._winner_of, self._winner_step,
                  self._spc, self._found, self._least_used_step)
        if learn:
            self._learn(n, cols_at, lists_at, clock, counted, rng)
        self._run("tm_step_stamp", n, n, lists_at, clock, self._cfg, self._staging,
                  self._pred_stamp, self._active_stamp, self._winner_stamp, self._winner_count)
        self._kernels["tm_step_winner_offsets"](self.queue, (_GROUP,), (_GROUP,), n, clock,
                                                self._winner_count, self._meta, self._found)
        self._run("tm_step_winner_list", n, n, lists_at, clock, self._cfg, self._staging,
                  self._winner_stamp, self._winner_count, self._winners)
        self._count_dendrites(clock)
        self._inferred = (n, lists_at)
        self.queue.flush()

    def _count_dendrites(self, clock: int) -> None:
        """The next step's dendrites, from the cells stamped active at ``clock`` (found[0] is
        0 already: tm_step_winner_offsets or the caller cleared it)."""
        items = (min(self._rows_bound * self.lanes, 1 << 22) if self.runtime.is_gpu
                 else self._spread)
        self._run("tm_resident_count", items, clock, self._cfg, self._rates, self._meta,
                  self._pre, self._perm, self._count, self._owner, self._active_stamp,
                  self._pred_stamp, self._found, self._found_cell)
        self._found_clock = clock

    def _learn(self, n: int, cols_at: int, lists_at: int, clock: int, counted: bool,
               rng: CompatRNG) -> None:
        """Steps 3-4's learning, enqueued (see kernels/tm_resident.cl); one read of ``meta``."""
        spread = self._spread
        self._one("tm_learn_begin", clock, self._meta)
        self._run("tm_learn_columns", n, n, cols_at, lists_at, clock, self._cfg, self._staging,
                  self._col_stamp, self._burst_stamp, self._best_key, self._least_used_step,
                  self._spc, self._evict_stamp, self._evict_key, self._evict_row, self._meta,
                  self._ev_key, self._ev)
        if counted:
            self._run("tm_learn_adapt", spread, clock, self._cfg, self._rates, self._found,
                      self._owner, self._col_stamp, self._burst_stamp, self._best_key,
                      self._active_stamp, self._pre, self._perm, self._count, self._meta,
                      self._ev_key, self._ev)
        meta = np.empty(_META, dtype=np.int32)
        head = np.empty(2, dtype=np.int32)
        waits = [self.cl.enqueue_copy(self.queue, head, self._found, is_blocking=False),
                 self.cl.enqueue_copy(self.queue, meta, self._meta, is_blocking=False)]
        for event in waits:
            event.wait()
        self._rows_bound = int(meta[N_ROWS]) + (int(meta[BURSTS]) if meta[CANDIDATES] else 0)
        self._fit_rows(self._rows_bound)  # room for the step's creations
        self._widen(int(meta[MAX_COUNT]) + self.max_new)  # and for its growth
        if not meta[EVENTS]:
            return  # no draw either: the least-used tally waits for the next read
        owed = tally_since(int(head[1]), self._tally_seen) - int(meta[LEAST_USED])
        self._tally_seen = int(head[1])
        if owed and self.cpc > 1:
            rng.draws(owed * (self.cpc - 1))
        draws = (draws_on_device(rng, int(meta[DRAWS]), self.runtime) if meta[DRAWS]
                 else self._meta)  # a placeholder the kernels never read
        self._run("tm_learn_order", spread, self._cfg, self._meta, self._ev_key, self._ev,
                  self._order, self._ev_row, self._ev_creation, self._first_draw)
        candidates, shuffles = int(meta[CANDIDATES]), int(meta[SHUFFLES])
        keep = min(self.max_new, candidates)
        kept = self._meta  # read only by shuffling events
        if shuffles:
            rows = self.runtime.allocator(4 * shuffles * candidates)
            kept = rows if keep == candidates else self.runtime.allocator(4 * shuffles * keep)
            counts = self.cl.Buffer(self.runtime.context,
                                    self.cl.mem_flags.READ_ONLY | self.cl.mem_flags.COPY_HOST_PTR,
                                    hostbuf=np.full(shuffles, candidates, dtype=np.int32))
            self._run("shuffle_rows", shuffles, rows, np.uint32(candidates), np.uint32(shuffles),
                      np.int32(1), draws, self._first_draw, counts, np.uint32(keep), kept)
        self._run("tm_learn_grow", spread, clock, self._cfg, self._rates, self._meta, self._ev,
                  self._ev_row, kept, self._winners, self._winner_stamp, self._pre, self._perm,
                  self._count)
        if meta[FULL]:
            for weakest_pass in (0, 1):
                self._run("tm_learn_weakest", spread, weakest_pass, clock, self._cfg, self._meta,
                          self._owner, self._count, self._perm, self._evict_stamp,
                          self._evict_key, self._evict_row)
        if meta[DESTROYS] or meta[FULL]:  # the free list both takes and gives: in key order
            self._one("tm_learn_apply", clock, self._meta, self._ev, self._order, self._ev_row,
                      self._evict_stamp, self._evict_row, self._count, self._owner, self._spc,
                      self._free, self._destroyed, self._created)
            self._run("tm_learn_clear", spread, self._cfg, self._meta, self._destroyed,
                      self._pre, self._perm)
        elif meta[BURSTS] and candidates:
            self._run("tm_learn_create", spread, self._meta, self._ev, self._ev_row,
                      self._ev_creation, self._owner, self._spc, self._free, self._created)
            self._one("tm_learn_created", self._meta)
        self._run("tm_learn_fill", spread, self._cfg, self._rates, self._meta, self._created,
                  kept, self._winners, self._pre, self._perm, self._count)

    def read_step(self) -> tuple:
        """What the last :meth:`step` left on the device, as
        :meth:`.tm_dendrites_cl.DeviceDendrites.read_step` returns it, the found segments with
        their cells as a fourth array. One blocking read (two when more segments were found
        than the last steps did)."""
        if self._inferred is None:
            raise RuntimeError("read_step needs a step since the last activity")
        n, lists_at = self._inferred
        cpc = self.cpc
        lists = np.empty(2 + n * cpc + 2 * n, dtype=np.int32)
        waits = [self.cl.enqueue_copy(self.queue, lists, self._staging, src_offset=4 * lists_at,
                                      is_blocking=False)]
        found, tally = self._read_found(waits)
        p, b = int(lists[0]), int(lists[1])
        bursting_at = 2 + n * cpc
        least_used, self._tally_seen = tally_since(tally, self._tally_seen), tally
        return (lists[2: 2 + p], lists[bursting_at: bursting_at + b],
                lists[bursting_at + n:], found, least_used)

    def _read_found(self, waits: list) -> tuple[tuple, int]:
        """(found segments, connected, potential, cells) and the least-used tally."""
        expect = min(self._expect, self._rows)
        head = np.empty(2 + 3 * expect, dtype=np.int32)
        cells = np.empty(expect, dtype=np.int32)
        waits = waits + [self.cl.enqueue_copy(self.queue, head, self._found, is_blocking=False),
                         self.cl.enqueue_copy(self.queue, cells, self._found_cell,
                                              is_blocking=False)]
        for event in waits:
            event.wait()
        total = int(head[0])
        if total <= expect:
            found, cells = head[2: 2 + 3 * total].reshape(total, 3), cells[:total]
        else:
            found = np.empty((total, 3), dtype=np.int32)
            cells = np.empty(total, dtype=np.int32)
            self.cl.enqueue_copy(self.queue, found, self._found, src_offset=8)
            self.cl.enqueue_copy(self.queue, cells, self._found_cell)
        self._expect = max(self._expect, 2 * total)
        return (found[:, 0], found[:, 1], found[:, 2], cells), int(head[1])

    def reset(self) -> None:
        """A sequence boundary: no stamp reads as the step before the next one."""
        self.clock += 1

    # -- the pool between host and device ------------------------------------------------------
    def rebuild(self, pool: SegmentPool) -> None:
        """Nothing to do ahead: :meth:`activity`, which follows every change of the host pool,
        sends it whole."""

    def activity(self, pool: SegmentPool, active_cells: np.ndarray,
                 predicted_cells: np.ndarray | None = None,
                 bursting_columns: np.ndarray | None = None,
                 winners: np.ndarray | None = None) -> tuple:
        """Send the host ``pool`` and the cells of the step it follows (active cells and
        winners, ascending), and count the next step's dendrites from them: (found segments,
        connected, potential, cells), read back. After a load or a change made on the host."""
        winners = _EMPTY if winners is None else winners
        self.clock += 1
        clock = self.clock
        n_rows = pool.n_rows
        self._fit_rows(n_rows)
        self._widen(pool.width)
        cl, queue = self.cl, self.queue
        cl.enqueue_fill_buffer(queue, self._pre, np.int32(-1), 0, 4 * self._rows * self.width)
        cl.enqueue_fill_buffer(queue, self._perm, np.float32(0), 0, 4 * self._rows * self.width)
        cl.enqueue_fill_buffer(queue, self._count, np.int32(0), 0, 4 * self._rows)
        cl.enqueue_fill_buffer(queue, self._owner, np.int32(-1), 0, 4 * self._rows)
        if n_rows:
            rows_pre = np.full((n_rows, self.width), -1, dtype=np.int32)
            rows_perm = np.zeros((n_rows, self.width), dtype=np.float32)
            rows_pre[:, : pool.width] = pool.pre[:n_rows]
            rows_perm[:, : pool.width] = pool.perm[:n_rows]
            cl.enqueue_copy(queue, self._pre, rows_pre)
            cl.enqueue_copy(queue, self._perm, rows_perm)
            cl.enqueue_copy(queue, self._count, pool.count[:n_rows].astype(np.int32))
            cl.enqueue_copy(queue, self._owner, pool.owner[:n_rows].astype(np.int32))
        if pool.free:
            cl.enqueue_copy(queue, self._free, np.array(pool.free, dtype=np.int32))
        cl.enqueue_copy(queue, self._spc, pool.segments_per_cell.astype(np.int32))
        meta = np.zeros(_META, dtype=np.int32)
        meta[[N_ROWS, FREE_TOP, MAX_COUNT]] = n_rows, len(pool.free), pool.width
        meta[[WINNERS, WINNERS_CLOCK]] = len(winners), clock
        cl.enqueue_copy(queue, self._meta, meta)
        self._rows_bound = n_rows

        def stamped(cells: np.ndarray, size: int) -> np.ndarray:
            stamps = np.full(size, _NEVER, dtype=np.int32)
            stamps[cells] = clock
            return stamps

        cl.enqueue_copy(queue, self._active_stamp, stamped(active_cells, self.num_cells))
        cl.enqueue_copy(queue, self._winner_stamp, stamped(winners, self.num_cells))
        if len(winners):
            cl.enqueue_copy(queue, self._winners, winners.astype(np.int32))
        # each column's lowest winner, the previous winner a bursting column falls back to
        columns = winners // self.cpc
        lowest = winners[np.concatenate(([True], columns[1:] != columns[:-1]))] if len(winners) \
            else _EMPTY
        winner_of = np.zeros(self.columns, dtype=np.int32)
        winner_of[lowest // self.cpc] = lowest
        cl.enqueue_copy(queue, self._winner_of, winner_of)
        cl.enqueue_copy(queue, self._winner_step, stamped(lowest // self.cpc, self.columns))
        cl.enqueue_copy(queue, self._found, np.zeros(2, dtype=np.int32))
        self._tally_seen = 0
        self._count_dendrites(clock)
        self._inferred = None
        return self._read_found([])[0]

    def _read(self, buffer, count: int, dtype: type, at: int = 0) -> np.ndarray:
        """``count`` values of ``dtype`` from ``buffer``, from value ``at`` on (one read)."""
        out = np.empty(count, dtype=dtype)
        if count:
            self.cl.enqueue_copy(self.queue, out, buffer, src_offset=out.itemsize * at)
        return out

    def num_segments(self, cell: int | None = None) -> int:
        """Segments of the whole pool, or of one cell, read on the device."""
        if cell is not None:
            return int(self._read(self._spc, 1, np.int32, cell)[0])
        meta = self._read_meta()
        return int(meta[N_ROWS] - meta[FREE_TOP])

    def num_synapses(self) -> int:
        return int(self._read(self._count, int(self._read_meta()[N_ROWS]), np.int32).sum())

    def segments_of(self, cell: int) -> list[tuple[int, list[tuple[int, float]]]]:
        """:meth:`.TemporalMemory.segments_of` for one cell, read from the device: the owners
        (4 bytes a row), then only that cell's rows (what a GUI inspecting a cell reads after
        every step, where the whole pool would be hundreds of MB)."""
        owner = self._read(self._owner, int(self._read_meta()[N_ROWS]), np.int32)
        out = []
        for segment in np.flatnonzero(owner == cell).tolist():
            n = int(self._read(self._count, 1, np.int32, segment)[0])
            pre = self._read(self._pre, n, np.int32, segment * self.width)
            perm = self._read(self._perm, n, np.float32, segment * self.width)
            out.append((segment, list(zip(pre.tolist(), perm.tolist()))))
        return out

    def pull(self, pool: SegmentPool) -> None:
        """Load the device's segments into the host ``pool`` (the same state a numpy pool
        would hold after the same steps, its width included)."""
        meta = self._read_meta()
        n_rows, top = int(meta[N_ROWS]), int(meta[FREE_TOP])
        width = row_width(int(meta[MAX_COUNT]), self.max_synapses)
        pre = np.empty((n_rows, self.width), dtype=np.int32)
        perm = np.empty((n_rows, self.width), dtype=np.float32)
        count = np.empty(n_rows, dtype=np.int32)
        owner = np.empty(n_rows, dtype=np.int32)
        free = np.empty(top, dtype=np.int32)
        for host, device in ((pre, self._pre), (perm, self._perm), (count, self._count),
                             (owner, self._owner), (free, self._free)):
            if host.size:
                self.cl.enqueue_copy(self.queue, host, device)
        pool.load_state_dict({"width": width, "pre": pre[:, :width], "perm": perm[:, :width],
                              "count": count, "owner": owner.astype(np.int64),
                              "free": free.tolist()})
