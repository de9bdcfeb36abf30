"""Dendrite activity of the Temporal Memory on an OpenCL device (kernels/tm_dendrites.cl),
counted presynaptically like the numpy engine.

Only a few percent of the cells are active in a step, so instead of scanning every segment
the device follows the active cells' outgoing synapses through a mirror of the numpy engine's
presynaptic index (:class:`~.tm_dendrites.PresynapticIndex`, which this class extends: the
host keeps it up to date from the pool's change notes, since learning runs on the host, and
tracks which entries and which cells' block bounds it wrote). The mirror holds of each entry
only what counting reads, its bin ``entry >> slot_bits`` = 2 * (segment + 1) + connected, as an
int32 (half the device memory and half the bytes each count reads), and of each cell where its
block starts and how long it is. Each step the host sends one buffer: the entries and the
bounds written since the last step (after a rebuild, a compaction or a reallocation, or when
the entries would outweigh it, the whole used buffer and every cell's bounds go instead, in
further uploads) and the active cells. On the device the active cells' entries are added to
their segments' packed counters (two 16-bit counts in an int: one atomic per synapse); then
each touched counter is taken back (left 0, so the counters are clean for the next step
without a clear) and the segments that reach ``lowest`` are appended to a list: on a CPU by
visiting the entries again, each taking its counter with an atomic exchange for 0; on a GPU by
reading every counter of the rows in use once, which is cheaper there than half a million
contended exchanges (at 262,144 columns). What comes back is only that short list, as
(segment, connected, potential) triples, in one read. Each
active cell's block is walked by ``lanes`` work items: one on a CPU device (a plain loop, the
fastest on PoCL), 8 on a GPU (neighbouring work items read neighbouring entries, and a cell
feeding many segments is not one work item's long loop).

Per step: one upload, two launches (count, collect) plus one (apply the changed entries and
bounds) in a step whose learning changed the index, and one blocking read (a second when more
segments come back than the first read expected). The host's share does not grow with the
index: it stages the active cells and what learning changed, nothing per active cell's block
(at 65,536 x 32 cells, gathering 42,000 active cells' bounds took half the call). A step before
any synapse exists touches the device not at all. The results equal the numpy engine's because
the device does nothing but integer counts and copies of the host's entries.
"""

from __future__ import annotations

import math

import numpy as np

from ..cl.runtime import CLRuntime
from .tm_dendrites import PresynapticIndex
from .tm_segments import SegmentPool

_KERNELS = "tm_dendrites.cl"
_GROUP = 256
_GPU_LANES = 8  # default work items per active cell on a GPU (one on a CPU device)
_MAX_COUNT = 0xFFFF  # a counter packs two 16-bit counts
_EMPTY = np.empty(0, dtype=np.int64)


def _typed(kernel, scalars: int):
    """``kernel``, told that its first ``scalars`` arguments are ints: pyopencl then packs
    them directly, which on PoCL makes a launch several times cheaper than its generic
    per-argument path (the rest are buffers)."""
    kernel.set_scalar_arg_dtypes([np.int32] * scalars + [None] * (kernel.num_args - scalars))
    return kernel


