"""The Spatial Pooler's per-step rules on an OpenCL device (kernels: ``cl/kernels/sp.cl``).

The whole step stays on the device: overlap, boost, inhibition, learning, duty cycles and
bumping run as kernels on device-resident state, and only the active columns come back (read
right after inhibition, so the learning kernels run while the caller carries on). The host
computes what needs ``exp`` or runs once every 50 iterations (:mod:`.sp_rules`), from arrays it
reads back then: boost factors (only when boost_strength > 0), the inhibition radius (from
per-column spans computed on the device) and the minimum duty cycles.

Storage, and why (the same layout as :mod:`.sp_numpy`, so both backends share one reasoning):

* ``perm`` float32 (num_columns x num_inputs), -1 outside the potential pool: learning touches
  the active columns only and each column is one contiguous row, so the adapt kernel's work
  items read and write consecutive addresses (coalesced on a GPU, vectorised by PoCL).
* ``conn_t`` uint8 (num_inputs x padded num_columns), 1 where column c is connected to input i:
  the overlap is input-driven, summing the rows of the active inputs only, and adjacent work
  items read adjacent bytes of a row. Bytes rather than bits so that the learning kernels can
  rewrite one synapse without atomics; only synapses whose connected state changed are written.
* Global inhibition is one work-group doing a radix select on the float bit patterns (boosted
  overlaps are >= 0, so bits order like values): exact, tie-breaking by index, no sort.
* Local inhibition: one work item per column counts larger and equal-lower neighbours; the few
  columns those counts do not decide are resolved in ascending order by one work item.

Small inputs are handed over as fresh buffers created from host memory on CPU devices (PoCL
copies at creation, far cheaper than an enqueued write) and by enqueued copies into resident
buffers on GPUs.
"""

from __future__ import annotations

import numpy as np

from . import sp_rules
from .sp_params import SpatialPoolerParams

