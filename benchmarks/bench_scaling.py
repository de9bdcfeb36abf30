"""Scaling curves: Spatial Pooler and Temporal Memory step time from 1K to 256K columns, per
backend, with a model of the bytes each step must move, the share of the memory bandwidth that
achieves, and each size's time over the smallest size's (the launch-latency floor).

    python -m benchmarks.bench_scaling [--quick] [--backends numpy,opencl:0] [--budget-s 480]
                                       [--models sp,tm] [--sp-permanence-dtype uint8] [--out DIR]

With ``--out DIR`` it also writes ``scaling.json`` (every row plus the machine, the load, the
SP's permanence storage and the copy bandwidths), ``scaling.png`` (ms/step against columns,
log-log: learn solid, infer dashed) and ``scaling.md`` (the tables). ``--quick`` stops at 16K
columns with short phases.

Workloads (everything scales with the number of columns C):

- SP: C columns, C/4 inputs (1-D topology), potential radius C/32 (a window over a quarter of
  the input), potential_pct 0.5, global inhibition with 2 % of the columns active, inputs with
  5 % of their bits on (20 random inputs, cycled). Permanences are stored densely (columns x
  inputs), in ``--sp-permanence-dtype`` (float32, the default and the spec's model; float16 or
  uint8 fixed point, :mod:`workbench.engine.htm.sp_storage`), recorded in every SP row. Memory
  and initialisation grow with C^2/4: that is why the inputs are C/4 and not C/2. At 256K
  columns the permanences alone are 69 GB in float32 (skipped everywhere: more than a device
  buffer or 60 % of a 128 GB host may hold), 34 GB in float16 and 17 GB in uint8 (numpy adds a
  byte per pair for its transposed connected flags, OpenCL a bit), so uint8 runs where the host
  or the device has room. After 3 warm-up steps, each phase runs until it has taken
  ``phase_s`` seconds (at least 5 steps, at most 500): learning, then inference.
- TM: C columns x 32 cells, 2 % of the columns active; 2 sequences of 25 random SDRs, each
  followed by a reset, learned for 2 passes (the learn figure averages both, from an empty TM
  that bursts on every step to one that predicts most of them, as bench_tm does), then one
  pass with learning off. Learning grows in proportion to the square of the active columns
  (each growing segment shuffles the previous step's winner cells, HTM_SPEC.md's RNG order),
  so at 256K columns (5,243 active) a bursting step takes about half a second on one core: the
  protocol is short so that size fits the budget.

Every (model, backend, size) runs in a child process: its peak RSS is its own, a failure or a
timeout costs one row, and memory is returned between sizes. A size is skipped, with the reason
in its row, when its predicted time exceeds what is left of the backend's budget (``--budget-s``
split evenly between backends, half for each model, unused SP time going to the TM) or its
predicted memory exceeds 60 % of the host's available memory or the device's limits (80 % of
its memory, its largest buffer). The SP's host peak is predicted from the last size's: the
interpreter and runtime as measured, plus the SP state where it lives in host memory (numpy, or
an OpenCL CPU device; none of it on a GPU), plus the rest of the last peak (initialisation's
block of columns, learning's decoded rows) scaled with the pairs, which overestimates it.

Bytes model: :func:`sp_step_bytes` and :func:`tm_step_bytes` count the compulsory traffic of
one step for each backend's data layout: inputs read once, outputs written once, and the state
the step must touch (which differs by layout: numpy's SP overlap sums the uint8 rows of the
active inputs, OpenCL's reads the whole connected bitmask, and learning reads and writes the
active columns' permanence rows at the stored precision; both TMs walk the active cells' blocks
of the presynaptic index, numpy filling a count bin for every segment, OpenCL counting only the
segments reached, after uploading the index entries that learning wrote). Dividing by the step
time gives an achieved bandwidth, reported as a share of a large copy on the same memory
(np.copyto of 256 MB on the host, a 256 MB buffer-to-buffer enqueue_copy on a device). The TM's
learning runs on the host on both backends: its share is of the backend's copy bandwidth all
the same. MB and GB are 10^6 and 10^9 bytes throughout.

Launch-latency floor: where a step is too small to be bandwidth-bound (a GPU at the small sizes,
where a step is a handful of kernel launches and transfers), the target is to stay within 2x of
the floor instead. "x floor" is each size's step time over the smallest measured size's, for
the same model, backend and phase: the smallest size is taken as the floor (it is an upper
bound of the launch sequence's latency, since it still does a little work), so a size whose
"x floor" is at most 2 meets that target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.host_memory import available_host_bytes, peak_rss_mb, rss_now_mb
from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES

SIZES = (1024, 4096, 16384, 65536, 262144)
QUICK_SIZES = SIZES[:3]
SP_INPUT_DENSITY = 0.05
SP_ACTIVE_FRACTION = 0.02
TM_ACTIVE_FRACTION = 0.02
TM_CELLS = 32
TM_PROTOCOL = {"sequences": 2, "length": 25, "passes": 2}
QUICK_TM_PROTOCOL = {"sequences": 2, "length": 10, "passes": 2}
PHASE_S, QUICK_PHASE_S = 4.0, 1.0
COPY_BYTES = 256 * 10**6
MEMORY_SHARE = 0.6  # of the host's available memory a size may be predicted to use
_RESULT = "SCALING-RESULT "
_REPO = Path(__file__).resolve().parents[1]


# -- workload shapes ----------------------------------------------------------------------------
def sp_shape(columns: int) -> dict:
    inputs = columns // 4
    return {"columns": columns, "inputs": inputs, "potential_radius": inputs // 8,
            "active_inputs": round(SP_INPUT_DENSITY * inputs),
            "active_columns": round(SP_ACTIVE_FRACTION * columns)}


def tm_shape(columns: int) -> dict:
    return {"columns": columns, "cells": columns * TM_CELLS,
            "active_columns": max(1, round(TM_ACTIVE_FRACTION * columns))}


# -- bytes models -------------------------------------------------------------------------------
def _layout(backend: str) -> str:
    return "numpy" if backend == "numpy" else "opencl"


def sp_state_bytes(backend: str, columns: int, inputs: int, permanence_dtype: str = "float32") -> float:
    """Bytes of the SP's per-synapse state (bench_memory's per-pair formula for the backend's
    layout): numpy holds the permanences (columns x inputs) and the transposed connected
    matrix as uint8 (inputs x columns padded to 8); OpenCL holds the permanences (inputs padded
    to 64) and a connected bitmask (1 bit per pair). Per-column arrays (a few dozen bytes per
    column) are left out."""
    from benchmarks.bench_memory import sp_bytes_per_pair_formula  # noqa: PLC0415 - it imports this module

    return sp_bytes_per_pair_formula(_layout(backend), permanence_dtype, columns, inputs) * columns * inputs


def sp_step_bytes(backend: str, learn: bool, columns: int, inputs: int, active_inputs: float,
                  active_columns: float, permanence_dtype: str = "float32") -> float:
    """Compulsory traffic of one SP step (HTM_SPEC.md SP compute steps 1-4) in bytes, with the
    permanences stored as ``permanence_dtype`` (4, 2 or 1 bytes each).

    Overlap: numpy sums the connected uint8 rows of the active inputs (active_inputs x columns
    bytes, after reading the active input indices); OpenCL reads the input bitmask and the whole
    connected bitmask (columns x inputs / 8). Both write the overlaps and boosted overlaps
    (int32 and float32 per column), and inhibition reads the boosted overlaps and writes the
    active columns; OpenCL's also writes an active flag per column (a byte).
    Learning: per active column, one read and one write of its stored permanence row (numpy:
    inputs x itemsize, decoded and encoded on the way; OpenCL: the row padded to 64 inputs,
    plus the row's bitmask words it rewrites), numpy's delta row (a float32 per input; OpenCL
    adds the increment in the kernel), and the duty cycles: read the overlaps, read and write
    both duty cycles, read the minimum duty cycles (the bump check); OpenCL's also read the
    active flags. The connected flags numpy rewrites are those of the few synapses that crossed
    the threshold, left out; so is bumping, as no column is weak in these runs.
    """
    c, i = columns, inputs
    itemsize = np.dtype(permanence_dtype).itemsize
    words = -(-i // 64)
    if _layout(backend) == "numpy":
        overlap = 8 * active_inputs + active_inputs * (-(-c // 8) * 8)
        flags, row, conn_words, delta = 0, itemsize * i, 0, 4 * i
    else:
        overlap = 8 * words + 8 * words * c
        flags, row, conn_words, delta = c, itemsize * 64 * words, 8 * words, 0
    total = overlap + 8 * c + 4 * c + 4 * active_columns + flags
    if learn:
        total += active_columns * (2 * row + conn_words) + delta + 4 * c * 6 + flags
    return float(total)


def tm_step_bytes(backend: str, learn: bool, stats: dict) -> float:
    """Compulsory traffic of one TM step in bytes, from the workload statistics of a step.

    Sampled a dozen times per phase (averages): ``active_cells``, ``staged_cells`` (the
    predicted active cells plus the bursting columns: how OpenCL sends them), ``rows`` (segment
    rows in use), ``width`` (slots per row), ``walked`` (entries in the active cells' blocks of the
    presynaptic index, removed ones included: what a walk reads), ``reached_segments``
    (segments with a synapse from an active cell) and ``found`` (segments with enough active
    synapses to matter). Counted on every step (averages per step): ``touched`` (rows the
    learning walk changed), ``index_writes`` (index entries the host wrote, each with its
    position), ``index_rewrite_bytes`` (whole-buffer rewrites: compaction, growth) and, on
    OpenCL, ``launched`` (the share of steps whose dendrites ran on the device: a step before
    any synapse exists launches nothing), ``mirror_entries`` and ``mirror_cells`` (changed
    entries and changed cells' block bounds the device mirror applied), ``uploaded`` and
    ``read_back`` (bytes of every host-device copy the dendrite engine enqueued or created a
    buffer from, as measured); and, measured once, ``mirror_entry_bytes`` (bytes per entry of
    the device mirror: the first upload of the whole index, less every cell's bounds, over its
    entries).

    Dendrites, numpy (tm_dendrites.py): read the active cells (int64) and their blocks' starts
    and lengths, read the walked entries (8 bytes each), fill a pair of count bins for every
    segment (16 bytes per row) and write the found segments with their two counts (3 int64).
    OpenCL (tm_dendrites_cl.py, kernels/tm_dendrites.cl), per launched step: the host uploads
    one buffer (the changed entries, E bytes each with a 4-byte position, the changed cells'
    bounds, 12 bytes a cell, and the active cells as ``staged_cells`` numbers, the predicted
    cells plus the bursting columns, 4 bytes each, converted from the int64 it reads; after a
    rewrite, or when the changes would outweigh it, the whole used index and every cell's
    bounds go instead, E and 8 bytes each), and the device applies the changes (read E + 4 and
    write E an entry, read 12 and write 8 a cell). Then two passes over the walked entries (E
    bytes each), each first reading, per active cell, its staged number (4 bytes) and its
    bounds (8): the count kernel adds each entry to its segment's counter (a read and a write
    of 4 bytes per segment reached); the collect kernel reads them again, takes each counter
    back (exchange with 0: read and write) and writes the found segments (3 int32, after a
    count), which the host reads back (the first read takes room for at least 256, so
    ``read_back`` exceeds 12 per segment found).
    An inference step on OpenCL runs on the device and reads nothing back (``read_back`` counts
    the reads of the sampled steps and of each reset): it also reads each active column's
    cells' stamps (4 bytes a cell), writes the staged cells (4 bytes each) and reads the last
    count's found list again with each found segment's cell (16 bytes a segment).
    Learning (on the host for both): each changed row read and written (8 bytes per slot:
    cell and permanence), then the index entries it changed written with their positions (12
    bytes each), and any whole-index rewrite (8 bytes per used entry).
    """
    s = stats
    a = s["active_cells"]
    if _layout(backend) == "numpy":
        total = 24 * a + 8 * s["walked"] + 16 * (s["rows"] + 1) + 24 * s["found"]
    else:
        e = s["mirror_entry_bytes"]
        transfers = s["uploaded"] + s["read_back"]
        staged = s["launched"] * (8 + 4) * s["staged_cells"]  # read as int64, written as int32
        cells = staged + s["launched"] * 2 * (4 + 8) * a  # both kernels read them
        passes = 2 * (e * s["walked"] + 8 * s["reached_segments"])
        total = (transfers + (2 * e + 4) * s["mirror_entries"] + 20 * s["mirror_cells"] + cells
                 + passes + 12 * s["found"] + 4 * s["launched"])
        if not learn:  # the device step's activation and winners
            total += 4 * a + 4 * s["staged_cells"] + 16 * s["found"]
    if learn:
        total += 16 * s["touched"] * s["width"] + 12 * s["index_writes"] + s["index_rewrite_bytes"]
    return float(total)


# -- measurements (run in child processes) -------------------------------------------------------
def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} CPUs"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"


def _state_bytes(*objects) -> tuple[int, int]:
    """(host, device) bytes of the numpy arrays and OpenCL buffers held by ``objects``' attributes
    (an array and a view of it, such as numpy's SP connected matrix and its uint64 words, count
    once)."""
    try:
        import pyopencl as cl  # noqa: PLC0415

        memory_object = cl.MemoryObject
    except Exception:
        memory_object = ()
    arrays: dict[int, np.ndarray] = {}
    device = 0
    for obj in objects:
        for value in vars(obj).values():
            if isinstance(value, np.ndarray):
                while isinstance(value.base, np.ndarray):
                    value = value.base
                arrays[id(value)] = value
            elif memory_object and isinstance(value, memory_object):
                device += value.size
    return sum(a.nbytes for a in arrays.values()), device


def _finish(engine) -> None:
    queue = getattr(engine, "queue", None)
    if queue is not None:
        queue.finish()


def _timed_steps(step, finish, phase_s: float, min_steps: int = 5,
                 max_steps: int = 500) -> tuple[float, float, int]:
    """(wall ms, CPU ms, steps): ``step(k)`` repeated until ``phase_s`` seconds and
    ``min_steps`` steps have passed (or ``max_steps``)."""
    start, cpu = time.perf_counter(), time.process_time()
    k = 0
    while k < max_steps and (k < min_steps or time.perf_counter() - start < phase_s):
        step(k)
        k += 1
    finish()
    return (time.perf_counter() - start) * 1e3 / k, (time.process_time() - cpu) * 1e3 / k, k


def measure_sp(backend: str, columns: int, phase_s: float, permanence_dtype: str = "float32") -> dict:
    from workbench.engine.backend import get_backend  # noqa: PLC0415
    from workbench.engine.htm.spatial_pooler import SpatialPooler  # noqa: PLC0415

    shape = sp_shape(columns)
    get_backend(backend)  # driver and context up before the baseline
    baseline = rss_now_mb()
    gen = np.random.default_rng(0)
    data = [np.sort(gen.choice(shape["inputs"], shape["active_inputs"], replace=False)) for _ in range(20)]
    start = time.perf_counter()
    sp = SpatialPooler(shape["inputs"], columns, potential_radius=shape["potential_radius"],
                       potential_pct=0.5, global_inhibition=True,
                       local_area_density=SP_ACTIVE_FRACTION, backend=backend,
                       permanence_dtype=permanence_dtype)
    _finish(sp._engine)
    init_s = time.perf_counter() - start
    for k in range(3):
        sp.compute(data[k % len(data)], learn=True)
    active: list[int] = []

    def step(learn):
        def run(k):
            active.append(len(sp.compute(data[k % len(data)], learn=learn)))
        return run

    out = dict(shape, permanence_dtype=permanence_dtype, init_s=init_s)
    for phase, learn in (("learn", True), ("infer", False)):
        active.clear()
        out[f"{phase}_ms"], out[f"{phase}_cpu_ms"], out[f"{phase}_steps"] = _timed_steps(
            step(learn), lambda: _finish(sp._engine), phase_s)
        out[f"{phase}_active_columns"] = float(np.mean(active))
    host, device = _state_bytes(sp._engine)
    out.update(state_host_mb=host / 1e6, state_device_mb=device / 1e6,
               baseline_rss_mb=baseline, peak_rss_mb=peak_rss_mb())
    return out


def _tm_sample(tm) -> dict:
    """Workload statistics of the TM's current state (see :func:`tm_step_bytes`); reads the
    segment pool, the presynaptic index and the found segments, which the TM keeps private."""
    pool, index = tm._pool, tm._engine
    rows = pool.n_rows
    tm._settle()  # not a view: the next step still runs on the device
    active = tm._active_cells
    mask = np.zeros(tm.num_cells + 1, dtype=bool)  # the extra slot: empty slots (cell -1)
    mask[active] = True
    return {"active_cells": len(active), "rows": rows, "width": pool.width,
            "staged_cells": len(tm._predicted_active) + len(tm._bursting_columns),
            "walked": int(index.cell_len[active].sum()),
            "reached_segments": int(mask[pool.pre[:rows]].any(axis=1).sum()),
            "found": len(tm._seg)}


class _TransferCounter:
    """Stands in for the pyopencl module on one engine: every host-device copy it enqueues,
    and every buffer it creates from a host array, adds its bytes to ``totals`` ("uploaded" or
    "read_back")."""

    def __init__(self, cl, totals: dict[str, float]) -> None:
        self._cl, self._totals = cl, totals

    def __getattr__(self, name: str):
        return getattr(self._cl, name)

    def enqueue_copy(self, queue, dest, src, **kwargs):
        if isinstance(src, np.ndarray):
            self._totals["uploaded"] += src.nbytes
        elif isinstance(dest, np.ndarray):
            self._totals["read_back"] += dest.nbytes
        return self._cl.enqueue_copy(queue, dest, src, **kwargs)

    def Buffer(self, context, flags, size: int = 0, hostbuf=None):  # noqa: N802 - pyopencl's name
        if hostbuf is not None:
            self._totals["uploaded"] += hostbuf.nbytes
        return self._cl.Buffer(context, flags, size, hostbuf)


def _count_dendrite_work(engine) -> tuple[dict[str, float], dict[str, float]]:
    """(running totals, layout) of what the TM's dendrite engine (a presynaptic index, or its
    OpenCL subclass) does step by step, counted by wrapping its methods and its pyopencl module
    on the instance (see :func:`tm_step_bytes` for the keys; the layout holds
    ``mirror_entry_bytes``, 0 until a whole upload shows it). Private methods: this follows
    tm_dendrites.py and tm_dendrites_cl.py as they are."""
    totals = dict.fromkeys(("touched", "index_writes", "index_rewrite_bytes", "launched",
                            "mirror_entries", "mirror_cells", "uploaded", "read_back"), 0.0)
    layout = {"mirror_entry_bytes": 0.0}
    sync, note_written, note_rewritten = engine.sync, engine._note_written, engine._note_rewritten

    def counting_sync(pool):  # rows the learning walk changed (every layout change is a value change)
        totals["touched"] += len(pool.values_changed)
        sync(pool)

    def counting_written(positions):
        totals["index_writes"] += len(positions)
        note_written(positions)

    def counting_rewritten():  # called once the rewrite is done: end is the buffer's new end
        totals["index_rewrite_bytes"] += 8 * engine.end
        note_rewritten()

    engine.sync, engine._note_written, engine._note_rewritten = counting_sync, counting_written, counting_rewritten
    changed_entries = getattr(engine, "_changed_entries", None)  # OpenCL: once per launched step
    if changed_entries is not None:
        def counting_changed():
            before = totals["uploaded"]
            positions, cells, whole = changed_entries()
            totals["launched"] += 1
            totals["mirror_entries"] += len(positions)
            totals["mirror_cells"] += len(cells)
            if whole and engine.end and not layout["mirror_entry_bytes"]:
                bounds = 8 * engine.num_cells
                layout["mirror_entry_bytes"] = (totals["uploaded"] - before - bounds) / engine.end
            return positions, cells, whole

        engine._changed_entries = counting_changed
        engine.cl = _TransferCounter(engine.cl, totals)
    return totals, layout


def measure_tm(backend: str, columns: int, protocol: dict) -> dict:
    from workbench.engine.backend import get_backend  # noqa: PLC0415
    from workbench.engine.htm.temporal_memory import TemporalMemory  # noqa: PLC0415

    shape = tm_shape(columns)
    get_backend(backend)
    # the host-walked engine, whose index and transfers the bytes model counts
    warm = TemporalMemory(64, cells_per_column=4, backend=backend, resident=False)
    warm.compute(np.arange(4))  # kernels built, not timed
    baseline = rss_now_mb()
    gen = np.random.default_rng(0)
    data = [[np.sort(gen.choice(columns, shape["active_columns"], replace=False))
             for _ in range(protocol["length"])] for _ in range(protocol["sequences"])]
    start = time.perf_counter()
    tm = TemporalMemory(columns, cells_per_column=TM_CELLS, backend=backend, resident=False)
    init_s = time.perf_counter() - start
    totals, layout = _count_dendrite_work(tm._engine)
    out = dict(shape, init_s=init_s)
    for phase, learn, passes in (("learn", True, protocol["passes"]), ("infer", False, 1)):
        steps = passes * protocol["sequences"] * protocol["length"]
        every = max(1, steps // 12)
        samples, wall, cpu, k = [], 0.0, 0.0, 0
        for key in totals:
            totals[key] = 0.0
        for _ in range(passes):
            for sequence in data:
                for cols in sequence:
                    w, c = time.perf_counter(), time.process_time()
                    tm.compute(cols, learn=learn)
                    if k % every == 0:  # a sampled step is read back within the timing (on
                        tm._settle()    # OpenCL an inference step is not, until asked)
                    wall += time.perf_counter() - w
                    cpu += time.process_time() - c
                    if k % every == 0:
                        samples.append(_tm_sample(tm))
                    k += 1
                w, c = time.perf_counter(), time.process_time()
                tm.reset()  # which reads back an OpenCL inference step
                wall += time.perf_counter() - w
                cpu += time.process_time() - c
        stats = {key: float(np.mean([s[key] for s in samples])) for key in samples[0]}
        stats.update({key: total / k for key, total in totals.items()}, **layout)
        out[f"{phase}_ms"], out[f"{phase}_cpu_ms"], out[f"{phase}_steps"] = wall * 1e3 / k, cpu * 1e3 / k, k
        out[f"{phase}_stats"] = stats
    host, device = _state_bytes(tm._pool, tm._engine)
    out.update(segments=tm.num_segments(), synapses=tm.num_synapses(), state_host_mb=host / 1e6,
               state_device_mb=device / 1e6, baseline_rss_mb=baseline, peak_rss_mb=peak_rss_mb())
    return out


def measure_copy_bandwidth(backend: str, nbytes: int = COPY_BYTES, repeats: int = 5) -> dict:
    """GB/s of a ``nbytes`` copy (read + write counted) on the backend's memory: np.copyto on the
    host, a buffer-to-buffer enqueue_copy on a device. Best of ``repeats``."""
    times = []
    if backend == "numpy":
        src = np.ones(nbytes // 4, dtype=np.float32)
        dst = np.zeros_like(src)
        for _ in range(repeats + 1):
            start = time.perf_counter()
            np.copyto(dst, src)
            times.append(time.perf_counter() - start)
        device = f"host memory ({_cpu_name()})"
    else:
        import pyopencl as cl  # noqa: PLC0415

        from workbench.engine.backend import get_backend  # noqa: PLC0415

        runtime = get_backend(backend).runtime
        src = cl.Buffer(runtime.context, cl.mem_flags.READ_WRITE, nbytes)
        dst = cl.Buffer(runtime.context, cl.mem_flags.READ_WRITE, nbytes)
        cl.enqueue_fill_buffer(runtime.queue, src, np.float32(1), 0, nbytes)
        cl.enqueue_fill_buffer(runtime.queue, dst, np.float32(0), 0, nbytes)
        runtime.queue.finish()
        for _ in range(repeats + 1):
            start = time.perf_counter()
            cl.enqueue_copy(runtime.queue, dst, src, byte_count=nbytes)
            runtime.queue.finish()
            times.append(time.perf_counter() - start)
        device = runtime.info.describe()
    return {"copy_gb_s": 2 * nbytes / min(times[1:]) / 1e9, "device": device}


def _child_main(spec: dict) -> dict:
    kind = spec["kind"]
    if kind == "sp":
        return measure_sp(spec["backend"], spec["columns"], spec["phase_s"], spec["permanence_dtype"])
    if kind == "tm":
        return measure_tm(spec["backend"], spec["columns"], spec["protocol"])
    return measure_copy_bandwidth(spec["backend"])


# -- orchestration ------------------------------------------------------------------------------
def _in_child(spec: dict, timeout: float) -> tuple[dict | None, float, str]:
    """(result, wall seconds, problem): ``spec`` measured in a fresh interpreter."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.bench_scaling", "--child", json.dumps(spec)],
                              cwd=_REPO, capture_output=True, text=True, timeout=max(timeout, 1.0))
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, f"timed out after {timeout:.0f} s (budget)"
    elapsed = time.perf_counter() - start
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT):
            return json.loads(line[len(_RESULT):]), elapsed, ""
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return None, elapsed, f"failed (exit {done.returncode}): {tail}"