class DeviceDendrites(PresynapticIndex):
    """Segment activity counted on one OpenCL device from a mirror of the presynaptic index."""

    def __init__(self, runtime: CLRuntime, num_cells: int, connected: np.float32,
                 lowest: int, cells_per_column: int, lanes: int | None = None,
                 scan: bool | None = None) -> None:
        """``cells_per_column``: how many cells a bursting column stands for; ``lanes``: work
        items per active cell (default: 8 on a GPU, 1 on a CPU device); ``scan``: collect by
        reading every counter rather than walking the entries again (default: on a GPU)."""
        super().__init__(num_cells, connected, lowest, track_writes=True)
        self.cells_per_column = cells_per_column
        if lanes is not None and lanes < 1:
            raise ValueError(f"lanes must be >= 1 (got {lanes})")
        self.runtime = runtime
        self.cl = runtime.cl
        self.queue = runtime.queue
        self.lanes = lanes or (_GPU_LANES if runtime.is_gpu else 1)
        self.scan = runtime.is_gpu if scan is None else scan
        defines = {"LANES": self.lanes}
        self._apply = _typed(runtime.kernel(_KERNELS, "tm_index_apply", defines), 2)
        self._count = _typed(runtime.kernel(_KERNELS, "tm_index_count", defines), 4)
        self._collect = _typed(runtime.kernel(_KERNELS, "tm_index_collect", defines), 5)
        self._scan = _typed(runtime.kernel(_KERNELS, "tm_index_scan", defines), 2)
        self._bins = None  # the device mirror: self.entries >> slot_bits, as int32
        self._bounds = self._device(8 * num_cells)  # per cell: block start, length (int32)
        self._counters = None  # one packed counter per pool row, all 0 between steps
        self._found = None
        self._rows = 0
        self._staging = None
        self._staging_size = 0
        self._expect = 256  # triples read back in the first read; grows with what steps find

    # -- plumbing ------------------------------------------------------------------------------
    def _device(self, nbytes: int, host: np.ndarray | None = None):
        flags = self.cl.mem_flags
        if host is None:
            return self.cl.Buffer(self.runtime.context, flags.READ_WRITE, max(nbytes, 4))
        return self.cl.Buffer(self.runtime.context, flags.READ_WRITE | flags.COPY_HOST_PTR,
                              hostbuf=host)

    def _launch(self, kernel, n: int, *args) -> None:
        kernel(self.queue, (math.ceil(n / _GROUP) * _GROUP,), (_GROUP,), n, *args)

    def _fit_rows(self, pool: SegmentPool) -> None:
        """Counters and room for a found triple for every row of the pool."""
        if pool.width > _MAX_COUNT:
            raise ValueError(f"the OpenCL Temporal Memory counts at most {_MAX_COUNT} synapses per "
                             f"segment (rows are {pool.width} wide); use max_synapses_per_segment "
                             f"<= {_MAX_COUNT} or the numpy backend")
        rows = len(pool.count)
        if rows != self._rows:
            self._rows = rows
            self._counters = self._device(4 * rows, np.zeros(rows, dtype=np.int32))
            self._found = self._device(4 * (1 + 3 * rows))

    def _changed_entries(self) -> tuple[np.ndarray, np.ndarray, list]:
        """(positions of the entries, cells whose bounds changed) to send with this step's
        upload; when the whole used buffer is the better copy (or the only correct one), it and
        every cell's bounds are enqueued here instead, and their events returned (to be held
        until the step's blocking read)."""
        written = self.take_written()
        if written is not None and 2 * len(written[0]) <= self.end:  # position + bin vs bin
            return written[0], written[1], []
        if self._bins is None or self._bins.size != 4 * len(self.entries):
            self._bins = self._device(4 * len(self.entries))
        bounds = np.empty((self.num_cells, 2), dtype=np.int32)
        bounds[:, 0] = self.cell_start
        bounds[:, 1] = self.cell_len
        events = [self.cl.enqueue_copy(self.queue, self._bounds, bounds, is_blocking=False)]
        if self.end:
            bins = (self.entries[: self.end] >> self.slot_bits).astype(np.int32)
            events.append(self.cl.enqueue_copy(self.queue, self._bins, bins, is_blocking=False))
        return _EMPTY, _EMPTY, events

    # -- activity ------------------------------------------------------------------------------
    def start_activity(self, pool: SegmentPool, active_cells: np.ndarray,
                       predicted_cells: np.ndarray | None = None,
                       bursting_columns: np.ndarray | None = None) -> tuple | None:
        """Enqueue :meth:`activity`'s work (the upload, the kernels, a non-blocking read of the
        found list) and return what :meth:`finish_activity` needs, so that the host can go on
        while the device counts.

        The active cells go to the device as ``predicted_cells`` and ``bursting_columns``
        (every cell of each) when given: at 65,536 columns, where nearly every column bursts
        early on, 1,311 columns instead of 42,000 cells. One upload and (nearly always) one
        read per step: each transfer costs a device round trip, which dominates on a CPU device
        shared with other work.
        """
        if predicted_cells is None:
            predicted_cells, bursting_columns = active_cells, _EMPTY
        elif bursting_columns is None:
            bursting_columns = _EMPTY
        if not self.end or not len(active_cells):
            return None
        self._fit_rows(pool)
        positions, cells, whole = self._changed_entries()
        k, m, p, b = len(positions), len(cells), len(predicted_cells), len(bursting_columns)
        cells_at = 2 * k + 3 * m
        staged = np.empty(cells_at + p + b, dtype=np.int32)
        staged[:k] = self.entries[positions] >> self.slot_bits
        staged[k: 2 * k] = positions
        staged[2 * k: 2 * k + m] = cells
        staged[2 * k + m: 2 * k + 2 * m] = self.cell_start[cells]
        staged[2 * k + 2 * m: cells_at] = self.cell_len[cells]
        staged[cells_at: cells_at + p] = predicted_cells
        staged[cells_at + p:] = bursting_columns
        if self._staging is None or self._staging_size < staged.nbytes:
            self._staging_size = max(staged.nbytes, 2 * self._staging_size)
            self._staging = self._device(self._staging_size)
        # Non-blocking: the events (which keep `staged` and the whole copies alive) are held
        # until the read, which the in-order queue runs after everything enqueued here.
        events = [self.cl.enqueue_copy(self.queue, self._staging, staged, is_blocking=False), *whole]
        if k + m:
            self._launch(self._apply, k + m, k, self._staging, self._bins, self._bounds)
        items = (p + b * self.cells_per_column) * self.lanes
        cpc = self.cells_per_column
        self._launch(self._count, items, cells_at, p, cpc, self._staging, self._bounds,
                     self._bins, self._counters, self._found)
        if self.scan:
            self._launch(self._scan, pool.n_rows, self.lowest, self._counters, self._found)
        else:
            self._launch(self._collect, items, cells_at, p, cpc, self.lowest, self._staging,
                         self._bounds, self._bins, self._counters, self._found)
        head = np.empty(1 + 3 * min(self._expect, self._rows), dtype=np.int32)
        read = self.cl.enqueue_copy(self.queue, head, self._found, is_blocking=False)
        return head, read, events

    def finish_activity(self, started: tuple | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The result of :meth:`start_activity`'s work: (segments in no particular order,
        active connected counts, active potential counts), as int32; waits for the device."""
        if started is None:
            return _EMPTY, _EMPTY, _EMPTY
        head, read, events = started
        read.wait()
        for event in events:
            event.wait()
        found_count = int(head[0])
        if found_count <= (len(head) - 1) // 3:
            found = head[1: 1 + 3 * found_count].reshape(found_count, 3)
        else:
            found = np.empty((found_count, 3), dtype=np.int32)
            self.cl.enqueue_copy(self.queue, found, self._found, src_offset=4)
        self._expect = max(self._expect, 2 * found_count)
        return found[:, 0], found[:, 1], found[:, 2]  # int32 views: nothing to convert