_SELECT_WG = 256
_RAISE_WG = 64


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class OpenCLSpatialEngine:
    """Holds the SP's arrays on one OpenCL device and runs compute steps 1-4 there."""

    def __init__(self, params: SpatialPoolerParams, perm: np.ndarray, runtime) -> None:
        cl = runtime.cl
        self.cl, self.rt, self.p = cl, runtime, params
        self.queue = runtime.queue
        self.name = f"opencl:{runtime.index}"
        n, m = params.num_columns, params.num_inputs
        self._stride = _round_up(n, 16)
        self._cols_per_item = 4 if runtime.is_gpu else 16
        index_bits = max(1, (n - 1).bit_length())
        defines = {
            "N_COLS": n, "N_INPUTS": m, "CONN_STRIDE": self._stride,
            "COLS_PER_ITEM": self._cols_per_item,
            "NDIM_COL": len(params.column_shape),
            "COL_DIMS": ", ".join(str(d) for d in params.column_shape),
            "NDIM_IN": len(params.input_shape),
            "IN_DIMS": ", ".join(str(d) for d in params.input_shape),
            "WRAP": int(params.wrap_around), "SELECT_WG": _SELECT_WG,
            "INDEX_SHIFT": 8 * ((index_bits - 1) // 8),
        }
        self._k = {name: runtime.kernel("sp.cl", name, defines) for name in (
            "sp_overlap", "sp_inhibit_global", "sp_inhibit_local_count", "sp_inhibit_local_resolve",
            "sp_adapt", "sp_raise", "sp_duty_cycles", "sp_bump", "sp_spans")}
        self._bump_groups = max(1, runtime.info.compute_units) * (4 if runtime.is_gpu else 1)
        mf = cl.mem_flags
        ctx = runtime.context

        def buffer(nbytes: int):
            return cl.Buffer(ctx, mf.READ_WRITE, max(4, nbytes))

        self.perm = buffer(n * m * 4)
        self.conn_t = buffer(m * self._stride)
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
        self._inputs = buffer(m * 4)
        self._dense = buffer(m)
        self._arrays = {"overlaps": (self.overlaps, np.int32), "boosted": (self.boosted, np.float32),
                        "boost": (self.boost, np.float32), "odc": (self.odc, np.float32),
                        "adc": (self.adc, np.float32), "min_odc": (self.min_odc, np.float32)}
        for name, (_, dtype) in self._arrays.items():
            self.set(name, np.ones(n, dtype) if name == "boost" else np.zeros(n, dtype))
        self.set_permanences(perm)
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
        inputs_buf = self._write(self._inputs, inputs.astype(np.uint32))
        items = _round_up(-(-n // self._cols_per_item), 64)
        k["sp_overlap"](q, (items,), None, self.conn_t, inputs_buf, np.uint32(len(inputs)),
                        self.boost, np.int32(p.boosting), self.overlaps, self.boosted)
        stimulus = np.float32(p.stimulus_threshold)
        if use_global:
            bound = sp_rules.global_winner_count(density, n)
            k["sp_inhibit_global"](q, (_SELECT_WG,), (_SELECT_WG,), self.boosted, np.uint32(bound),
                                   stimulus, self.flags, self.out, self.weak)
        else:
            bound = n
            k["sp_inhibit_local_count"](q, (_round_up(n, 64),), None, self.boosted,
                                        np.int32(radius), np.float32(density), stimulus,
                                        self.flags, self.room)
            k["sp_inhibit_local_resolve"](q, (1,), (1,), self.boosted, np.int32(radius),
                                          self.flags, self.room, self.out, self.weak)
        head = self._read(self.out, 1 + bound, np.uint32)
        self.active = np.sort(head[1:1 + head[0]])
        return self.active

    # -- compute step 4 --------------------------------------------------------------------------
    def learn(self, dense: np.ndarray) -> None:
        count = len(self.active)
        if count == 0:
            return
        p, k, q = self.p, self._k, self.queue
        dense_buf = self._write(self._dense, dense.astype(np.uint8))
        raising = p.stimulus_threshold > 0
        threshold = p.connected_threshold
        k["sp_adapt"](q, (_round_up(p.num_inputs, 64), count), None, self.perm, self.conn_t,
                      dense_buf, self.out, p.active_inc, p.inactive_dec, threshold,
                      np.int32(not raising))
        if raising:
            k["sp_raise"](q, (count * _RAISE_WG,), (_RAISE_WG,), self.perm, self.conn_t, self.out,
                          np.uint32(p.stimulus_threshold), threshold,
                          self.cl.LocalMemory(4 * _RAISE_WG))

    def update_duty_cycles(self, decay: np.float32, increment: np.float32) -> None:
        n = self.p.num_columns
        self._k["sp_duty_cycles"](self.queue, (_round_up(n, 64),), None, self.overlaps, self.flags,
                                  self.odc, self.adc, self.min_odc, np.float32(decay),
                                  np.float32(increment), self.weak)

    def bump_weak_columns(self) -> None:
        if not self._has_min_odc:  # every minimum is 0: no duty cycle can be below it
            return
        self._k["sp_bump"](self.queue, (self._bump_groups * 64,), (64,), self.perm, self.conn_t,
                           self.weak, self.p.bump, self.p.connected_threshold)

    # -- state the host reads and writes ----------------------------------------------------------
    def connected_span_sums(self) -> np.ndarray:
        n = self.p.num_columns
        self._k["sp_spans"](self.queue, (n * 64,), (64,), self.perm, self.p.span_threshold,
                            self.spans)
        return self._read(self.spans, n, np.int32).astype(np.int64)

    def permanence_row(self, column: int) -> np.ndarray:
        m = self.p.num_inputs
        return self._read(self.perm, m, np.float32, offset=column * m)

    def permanence_matrix(self) -> np.ndarray:
        p = self.p
        return self._read(self.perm, p.num_columns * p.num_inputs, np.float32).reshape(
            p.num_columns, p.num_inputs)

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

    def set_permanences(self, perm: np.ndarray) -> None:
        p = self.p
        perm = np.ascontiguousarray(perm, dtype=np.float32)
        conn_t = np.zeros((p.num_inputs, self._stride), dtype=np.uint8)
        conn_t[:, : p.num_columns] = (perm >= p.connected_threshold).T
        self.cl.enqueue_copy(self.queue, self.perm, perm, is_blocking=True)
        self.cl.enqueue_copy(self.queue, self.conn_t, conn_t, is_blocking=True)