def _device_limits(backend: str) -> tuple[float, float, bool] | None:
    """(global memory MB, largest buffer MB, whether it is a GPU) of an OpenCL backend's
    device, None for numpy."""
    if backend == "numpy":
        return None
    from workbench.engine.backend import get_backend  # noqa: PLC0415

    runtime = get_backend(backend).runtime
    return runtime.device.global_mem_size / 1e6, runtime.device.max_mem_alloc_size / 1e6, bool(runtime.is_gpu)


def memory_problem(backend: str, kind: str, columns: int, previous: dict | None,
                    permanence_dtype: str = "float32") -> str:
    """Why ``columns`` would not fit (empty when it should): device buffers from the SP's
    layout; host peak predicted from the last size's (SP: see the module docstring; TM: x
    column ratio)."""
    if kind == "sp":
        shape = sp_shape(columns)
        state = sp_state_bytes(backend, columns, shape["inputs"], permanence_dtype) / 1e6
        limits = _device_limits(backend)
        if limits is not None:
            padded = -(-shape["inputs"] // 64) * 64
            biggest = columns * padded * np.dtype(permanence_dtype).itemsize / 1e6
            if state > 0.8 * limits[0] or biggest > limits[1]:
                return (f"skipped: {state / 1e3:.1f} GB of {permanence_dtype} SP state (largest buffer "
                        f"{biggest / 1e3:.1f} GB) does not fit the device ({limits[0] / 1e3:.1f} GB, "
                        f"buffers <= {limits[1] / 1e3:.1f} GB)")
        on_host = 0.0 if limits is not None and limits[2] else 1.0  # a GPU holds it in its own memory
        if previous is None:
            grown = on_host * state
        else:
            prev_state = sp_state_bytes(backend, previous["columns"], previous["inputs"], permanence_dtype) / 1e6
            base = previous["baseline_rss_mb"]
            rest = max(previous["peak_rss_mb"] - base - on_host * prev_state, 0.0)
            grown = base + on_host * state + rest * state / max(prev_state, 1e-9)
    else:
        if previous is None:
            return ""
        grown = previous["peak_rss_mb"] * columns / previous["columns"]
    available = available_host_bytes() / 1e6
    if grown > MEMORY_SHARE * available:
        what = f"{permanence_dtype} SP state" if kind == "sp" and previous is None else "peak host memory"
        return (f"skipped: predicted {what} {grown / 1e3:.1f} GB > {MEMORY_SHARE:.0%} of the "
                f"{available / 1e3:.1f} GB available")
    return ""


def _predicted_s(kind: str, columns: int, previous: dict | None, last_wall: float, phase_s: float) -> float:
    """Seconds the next size should take, from the last one: SP init grows with columns x
    inputs (x16 per size) while its phases are time-boxed; TM learning grows with the square
    of the active columns, its inference and its bookkeeping (sampling, start-up) with the
    columns."""
    if previous is None:
        return 0.0
    ratio = columns / previous["columns"]
    if kind == "sp":
        startup = max(last_wall - previous["init_s"] - 2 * phase_s, 0.0)
        steps = 2 * max(phase_s, 5 * (previous["learn_ms"] + previous["infer_ms"]) * ratio**2 / 1e3)
        return startup + previous["init_s"] * ratio**2 + steps
    learn = previous["learn_ms"] * previous["learn_steps"] / 1e3
    infer = previous["infer_ms"] * previous["infer_steps"] / 1e3
    return learn * ratio**2 + (infer + max(last_wall - learn - infer, 0.0)) * ratio


def _row(kind: str, backend: str, columns: int, result: dict | None, note: str, copy_gb_s: float,
         permanence_dtype: str = "float32") -> dict:
    row: dict = {"model": kind.upper(), "backend": backend, "columns": columns}
    if kind == "sp":
        row["permanence_dtype"] = permanence_dtype
    if result is None:
        shape = sp_shape(columns) if kind == "sp" else tm_shape(columns)
        row.update({k: v for k, v in shape.items() if k != "columns"}, note=note)
        return row
    row.update(result)
    for phase, learn in (("learn", True), ("infer", False)):
        if kind == "sp":
            moved = sp_step_bytes(backend, learn, columns, result["inputs"], result["active_inputs"],
                                  result[f"{phase}_active_columns"], permanence_dtype)
        else:
            moved = tm_step_bytes(backend, learn, result[f"{phase}_stats"])
        achieved = moved / (result[f"{phase}_ms"] / 1e3) / 1e9
        row[f"{phase}_model_mb"] = moved / 1e6
        row[f"{phase}_gb_s"] = achieved
        row[f"{phase}_bw_share"] = achieved / copy_gb_s
    row["note"] = note
    return row


def add_floor_ratios(rows: list[dict]) -> list[dict]:
    """Set ``learn_x_floor`` and ``infer_x_floor`` on every measured row: its step time over
    that of the smallest size measured for the same model, backend and SP permanence storage
    (see the module docstring). Returns ``rows``."""
    floors: dict[tuple, dict] = {}
    for row in rows:
        if row["model"] in ("SP", "TM") and "learn_ms" in row:
            key = (row["model"], row["backend"], row.get("permanence_dtype"))
            if key not in floors or row["columns"] < floors[key]["columns"]:
                floors[key] = row
    for row in rows:
        floor = floors.get((row["model"], row["backend"], row.get("permanence_dtype")))
        if floor is not None and "learn_ms" in row:
            for phase in ("learn", "infer"):
                row[f"{phase}_x_floor"] = row[f"{phase}_ms"] / floor[f"{phase}_ms"]
    return rows


def run(backends: list[str] | None = None, quick: bool = False, budget_s: float = 480.0,
        models: tuple[str, ...] = ("sp", "tm"), sp_permanence_dtype: str = "float32") -> list[dict]:
    """One row per (model, backend, size); see the module docstring. ``budget_s`` is shared
    evenly by the backends (and within one, half for each model, unused SP time going to the
    TM); the SP stores its permanences as ``sp_permanence_dtype``."""
    from workbench.engine.backend import available_backends  # noqa: PLC0415

    names = [b for b in (backends or available_backends()) if b != "opencl"]
    sizes = QUICK_SIZES if quick else SIZES
    phase_s = QUICK_PHASE_S if quick else PHASE_S
    protocol = QUICK_TM_PROTOCOL if quick else TM_PROTOCOL
    rows = []
    for backend in names:
        deadline = time.perf_counter() + budget_s / len(names)
        bandwidth, _, problem = _in_child({"kind": "copy", "backend": backend}, 120)
        copy_gb_s = bandwidth["copy_gb_s"] if bandwidth else float("nan")
        rows.append({"model": "copy", "backend": backend, "columns": 0, "copy_gb_s": copy_gb_s,
                     "device": bandwidth["device"] if bandwidth else "", "note": problem})
        for kind in models:
            share = 2 if kind == "sp" and "tm" in models else 1
            model_deadline = time.perf_counter() + (deadline - time.perf_counter()) / share
            previous, last_wall = None, 0.0
            for columns in sizes:
                left = model_deadline - time.perf_counter()
                note = memory_problem(backend, kind, columns, previous, sp_permanence_dtype)
                predicted = _predicted_s(kind, columns, previous, last_wall, phase_s)
                if not note and previous is not None and predicted > left:
                    note = f"skipped: predicted {predicted:.0f} s > {max(left, 0):.0f} s left of the budget"
                if note:
                    rows.append(_row(kind, backend, columns, None, note, copy_gb_s, sp_permanence_dtype))
                    continue
                spec = {"kind": kind, "backend": backend, "columns": columns, "phase_s": phase_s,
                        "protocol": protocol, "permanence_dtype": sp_permanence_dtype}
                result, last_wall, problem = _in_child(spec, left if previous is not None else max(left, 300))
                rows.append(_row(kind, backend, columns, result, problem, copy_gb_s, sp_permanence_dtype))
                if result is not None:
                    previous = result
    return add_floor_ratios(rows)


# -- output -------------------------------------------------------------------------------------
TABLE_COLUMNS = [
    ("columns", "columns", "{:,}"), ("learn_ms", "learn ms", "{:.3g}"), ("infer_ms", "infer ms", "{:.3g}"),
    ("learn_cpu_ms", "learn CPU ms", "{:.3g}"), ("infer_cpu_ms", "infer CPU ms", "{:.3g}"),
    ("learn_x_floor", "learn x floor", "{:.3g}"), ("infer_x_floor", "infer x floor", "{:.3g}"),
    ("init_s", "init s", "{:.3g}"), ("learn_model_mb", "learn MB/step", "{:.3g}"),
    ("learn_bw_share", "learn % copy BW", "{:.1%}"), ("infer_model_mb", "infer MB/step", "{:.3g}"),
    ("infer_bw_share", "infer % copy BW", "{:.1%}"), ("state_host_mb", "state host MB", "{:.4g}"),
    ("state_device_mb", "state device MB", "{:.4g}"), ("peak_rss_mb", "peak RSS MB", "{:.4g}"),
    ("note", "note", "{}"),
]


def markdown(rows: list[dict]) -> str:
    """The rows as markdown: the copy bandwidths, then one table per model and backend."""
    lines = ["| backend | copy GB/s (256 MB, read + write) | device |", "|---|---|---|"]
    lines += [f"| {r['backend']} | {r['copy_gb_s']:.3g} | {r['device']} |" for r in rows if r["model"] == "copy"]
    for model in ("SP", "TM"):
        for backend in dict.fromkeys(r["backend"] for r in rows):
            chosen = [r for r in rows if r["model"] == model and r["backend"] == backend]
            if not chosen:
                continue
            storage = {r.get("permanence_dtype", "float32") for r in chosen} if model == "SP" else set()
            title = f"**{model}, {backend}" + "".join(f", {d} permanences" for d in sorted(storage)) + "**"
            lines += ["", title, "",
                      "| " + " | ".join(title for _, title, _ in TABLE_COLUMNS) + " |",
                      "|" + "---|" * len(TABLE_COLUMNS)]
            for r in chosen:
                cells = [fmt.format(r[key]) if key in r and r[key] not in ("", None) else ""
                         for key, _, fmt in TABLE_COLUMNS]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def labelled(rows: list[dict]) -> list[dict]:
    """The rows with each backend renamed after the device its copy row measured ("numpy on
    Intel(R) Xeon(R) ...", "opencl:0 NVIDIA H200"), so that runs from several machines can share
    one plot without two lines called "numpy"."""
    names = {}
    for row in rows:
        if row["model"] == "copy" and row.get("device"):
            device = row["device"]
            if row["backend"] == "numpy":
                names["numpy"] = "numpy on " + device.removeprefix("host memory (").removesuffix(")")
            else:
                names[row["backend"]] = device.split(" [")[0].replace("  ", " ")
    return [{**row, "backend": names.get(row["backend"], row["backend"])} for row in rows]


def runs_to_plot(runs: list[dict]) -> list[dict]:
    """The rows of several scaling.json contents, :func:`labelled`; a model and backend that an
    earlier run already has (two runs on one machine, say float32 and uint8 SP permanences) get
    the run's date after their name, so that each run draws its own line."""
    rows: list[dict] = []
    for run_ in runs:
        mine = labelled(run_["rows"])
        seen = {(r["model"], r["backend"]) for r in rows}
        date = run_.get("meta", {}).get("date", "")
        rows += [{**r, "backend": f"{r['backend']} ({date})"} if (r["model"], r["backend"]) in seen else r
                 for r in mine]
    return rows


def write_plot(rows: list[dict], path: Path) -> None:
    """ms/step against columns, log-log, one panel per model: a colour per backend (and SP
    permanence storage other than float32, which rows from before the option had), learning
    solid with circles, inference dashed with triangles (pyqtgraph, rendered offscreen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg  # noqa: PLC0415 - Qt only here, never in the engine
    from pyqtgraph.exporters import ImageExporter  # noqa: PLC0415
    from PySide6.QtCore import Qt  # noqa: PLC0415

    app = pg.mkQApp()
    view = pg.GraphicsLayoutWidget(size=(1400, 560))
    view.setBackground("w")
    def series(row: dict) -> str:
        dtype = row.get("permanence_dtype", "float32")
        return row["backend"] if dtype == "float32" else f"{row['backend']} {dtype} SP"

    names = list(dict.fromkeys(series(r) for r in rows if "learn_ms" in r))
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"]
    titles = {"SP": "Spatial Pooler (inputs = columns / 4)", "TM": "Temporal Memory (32 cells, 2 % active)"}
    for col, model in enumerate(("SP", "TM")):
        plot = view.addPlot(row=0, col=col, title=titles[model])
        plot.setLogMode(x=True, y=True)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "columns")
        plot.setLabel("left", "ms / step")
        plot.addLegend(offset=(10, 10))
        sizes = sorted({r["columns"] for r in rows if r["model"] == model})
        plot.getAxis("bottom").setTicks([[(math.log10(c), f"{c // 1024}K") for c in sizes]])
        for i, name in enumerate(names):
            done = [r for r in rows if r["model"] == model and series(r) == name and "learn_ms" in r]
            for phase, style, symbol in (("learn", Qt.PenStyle.SolidLine, "o"), ("infer", Qt.PenStyle.DashLine, "t")):
                if done:
                    colour = colours[i % len(colours)]
                    plot.plot([r["columns"] for r in done], [r[f"{phase}_ms"] for r in done],
                              pen=pg.mkPen(colour, width=2, style=style), symbol=symbol, symbolSize=7,
                              symbolBrush=colour, name=f"{name} {phase}")
    view.show()
    app.processEvents()
    exporter = ImageExporter(view.scene())
    exporter.parameters()["width"] = 1400
    exporter.export(str(path))
    view.close()


def _print(rows: list[dict]) -> None:
    from benchmarks.table import print_table  # noqa: PLC0415

    keys = ["model", "backend", "permanence_dtype", "columns", "learn_ms", "infer_ms", "learn_x_floor",
            "infer_x_floor", "init_s", "learn_bw_share", "infer_bw_share", "peak_rss_mb", "copy_gb_s", "note"]
    print_table("bench_scaling", [{k: r[k] for k in keys if k in r} for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scaling")
    parser.add_argument("--quick", action="store_true", help="up to 16K columns, 1 s phases")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    parser.add_argument("--budget-s", type=float, default=480.0,
                        help="seconds for the whole run, shared evenly by the backends (default 480)")
    parser.add_argument("--models", default="sp,tm", help="sp, tm or both (default sp,tm)")
    parser.add_argument("--sp-permanence-dtype", choices=PERMANENCE_DTYPES, default="float32",
                        help="how the SP stores its permanences (default float32, the spec's model; "
                             "uint8 takes 256K columns into 17 GB)")
    parser.add_argument("--out", default="", help="folder for scaling.json, scaling.png, scaling.md")
    parser.add_argument("--plot", nargs="+", default=[], metavar="SCALING.json",
                        help="draw scaling.png into --out from these earlier runs (e.g. one from a GPU "
                             "host without pyqtgraph and one from here) instead of measuring")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plot:
        if not args.out:
            parser.error("--plot needs --out DIR for scaling.png")
        rows = runs_to_plot([json.loads(Path(name).read_text()) for name in args.plot])
        Path(args.out).mkdir(parents=True, exist_ok=True)
        write_plot(rows, Path(args.out) / "scaling.png")
        print(f"wrote {Path(args.out) / 'scaling.png'}")
        return 0
    if args.child:
        print(_RESULT + json.dumps(_child_main(json.loads(args.child))), flush=True)
        return 0
    load_before = os.getloadavg()
    started = dt.datetime.now()
    models = tuple(m for m in ("sp", "tm") if m in args.models.split(","))
    if not models:
        parser.error(f"--models must name sp, tm or both (got {args.models!r})")
    rows = run([b for b in args.backends.split(",") if b] or None, quick=args.quick, budget_s=args.budget_s,
               models=models, sp_permanence_dtype=args.sp_permanence_dtype)
    _print(rows)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        meta = {"date": started.isoformat(timespec="seconds"), "seconds": (dt.datetime.now() - started).seconds,
                "machine": _cpu_name(),
                "load_average_before": load_before, "load_average_after": os.getloadavg(),
                "quick": args.quick, "budget_s": args.budget_s, "sp_permanence_dtype": args.sp_permanence_dtype,
                "command": "python -m benchmarks.bench_scaling " + " ".join(argv if argv is not None else sys.argv[1:])}
        (out / "scaling.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
        (out / "scaling.md").write_text(
            f"Measured {meta['date']} on {meta['machine']}, load average {load_before[0]:.1f} before and "
            f"{meta['load_average_after'][0]:.1f} after; `{meta['command']}`.\n\n" + markdown(rows))
        print(f"wrote {out / 'scaling.json'} and {out / 'scaling.md'}")
        try:
            write_plot(rows, out / "scaling.png")
        except Exception as exc:  # e.g. no Qt platform plugin on a headless host: the data is safe
            print(f"scaling.png not written: {type(exc).__name__}: {exc}", file=sys.stderr)
        else:
            print(f"wrote {out / 'scaling.png'}")
    return 0 if all(not r.get("note", "").startswith(("failed", "timed out")) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
