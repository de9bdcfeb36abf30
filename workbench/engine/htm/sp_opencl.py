"""The Spatial Pooler's per-step rules on an OpenCL device (kernels: ``cl/kernels/sp.cl``).

The whole step stays on the device: overlap, boost, inhibition, learning, duty cycles and
bumping run as kernels on device-resident state, and only the active columns come back (read
right after inhibition, so the learning kernels run while the caller carries on). The host
computes what needs ``exp`` or runs once every 50 iterations (:mod:`.sp_rules`), from arrays it
reads back then: boost factors (only when boost_strength > 0), the inhibition radius (from
per-column spans computed on the device) and the minimum duty cycles.

Storage, and why (measured on PoCL, 2,048 x 2,048, 15 % input density, 102 active columns):

* ``perm`` float32 (num_columns x padded num_inputs), NaN outside the potential pool and in the
  padding (as in :mod:`.sp_numpy`: no masks in the updates): learning touches the active
  columns only and each column is one contiguous row.
* ``conn``: a connected bitmask, one 64-bit word per (column, 64 inputs). Learning rewrites
  whole words: one work item per (active column, word) updates 64 permanences and writes the
  word they make, with no scattered or conditional stores (~40 us). The overlap is then
  popcount(connected word & input word) over a column's words (~60 us). The input-driven
  alternative (a byte per (input, column), summing the active inputs' rows) overlaps faster
  (~30 us), but keeping it in sync after learning needs a scattered, conditional byte store
  per changed synapse, which PoCL cannot vectorise (~150-250 us): at 15 % input density the
  bitmask also reads less memory (1 bit per synapse versus 1 byte per active-input synapse).
  On CPUs words are column-major and bit k of word w is input 64w + k (a work item walks 64
  contiguous permanences of its own row). On GPUs words are word-major and bit k of word w is
  input k * words + w, so that neighbouring work items read neighbouring words and touch
  neighbouring permanences: at 65,536 x 16,384 on an H200 that took the adapt kernel from
  ~1 ms to ~0.2 ms (about 2 TB/s). There a learning work item owns 16 bytes of words (16
  uint8, 8 float16 or 4 float32 words) and moves their permanences at each bit as one 16-byte
  vector: one byte per access left the uint8 kernel bound by load/store instructions.
* Global inhibition is a radix select on the float bit patterns (boosted overlaps are >= 0, so
  bits order like values): exact, ties by index, no sort; sequential in one work item on a CPU
  (barriers cost more than the work there), one 1024-wide work-group on a GPU.
* Local inhibition: one work item per column counts larger and equal-lower neighbours; the few
  columns those counts do not decide are resolved in ascending order by one work item.

At reduced precision (``permanence_dtype``, :mod:`.sp_storage`) ``perm`` holds float16 or uint8
codes (255 outside the pool and in the padding); the kernels decode, compute in float32 and
round once when they store, exactly as :mod:`.sp_numpy` does on the host.

The input goes to the device as one bitmask (num_inputs / 8 bytes), as a fresh buffer created
from host memory on CPU devices (PoCL copies at creation: ~5 us against ~45 us for an enqueued
write) and by an enqueued copy into a resident buffer on GPUs.
"""

from __future__ import annotations

import numpy as np

from . import sp_rules
from .sp_params import SpatialPoolerParams

