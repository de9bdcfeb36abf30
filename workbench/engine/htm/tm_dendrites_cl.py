"""The Temporal Memory on an OpenCL device (kernels/tm_dendrites.cl, kernels/tm_infer.cl):
dendrite activity counted presynaptically like the numpy engine, and the whole inference step.

Only a few percent of the cells are active in a step, so instead of scanning every segment
the device follows the active cells' outgoing synapses through a mirror of the numpy engine's
presynaptic index (:class:`~.tm_dendrites.PresynapticIndex`, which this class extends: the
host keeps it up to date from the pool's change notes, since learning runs on the host, and
tracks which entries and which cells' block bounds it wrote). The mirror holds of each entry
only what counting reads, its bin ``entry >> slot_bits`` = 2 * (segment + 1) + connected, as an
int32 (half the device memory and half the bytes each count reads), and of each cell where its
block starts and how long it is; the device also keeps each segment's cell and each cell's
segment count. Each step the host sends one buffer: what learning changed in those copies
(after a rebuild, a compaction or a reallocation, or when the entries would outweigh it, whole
copies go instead, in further uploads), and the step's cells. On the device the active cells'
entries are added to their segments' packed counters (two 16-bit counts in an int: one atomic
per synapse); then each touched counter is taken back (left 0, so the counters are clean for
the next step without a clear) and the segments that reach ``lowest`` are appended to a list:
either by visiting the entries again, each taking its counter with an atomic exchange for 0, or
by reading every counter of the rows in use once. A GPU always reads the counters, which is
cheaper there than half a million contended exchanges (at 262,144 columns). A CPU device reads
the counters on a host step whose active cells have at least half as many entries as the pool
has rows (at 4,096 columns with 300 active, learning, they have 1.5 times as many, and the
exchanges took 3.9 ms against 0.35 for the reads on PoCL; at 2,048 with 40 active, 0.4 times,
0.067 ms against 0.081), and walks on a step run on the device (where the host does not know
which cells are active; without learning most columns are usually predicted, with one or a
few active cells each). The cells of active segments are stamped with the step's clock: the
next step's predicted cells, without a list. Each active cell's block is walked by ``lanes``
work items: one on a CPU device (a plain loop, the fastest on PoCL), 8 on a GPU (neighbouring
work items read neighbouring entries, and a cell feeding many segments is not one work item's
long loop).

A host step (a learning one, or one whose predecessor's views were read:
:meth:`~DeviceDendrites.start_activity` and :meth:`~DeviceDendrites.finish_activity`) runs its
column walk on the host: it sends what learning changed and its active cells (as the predicted
cells plus the bursting columns: at 65,536 columns 1,311 numbers instead of 42,000 cells), and
reads back the found list, as (segment, connected, potential) triples; its winners wait for a
device step. A device step (:meth:`~DeviceDendrites.infer_step`, without learning) sends only
the active columns (and the last host step's winners) and reads nothing: the device activates
the predicted cells (by their stamps) or bursts the column, picks each bursting column's
winner (its best matching segment from the last count, else the previous step's winner, else
the least-used cell, counting those choices so that the host can spend their random draws
later) and counts the next step's dendrites. :meth:`~DeviceDendrites.read_step` brings the
step back when someone asks for it (a view, a learning step, a reset), in one read.
Per step: one upload; two launches (count, collect) plus one (apply the changes) on a host
step; four to six on a device step (apply when there are changes or winners to send, activate,
best matching when the step before counted, winners, count, collect). A host step makes one
blocking read (a second when more segments come back than the first read expected), a device
step none. The device step's kernels need 64-bit atomics (the best matching segment's key): a
device without them still counts, and its inference steps are walked on the host.
On a CPU device a learning step whose active cells have few index entries (with few rows in
use) is counted on the host from the index itself (:meth:`~DeviceDendrites.activity`), which
costs less than the device's round trip there; the device is then behind, and the next step
without learning is a host step, whose count catches it up with what the index gathered.
The results equal the numpy engine's because the device does nothing but integer counts,
comparisons and copies of the host's values.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..backend import BackendFallbackWarning
from ..cl.runtime import CLRuntime, KernelBuildError
from .tm_dendrites import PresynapticIndex
from .tm_segments import SegmentPool

_KERNELS = "tm_dendrites.cl"
_INFER_KERNELS = "tm_infer.cl"
_GROUP = 256
_GPU_LANES = 8  # default work items per active cell on a GPU (one on a CPU device)
_MAX_COUNT = 0xFFFF  # a counter packs two 16-bit counts (a best matching key, a cell's place)
_EMPTY = np.empty(0, dtype=np.int64)
_NEVER = -(1 << 30)  # a stamp no clock reads as the step before its own
# On a CPU device, a learning step whose active cells' index entries plus the pool's rows in use
# are fewer than this is counted on the host (DeviceDendrites.activity): at 2,048 columns
# with 40 active about 55,000; at 4,096 with 300 active about 147,000, where PoCL's count
# (0.39 ms a step) beats numpy's (0.46).
HOST_COUNT_BELOW = 100_000


def tally_since(tally: int, seen: int) -> int:
    """Least-used choices counted on the device since its 32-bit tally read ``seen``: the
    tally wraps (at 65,536 columns a resident TM makes about 1,300 such choices a step on new
    input, 2**31 within hours), so the difference is taken modulo 2**32."""
    return (tally - seen) % (1 << 32)


def _typed(kernel, scalars: int):
    """``kernel``, told that its first ``scalars`` arguments are ints: pyopencl then packs
    them directly, which on PoCL makes a launch several times cheaper than its generic
    per-argument path (the rest are buffers)."""
    kernel.set_scalar_arg_dtypes([np.int32] * scalars + [None] * (kernel.num_args - scalars))
    return kernel


class DeviceDendrites(PresynapticIndex):
    """Segment activity counted on one OpenCL device from a mirror of the presynaptic index,
    and the Temporal Memory's inference step run there (see the module docstring)."""

    def __init__(self, runtime: CLRuntime, num_cells: int, connected: np.float32,
                 activation_threshold: int, min_threshold: int, cells_per_column: int,
                 lanes: int | None = None, scan: bool | None = None) -> None:
        """``cells_per_column``: how many cells a bursting column stands for; ``lanes``: work
        items per active cell (default: 8 on a GPU, 1 on a CPU device); ``scan``: collect by
        reading every counter rather than walking the entries again (default: always on a GPU;
        on a CPU device, on a host step whose active cells have at least half as many entries
        as the pool has rows in use)."""
        super().__init__(num_cells, connected, min(activation_threshold, min_threshold),
                         track_writes=True)
        if cells_per_column > _MAX_COUNT:
            raise ValueError(f"the OpenCL Temporal Memory takes at most {_MAX_COUNT} cells per "
                             f"column (got {cells_per_column}); use the numpy backend")
        if lanes is not None and lanes < 1:
            raise ValueError(f"lanes must be >= 1 (got {lanes})")
        self.activation_threshold = activation_threshold
        self.min_threshold = min_threshold
        self.cells_per_column = cells_per_column
        self.runtime = runtime
        self.cl = runtime.cl
        self.queue = runtime.queue
        self.lanes = lanes or (_GPU_LANES if runtime.is_gpu else 1)
        # None: chosen per step
        self.scan: bool | None = (True if runtime.is_gpu else None) if scan is None else bool(scan)
        defines = {"LANES": self.lanes}
        self._kernels = {name: _typed(runtime.kernel(_KERNELS, name, defines), scalars)
                         for name, scalars in (("tm_index_apply", 6), ("tm_index_count", 4),
                                               ("tm_index_collect", 7), ("tm_index_scan", 4))}
        try:
            self._kernels.update({name: _typed(runtime.kernel(_INFER_KERNELS, name), scalars)
                                  for name, scalars in (("tm_activate", 5), ("tm_best_matching", 3),
                                                        ("tm_winners", 5))})
            self._infer_kernels = True
        except KernelBuildError as exc:
            warnings.warn(f"the Temporal Memory's inference kernels failed to build ({exc}); its "
                          "steps without learning are walked on the host instead",
                          BackendFallbackWarning, stacklevel=4)
            self._infer_kernels = False
        # a CPU device's small counts are made on the host: the device's counts and cell stamps
        # are then behind until a host step counts there again
        self._behind = False
        columns = num_cells // cells_per_column
        stamps = np.full(max(num_cells, columns), _NEVER, dtype=np.int32)
        self._bins = self._device(4)  # the mirror: self.entries >> slot_bits, as int32
        self._bounds = self._device(8 * num_cells)  # per cell: block start, length (int32)
        self._segments_per_cell = self._device(4 * num_cells, np.zeros(num_cells, dtype=np.int32))
        self._pred_stamp = self._device(4 * num_cells, stamps[:num_cells])  # per cell
        self._winner_of = self._device(4 * columns)  # per column: its lowest winner cell
        self._winner_step = self._device(4 * columns, stamps[:columns])  # ... of which step
        self._burst_stamp = self._device(4 * columns, stamps[:columns])
        # tm_winners stamps its least-used choices here for the resident engine (tm_resident_cl),
        # whose learning reads them; this engine does not
        self._least_used_step = self._device(4 * columns)
        self._best_key = self._device(8 * columns)
        self._tally_seen = 0  # the device's tally of least-used choices, found[1], when last read
        self._owner = None  # per pool row: its segment's cell (int32)
        self._counters = None  # one packed counter per pool row, all 0 between steps
        self._found = None
        self._rows = 0
        self._staging = None
        self._staging_size = 0
        self._expect = 256  # triples read back in the first read; grows with what steps find
        self.clock = 0  # one tick a step (counted or not) and one more at a reset
        self._found_clock = _NEVER  # the clock of the count now in `found`
        self._owner_changes: list[np.ndarray] = []
        # the last host step's winners and its clock, for a device step next
        self._winners: tuple[np.ndarray, int] | None = None
        self._count_changes: list[np.ndarray] = []
        self._mirror_all = True  # owner and segments_per_cell go over whole
        self._inferred: tuple[int, int] | None = None  # (columns, lists_at) of the last infer_step
        # the last step's upload events: they keep its arrays alive until the copies are done
        # (dropping one waits for its copy, so the host runs at most a step ahead of a device)
        self._held: list = []
        # work items that share the found list in tm_best_matching
        self._matching_items = 64 * _GROUP if runtime.is_gpu else _GROUP

    @property
    def infers_on_device(self) -> bool:
        """Whether the next step without learning can run on the device: its kernels built,
        and the device's last count is the last step's (not one the host made instead)."""
        return self._infer_kernels and not self._behind

    # -- plumbing ------------------------------------------------------------------------------
    def _device(self, nbytes: int, host: np.ndarray | None = None):
        flags = self.cl.mem_flags
        if host is None:
            return self.cl.Buffer(self.runtime.context, flags.READ_WRITE, max(nbytes, 4))
        return self.cl.Buffer(self.runtime.context, flags.READ_WRITE | flags.COPY_HOST_PTR,
                              hostbuf=host)

    def _launch(self, name: str, n: int, *args) -> None:
        """``name`` over at least n work items (one group when n is 0: kernels that zero a
        counter do it in work item 0)."""
        size = max(1, math.ceil(n / _GROUP)) * _GROUP
        self._kernels[name](self.queue, (size,), (_GROUP,), n, *args)

    def _fit_rows(self, pool: SegmentPool) -> None:
        """Counters, owners and room for a found triple for every row of the pool."""
        if pool.width > _MAX_COUNT:
            raise ValueError(f"the OpenCL Temporal Memory counts at most {_MAX_COUNT} synapses per "
                             f"segment (rows are {pool.width} wide); use max_synapses_per_segment "
                             f"<= {_MAX_COUNT} or the numpy backend")
        rows = len(pool.count)
        if rows != self._rows:
            self._rows = rows
            self._counters = self._device(4 * rows, np.zeros(rows, dtype=np.int32))
            found = self._device(4 * (2 + 3 * rows), np.zeros(2 + 3 * rows, dtype=np.int32))
            if self._found is not None:  # the tally goes on
                self.cl.enqueue_copy(self.queue, found, self._found, byte_count=8)
            self._found = found
            self._owner = self._device(4 * rows)
            self._found_clock = _NEVER
            self._mirror_all = True

    def _changed_entries(self) -> tuple[np.ndarray, np.ndarray, list]:
        """(positions of the entries, cells whose bounds changed) to send with this step's
        upload; when the whole used buffer is the better copy (or the only correct one), it and
        every cell's bounds are enqueued here instead, and their events returned (to be held
        until the step's blocking read)."""
        written = self.take_written()
        if written is not None and 2 * len(written[0]) <= self.end:  # position + bin vs bin
            return written[0], written[1], []
        if self._bins.size != 4 * len(self.entries):
            self._bins = self._device(4 * len(self.entries))
        bounds = np.empty((self.num_cells, 2), dtype=np.int32)
        bounds[:, 0] = self.cell_start
        bounds[:, 1] = self.cell_len
        events = [self.cl.enqueue_copy(self.queue, self._bounds, bounds, is_blocking=False)]
        if self.end:
            bins = (self.entries[: self.end] >> self.slot_bits).astype(np.int32)
            events.append(self.cl.enqueue_copy(self.queue, self._bins, bins, is_blocking=False))
        return _EMPTY, _EMPTY, events

    def sync(self, pool: SegmentPool) -> None:
        """:meth:`PresynapticIndex.sync`, noting also the segments that changed owner and the
        cells whose segment count changed, for the device's copies."""
        if pool.owners_changed:
            self._owner_changes.append(np.fromiter(pool.owners_changed, dtype=np.int64))
            self._count_changes.append(np.fromiter(pool.cells_changed, dtype=np.int64))
        super().sync(pool)

    def rebuild(self, pool: SegmentPool) -> None:
        super().rebuild(pool)
        self._mirror_all = True
        self._tally_seen = 0
        if self._found is not None:  # what loading a state replaced spends no draws
            self.cl.enqueue_copy(self.queue, self._found, np.zeros(2, dtype=np.int32))

    def reset(self) -> None:
        """A sequence boundary: the next step sees no predicted cell, no previous winner and
        no matching segment (the clock ticks once more, so no stamp reads as the step before)."""
        self.clock += 1

    def _stage(self, pool: SegmentPool, tail: list[np.ndarray], room: int = 0,
               winners: bool = False) -> tuple[np.ndarray, list[int], list]:
        """The step's upload: the mirrors' changes since the last step (with ``winners``, the
        last host step's winners too), then ``tail`` (with ``room`` more ints after it in the
        device's buffer, for the step to write); returns it, the counts of each kind of
        change, and the events of the copies enqueued here (to be held until the step's
        blocking read, or the next step)."""
        self._fit_rows(pool)
        positions, cells, events = self._changed_entries()
        pieces = []
        if len(positions):
            pieces += [self.entries[positions] >> self.slot_bits, positions]
        if len(cells):
            pieces += [cells, self.cell_start[cells], self.cell_len[cells]]
        if self._mirror_all:
            self._mirror_all = False
            self._owner_changes.clear()
            self._count_changes.clear()
            owner = pool.owner.astype(np.int32)
            events.append(self.cl.enqueue_copy(self.queue, self._owner, owner, is_blocking=False))
            events.append(self.cl.enqueue_copy(self.queue, self._segments_per_cell,
                                               pool.segments_per_cell, is_blocking=False))
            segments = counted = _EMPTY
        else:
            segments = np.concatenate(self._owner_changes) if self._owner_changes else _EMPTY
            counted = np.concatenate(self._count_changes) if self._count_changes else _EMPTY
            self._owner_changes.clear()
            self._count_changes.clear()
        if len(segments):
            pieces += [segments, pool.owner[segments]]
        if len(counted):
            pieces += [counted, pool.segments_per_cell[counted]]
        w = 0
        if winners and self._winners is not None and len(self._winners[0]):
            chosen, clock = self._winners
            columns = chosen // self.cells_per_column
            lowest = chosen[np.concatenate(([True], columns[1:] != columns[:-1]))]
            pieces += [lowest, np.full(len(lowest), clock)]
            w, self._winners = len(lowest), None
        pieces += tail
        staged = np.empty(sum(len(piece) for piece in pieces), dtype=np.int32)
        at = 0
        for piece in pieces:
            staged[at: at + len(piece)] = piece
            at += len(piece)
        needed = staged.nbytes + 4 * room
        if self._staging is None or self._staging_size < needed:
            self._staging_size = max(needed, 2 * self._staging_size)
            self._staging = self._device(self._staging_size)
        events.append(self.cl.enqueue_copy(self.queue, self._staging, staged, is_blocking=False))
        return staged, [len(positions), len(cells), len(segments), len(counted), w], events

    def _apply(self, sizes: list[int]) -> None:
        """Write the staged changes (and the host steps' winners) into the device's copies."""
        k, m, o, c, w = sizes
        if k + m + o + c + w:
            self._launch("tm_index_apply", k + m + o + c + w, k, m, o, c, self.cells_per_column,
                         self._staging, self._bins, self._bounds, self._owner,
                         self._segments_per_cell, self._winner_of, self._winner_step)

    def _count(self, pool: SegmentPool, items: int, lists_at: int, P: int, scan: bool) -> None:
        """Count from the active cells listed at ``lists_at`` (``items`` work items at least
        enough for them) and collect the found segments (by scanning the counters, or by
        walking the entries again), stamping the predicted cells."""
        cpc = self.cells_per_column
        self._launch("tm_index_count", items, lists_at, P, cpc, self._staging, self._bounds,
                     self._bins, self._counters, self._found)
        if scan:
            self._launch("tm_index_scan", pool.n_rows, self.lowest, self.activation_threshold,
                         self.clock, self._counters, self._owner, self._pred_stamp, self._found)
        else:
            self._launch("tm_index_collect", items, lists_at, P, cpc, self.lowest,
                         self.activation_threshold, self.clock, self._staging, self._bounds,
                         self._bins, self._counters, self._owner, self._pred_stamp, self._found)
        self._found_clock = self.clock

    # -- a host step's count ---------------------------------------------------------------------
    def activity(self, pool: SegmentPool, active_cells: np.ndarray,
                 predicted_cells: np.ndarray | None = None,
                 bursting_columns: np.ndarray | None = None,
                 winners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`PresynapticIndex.activity` (a learning step's count, or one after a load):
        on a CPU device, when the active cells' entries and the rows in use are few, counted on
        the host from the index itself, the device's round trip costing more than the count
        (at 2,048 columns with 40 active, 55,000 of them: PoCL took 0.13 ms a step against
        numpy's 0.06); the device's counts and stamps are then behind, so the next step without
        learning is walked on the host (:attr:`infers_on_device`), whose count catches the
        device up with what the index gathered meanwhile."""
        self.sync(pool)
        if (not self.runtime.is_gpu
                and int(self.cell_len[active_cells].sum()) + pool.n_rows < HOST_COUNT_BELOW):
            self._behind = True
            return self._count_now(pool, active_cells)
        return super().activity(pool, active_cells, predicted_cells, bursting_columns, winners)

    def start_activity(self, pool: SegmentPool, active_cells: np.ndarray,
                       predicted_cells: np.ndarray | None = None,
                       bursting_columns: np.ndarray | None = None,
                       winners: np.ndarray | None = None) -> tuple | None:
        """Enqueue :meth:`PresynapticIndex.activity`'s count on the device and return what
        :meth:`finish_activity` needs, so that the host can go on while the device counts. The
        active cells go over as ``predicted_cells`` and ``bursting_columns`` (every cell of
        each) when given (at 65,536 columns, where nearly every column bursts early on, 1,311
        columns instead of 42,000 cells), with the mirrors' changes and the step's ``winners``
        when known already (remembered for a next step on the device). One upload."""
        if predicted_cells is None:
            predicted_cells, bursting_columns = active_cells, _EMPTY
        elif bursting_columns is None:
            bursting_columns = _EMPTY
        self.sync(pool)
        self.clock += 1
        self._inferred = None
        self._behind = False
        self._note_winners(winners)
        p, b = len(predicted_cells), len(bursting_columns)
        header = np.array([p, b], dtype=np.int32)
        staged, sizes, events = self._stage(pool, [header, predicted_cells, bursting_columns])
        self._apply(sizes)
        if not self.end or not len(active_cells):
            self._held = events
            self.queue.flush()
            return None
        lists_at = len(staged) - 2 - p - b
        scan = self.scan
        if scan is None:  # a CPU device: whichever collect reads less (tombstones are read too)
            scan = 2 * int(self.cell_len[active_cells].sum()) >= pool.n_rows
        self._count(pool, (p + b * self.cells_per_column) * self.lanes, lists_at, p, scan)
        return events

    def finish_activity(self, started: tuple | None, winners: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The count :meth:`start_activity` enqueued, as :meth:`PresynapticIndex.activity`
        returns it (int32; one blocking read); ``winners``, the step's winner cells when
        chosen since the start, are kept for a device step next."""
        self._note_winners(winners)
        if started is None:
            return _EMPTY, _EMPTY, _EMPTY
        return self._read_found(started)[0]

    def _note_winners(self, winners: np.ndarray | None) -> None:
        """Keep the winners (ascending) of the step now counted, with its clock, for a device
        step next, which reads the lowest of each column as the previous step's winner: only
        the last host step's can matter, and only to a device step, whose upload sends them."""
        if winners is not None:
            self._winners = (winners, self.clock)

    def _read_found(self, events: list, lists: tuple[np.ndarray, int] | None = None
                    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
        """The last count's found segments, (segments in no particular order, active connected
        counts, active potential counts) as int32, and the tally of least-used choices; one
        blocking read (with ``lists``, (host array, offset): the staged buffer read there in
        the same wait), a second when more segments were found than the first read expected."""
        head = np.empty(2 + 3 * min(self._expect, self._rows), dtype=np.int32)
        waits = list(events)
        if lists is not None:
            waits.append(self.cl.enqueue_copy(self.queue, lists[0], self._staging,
                                              src_offset=4 * lists[1], is_blocking=False))
        read = self.cl.enqueue_copy(self.queue, head, self._found, is_blocking=False)
        read.wait()
        for event in waits:
            event.wait()
        found_count = int(head[0])
        if found_count <= (len(head) - 2) // 3:
            found = head[2: 2 + 3 * found_count].reshape(found_count, 3)
        else:
            found = np.empty((found_count, 3), dtype=np.int32)
            self.cl.enqueue_copy(self.queue, found, self._found, src_offset=8)
        self._expect = max(self._expect, 2 * found_count)
        return (found[:, 0], found[:, 1], found[:, 2]), int(head[1])  # int32 views

    # -- the inference step ----------------------------------------------------------------------
    def infer_step(self, pool: SegmentPool, columns: np.ndarray) -> None:
        """Enqueue a whole step without learning for these active columns (ascending) and
        return at once: activation, the bursting columns' winners (best matching segment, else
        the previous winner, else the least-used cell) and the next step's dendrite count all
        run on the device, from the state the last step left there; nothing comes back until
        :meth:`read_step` is called. One upload and four to six launches."""
        self.sync(pool)
        self.clock += 1
        cpc, n = self.cells_per_column, len(columns)
        header = np.zeros(2, dtype=np.int32)
        staged, sizes, events = self._stage(pool, [columns, header], room=n * cpc + 2 * n,
                                            winners=True)
        lists_at = len(staged) - 2
        cols_at = lists_at - n
        self._apply(sizes)
        self._launch("tm_activate", n, cols_at, lists_at, cpc, self.clock, self._staging,
                     self._pred_stamp, self._burst_stamp, self._best_key, self._winner_of,
                     self._winner_step)
        if self._found_clock == self.clock - 1:  # the last step counted (no reset since)
            self._kernels["tm_best_matching"](
                self.queue, (self._matching_items,), (_GROUP,), cpc, self.clock,
                self.min_threshold, self._found, self._owner, self._burst_stamp, self._best_key)
        self._launch("tm_winners", n, cols_at, lists_at, cpc, self.clock, self._staging,
                     self._burst_stamp, self._best_key, self._winner_of, self._winner_step,
                     self._segments_per_cell, self._found, self._least_used_step)
        # On a CPU device a walk: which cells are active is not known here, and in a step
        # without learning most columns are usually predicted (one or a few cells each).
        self._count(pool, n * cpc * self.lanes, lists_at, n * cpc, self.scan is True)
        self._inferred = (n, lists_at)
        self._held = events
        self.queue.flush()

    def read_step(self) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                 tuple[np.ndarray, np.ndarray, np.ndarray], int]:
        """What the last :meth:`infer_step` left on the device: (the active cells of its
        predicted columns and its bursting columns, both in no particular order; each active
        column's winner, -1 for a predicted one, in column order; the count it made, as
        :meth:`activity` returns it; the least-used choices made by inference steps since the
        last call, each of which spends ``cells_per_column - 1`` of the TM's random draws).
        One blocking read of two buffers."""
        if self._inferred is None:
            raise RuntimeError("read_step needs an infer_step since the last activity")
        n, lists_at = self._inferred
        cpc = self.cells_per_column
        lists = np.empty(2 + n * cpc + 2 * n, dtype=np.int32)
        found, tally = self._read_found(self._held, (lists, lists_at))
        self._held = []
        p, b = int(lists[0]), int(lists[1])
        bursting_at = 2 + n * cpc
        least_used, self._tally_seen = tally_since(tally, self._tally_seen), tally
        return (lists[2: 2 + p], lists[bursting_at: bursting_at + b],
                lists[bursting_at + n:], found, least_used)
