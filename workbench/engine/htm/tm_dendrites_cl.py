"""Dendrite activity of the Temporal Memory on an OpenCL device (kernels/tm_dendrites.cl).

The device holds a mirror of the segment pool (same rows, same width) and a mask of the
active cells. Each step the host sends one buffer with only what changed: the active cells and
the rows of the segments the learning walk touched. On the device a fill clears the mask, one
kernel marks the active cells, one scatters the rows into the pool, and one work item per
segment counts its active potential and active connected synapses, which suits a GPU: no index
to keep up, every segment in parallel. What comes back is only the short list of segments that
are active or matching, as (segment, connected, potential) triples, in one read.

The learning walk itself stays on the host (:class:`~.tm_segments.SegmentPool` is the
authoritative copy); the results equal the numpy engine's because the device does nothing
but integer counts and float32 comparisons.
"""

from __future__ import annotations

import math

import numpy as np

from ..cl.runtime import CLRuntime
from .tm_segments import SegmentPool

_KERNELS = "tm_dendrites.cl"
_GROUP = 64


class DeviceDendrites:
    """Segment activity computed on one OpenCL device, one work item per segment."""

    def __init__(self, runtime: CLRuntime, num_cells: int, connected: np.float32,
                 lowest: int) -> None:
        self.runtime = runtime
        self.connected = connected  # already lowered by 1e-6
        self.lowest = lowest
        self.cl = runtime.cl
        self.queue = runtime.queue
        self.num_cells = num_cells
        self._mark = runtime.kernel(_KERNELS, "tm_mark_active")
        self._write_rows = runtime.kernel(_KERNELS, "tm_write_rows")
        self._activity = runtime.kernel(_KERNELS, "tm_segment_activity")
        self._active = self._device(num_cells)
        self._staging_size = 0
        self._staging = None
        self._pending_rows = np.empty(0, dtype=np.int32)
        self._expect = 256  # triples read back in the first read; grows with what steps find
        self._rows = 0
        self._width = 0

    # -- plumbing ------------------------------------------------------------------------------
    def _device(self, nbytes: int, host: np.ndarray | None = None):
        flags = self.cl.mem_flags
        if host is None:
            return self.cl.Buffer(self.runtime.context, flags.READ_WRITE, max(nbytes, 4))
        return self.cl.Buffer(self.runtime.context, flags.READ_WRITE | flags.COPY_HOST_PTR,
                              hostbuf=host)

    def _launch(self, kernel, n: int, *args) -> None:
        if n > 0:
            kernel(self.queue, (math.ceil(n / _GROUP) * _GROUP,), None, np.int32(n), *args)

    # -- keeping up with the pool --------------------------------------------------------------
    def sync(self, pool: SegmentPool) -> None:
        """Note the rows that changed since the last sync; :meth:`activity` sends them (all rows
        after a reallocation, at once)."""
        if pool.reshaped or self._rows != len(pool.count) or self._width != pool.width:
            self.rebuild(pool)
            return
        changed = pool.values_changed.union(pool.layout_changed)
        self._pending_rows = np.fromiter(changed, dtype=np.int32, count=len(changed))
        pool.clear_changes()

    def rebuild(self, pool: SegmentPool) -> None:
        """Copy the whole pool to the device."""
        self._rows, self._width = len(pool.count), pool.width
        self._pre = self._device(pool.pre.nbytes, pool.pre)
        self._perm = self._device(pool.perm.nbytes, pool.perm)
        self._count = self._device(pool.count.nbytes, pool.count)
        self._found = self._device(4 * (1 + 3 * self._rows))
        self._pending_rows = np.empty(0, dtype=np.int32)
        pool.clear_changes()

    # -- activity ------------------------------------------------------------------------------
    def activity(self, pool: SegmentPool, active_cells: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments with at least ``lowest`` active potential synapses: (segments ascending,
        active connected counts, active potential counts).

        One upload and (nearly always) one read per step: each blocking transfer costs a
        device round trip, which dominates on a CPU device shared with other work.
        """
        rows = self._pending_rows
        k, a = len(rows), len(active_cells)
        staged = np.concatenate([active_cells.astype(np.int32), rows, pool.count[rows],
                                 pool.pre[rows].ravel(), pool.perm[rows].ravel().view(np.int32)])
        if self._staging is None or self._staging_size < staged.nbytes:
            self._staging_size = max(staged.nbytes, 2 * self._staging_size, 4)
            self._staging = self._device(self._staging_size)
        # Non-blocking, and the event (which keeps `staged` alive) is held until the blocking
        # read below, which the in-order queue runs after everything enqueued here.
        upload = (self.cl.enqueue_copy(self.queue, self._staging, staged, is_blocking=False)
                  if len(staged) else None)
        self.cl.enqueue_fill_buffer(self.queue, self._active, np.uint8(0), 0, self.num_cells)
        self.cl.enqueue_fill_buffer(self.queue, self._found, np.int32(0), 0, 4)
        self._launch(self._mark, a, self._staging, self._active)
        self._launch(self._write_rows, k * self._width, np.int32(self._width), np.int32(k),
                     np.int32(a), self._staging, self._pre, self._perm, self._count)
        self._launch(self._activity, pool.n_rows, np.int32(self._width), self._pre, self._perm,
                     self._count, self._active, np.float32(self.connected), np.int32(self.lowest),
                     self._found)
        head = np.empty(1 + 3 * min(self._expect, self._rows), dtype=np.int32)
        self.cl.enqueue_copy(self.queue, head, self._found)
        if upload is not None:
            upload.wait()
        self._pending_rows = np.empty(0, dtype=np.int32)
        n = int(head[0])
        if n <= (len(head) - 1) // 3:
            found = head[1: 1 + 3 * n].reshape(n, 3)
        else:
            found = np.empty((n, 3), dtype=np.int32)
            self.cl.enqueue_copy(self.queue, found, self._found, src_offset=4)
        self._expect = max(self._expect, 2 * n)
        found = found[np.argsort(found[:, 0])].astype(np.int64)
        return found[:, 0], found[:, 1], found[:, 2]