_RAISE_WG = 64


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class OpenCLSpatialEngine:
    """Holds the SP's arrays on one OpenCL device and runs compute steps 1-4 there."""

    def __init__(self, params: SpatialPoolerParams, runtime) -> None:
        """Builds the kernels and allocates the state; :meth:`set_permanence_rows` fills it."""
        cl = runtime.cl
        self.cl, self.rt, self.p = cl, runtime, params
        self.storage = params.storage
        self.queue = runtime.queue
        self.name = f"opencl:{runtime.index}"
        n, m = params.num_columns, params.num_inputs
        self._words = -(-m // 64)
        self._stride = self._words * 64
        self._word_major = bool(runtime.is_gpu)
        # Fixed work-group sizes: PoCL builds a kernel anew for every size it is launched with.
        self._adapt_wg = 64 if runtime.is_gpu else 8
        # Learning work items per column: one per word on CPUs, one per 16 bytes of words (their
        # permanences at each bit are one vector) in the GPU layout (sp.cl, PERM_V).
        lanes = 16 // self.storage.itemsize if self._word_major else 1
        self._learn_items = _round_up(-(-self._words // lanes), self._adapt_wg)
        self._select_wg = min(1024, runtime.max_work_group_size) if runtime.is_gpu else 1
        self._index_shift = np.int32(8 * ((max(1, (n - 1).bit_length()) - 1) // 8))
        defines = {"CONN_WORD_MAJOR": int(self._word_major), "NDIM_COL": len(params.column_shape),
                   "NDIM_IN": len(params.input_shape), "WRAP": int(params.wrap_around),
                   "SELECT_WG": self._select_wg, **self.storage.cl_defines}
        self._k = {name: runtime.kernel("sp.cl", name, defines) for name in (
            "sp_overlap", "sp_inhibit_global", "sp_inhibit_local_count", "sp_inhibit_local_resolve",
            "sp_adapt", "sp_raise", "sp_duty_cycles", "sp_bump", "sp_spans", "sp_connect")}
        self._n = np.uint32(n)
        self._m = np.uint32(m)
        self._w = np.uint32(self._words)
        self._bump_groups = max(1, runtime.info.compute_units) * (4 if runtime.is_gpu else 1)
        mf = cl.mem_flags
        ctx = runtime.context

        def buffer(nbytes: int):
            return cl.Buffer(ctx, mf.READ_WRITE, max(4, nbytes))

        self.perm = buffer(n * self._stride * self.storage.itemsize)
        self.conn = buffer(n * self._words * 8)
        self.overlaps = buffer(n * 4)
        self.boosted = buffer(n * 4)
        self.boost = buffer(n * 4)
        self.odc = buffer(n * 4)
        self.adc = buffer(n * 4)
        self.min_odc = buffer(n * 4)
        self.flags = buffer(n)
        self.room = buffer(n * 4)
        self.out = buffer((n + 1) * 4)
        self.weak = buffer((n + 1) * 4)
        self.spans = buffer(n * 4)
        self._input_bits = buffer(self._words * 8)
        self._col_dims = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR,
                                   hostbuf=np.asarray(params.column_shape, dtype=np.int32))
        self._in_dims = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR,
                                  hostbuf=np.asarray(params.input_shape, dtype=np.int32))
        self._arrays = {"overlaps": (self.overlaps, np.int32), "boosted": (self.boosted, np.float32),
                        "boost": (self.boost, np.float32), "odc": (self.odc, np.float32),
                        "adc": (self.adc, np.float32), "min_odc": (self.min_odc, np.float32)}
        for name, (_, dtype) in self._arrays.items():
            self.set(name, np.ones(n, dtype) if name == "boost" else np.zeros(n, dtype))
        self.active = np.empty(0, dtype=np.uint32)

    # -- transfers -------------------------------------------------------------------------------
    def _write(self, target, array: np.ndarray):
        """``array`` on the device for the next kernels: ``target`` on GPUs, a fresh copy on CPUs."""
        array = np.ascontiguousarray(array)
        if array.nbytes == 0:
            return target
        if self.rt.is_gpu:
            self.cl.enqueue_copy(self.queue, target, array, is_blocking=False)
            return target
        return self.cl.Buffer(self.rt.context, self.cl.mem_flags.READ_ONLY
                              | self.cl.mem_flags.COPY_HOST_PTR, hostbuf=array)

    def _read(self, source, count: int, dtype, offset: int = 0) -> np.ndarray:
        host = np.empty(count, dtype=dtype)
        if count:
            self.cl.enqueue_copy(self.queue, host, source, src_offset=offset * host.itemsize,
                                 is_blocking=True)
        return host

    # -- compute steps 1-3 ---------------------------------------------------------------------
    def infer(self, inputs: np.ndarray, use_global: bool, density: np.float32,
              radius: int) -> np.ndarray:
        p, k, q = self.p, self._k, self.queue
        n = p.num_columns
        dense = np.zeros(self._stride, dtype=bool)
        dense[inputs] = True
        self._bits = self._write(self._input_bits, self._pack(dense[None, :])[0])
        k["sp_overlap"](q, (_round_up(n, 64),), (64,), self._n, self._w, self.conn, self._bits,
                        self.boost, np.int32(p.boosting), self.overlaps, self.boosted)
        stimulus = np.float32(p.stimulus_threshold)
        if use_global:
            bound = sp_rules.global_winner_count(density, n)
            k["sp_inhibit_global"](q, (self._select_wg,), (self._select_wg,), self._n,
                                   self._index_shift, self.boosted, np.uint32(bound), stimulus,
                                   self.flags, self.out, self.weak)
        else:
            bound = n
            k["sp_inhibit_local_count"](q, (_round_up(n, 64),), (64,), self._n, self._col_dims,
                                        self.boosted, np.int32(radius), np.float32(density),
                                        stimulus, self.flags, self.room)
            k["sp_inhibit_local_resolve"](q, (1,), (1,), self._n, self._col_dims, self.boosted,
                                          np.int32(radius), self.flags, self.room, self.out,
                                          self.weak)
        head = self._read(self.out, 1 + bound, np.uint32)
        self.active = np.sort(head[1:1 + head[0]])
        return self.active

    # -- compute step 4 --------------------------------------------------------------------------
    def learn(self) -> None:
        """4a, on the input of the last :meth:`infer` (already on the device as a bitmask)."""
        count = len(self.active)
        if count == 0:
            return
        p, k, q = self.p, self._k, self.queue
        threshold = p.connected_threshold
        k["sp_adapt"](q, (self._learn_items, count), (self._adapt_wg, 1), self._n, self._w, self.perm,
                      self.conn, self._bits, self.out, p.active_inc, p.inactive_dec, threshold)
        if p.stimulus_threshold > 0:
            k["sp_raise"](q, (count * _RAISE_WG,), (_RAISE_WG,), self._n, self._w, self._m,
                          self.perm, self.conn, self.out, np.uint32(p.stimulus_threshold),
                          threshold, p.raise_target, self.cl.LocalMemory(4 * _RAISE_WG))

    def update_duty_cycles(self, decay: np.float32, increment: np.float32) -> None:
        n = self.p.num_columns
        self._k["sp_duty_cycles"](self.queue, (_round_up(n, 64),), (64,), self._n, self.overlaps,
                                  self.flags, self.odc, self.adc, self.min_odc,
                                  np.float32(decay), np.float32(increment), self.weak)

    def bump_weak_columns(self) -> None:
        if not self._has_min_odc:  # every minimum is 0: no duty cycle can be below it
            return
        self._k["sp_bump"](self.queue, (self._bump_groups * 64,), (64,), self._n, self._w,
                           self.perm, self.conn, self.weak, self.p.bump,
                           self.p.connected_threshold)

    # -- state the host reads and writes ----------------------------------------------------------
    def connected_span_sums(self) -> np.ndarray:
        n = self.p.num_columns
        self._k["sp_spans"](self.queue, (n * 64,), (64,), self._w, self._m, self._in_dims,
                            self.perm, self.p.span_threshold, self.spans)
        return self._read(self.spans, n, np.int32).astype(np.int64)

    def permanence_row(self, column: int) -> np.ndarray:
        row = self._read(self.perm, self.p.num_inputs, self.storage.dtype,
                         offset=column * self._stride)
        return np.nan_to_num(self.storage.decode(row), nan=-1.0)

    def permanence_matrix(self) -> np.ndarray:
        p = self.p
        rows = self._read(self.perm, p.num_columns * self._stride, self.storage.dtype)
        rows = rows.reshape(p.num_columns, self._stride)[:, : p.num_inputs]
        return np.nan_to_num(self.storage.decode(rows), nan=-1.0)

    def get(self, name: str) -> np.ndarray:
        """A copy of one per-column array: overlaps, boosted, boost, odc, adc, min_odc, active."""
        if name == "active":
            return self.active.copy()
        buf, dtype = self._arrays[name]
        return self._read(buf, self.p.num_columns, dtype)

    def set(self, name: str, values: np.ndarray) -> None:
        """Replace one per-column array (boost, odc, adc, min_odc, overlaps, boosted, active)."""
        if name == "active":
            self.active = np.array(values, dtype=np.uint32)
            return
        buf, dtype = self._arrays[name]
        host = np.ascontiguousarray(values, dtype=dtype)
        self.cl.enqueue_copy(self.queue, buf, host, is_blocking=True)
        if name == "min_odc":
            self._has_min_odc = bool((host > 0).any())

    def _pack(self, flags: np.ndarray) -> np.ndarray:
        """(rows, words * 64) booleans over inputs -> (rows, words) uint64, bit k of word w
        standing for input k * words + w on GPUs, 64 * w + k on CPUs (see sp.cl)."""
        rows = flags.shape[0]
        if self._word_major:
            flags = flags.reshape(rows, 64, self._words).transpose(0, 2, 1)
        packed = np.packbits(np.ascontiguousarray(flags).reshape(rows, -1), axis=1,
                             bitorder="little")
        return packed.view(np.uint64).reshape(rows, self._words)

    def set_permanence_rows(self, start: int, rows: np.ndarray) -> None:
        """Replace the permanences of columns ``start`` .. ``start + len(rows) - 1`` (-1 marks
        inputs outside the potential pool): padded with NaN, rounded to the storage, uploaded;
        then their connected words are rebuilt on the device."""
        p = self.p
        rows = np.asarray(rows, dtype=np.float32)
        count = len(rows)
        if count == 0:
            return
        padded = np.full((count, self._stride), np.nan, dtype=np.float32)
        padded[:, : p.num_inputs] = np.where(rows < 0, np.float32(np.nan), rows)
        stored = self.storage.encode(padded)
        self.cl.enqueue_copy(self.queue, self.perm, stored, is_blocking=True,
                             dst_offset=start * self._stride * self.storage.itemsize)
        self._k["sp_connect"](self.queue, (self._learn_items, count),
                              (self._adapt_wg, 1), self._n, self._w, self.perm, self.conn,
                              np.uint32(start), p.connected_threshold)
