"""Spatial Pooler kernels on OpenCL: per-kernel device times from profiling events, and the
learning kernels' bandwidth against the bytes they must move and the device's copy bandwidth.

    python -m benchmarks.bench_sp_kernels [--backends opencl:0] [--quick] [--gpu-layout]

Why: bench_scaling gives whole steps; this says which kernel a step's time goes to and how
close sp_adapt (learning of the active columns) and sp_bump (the weak columns' bump) come to
the memory's bandwidth.

Configurations, bench_scaling's SP shapes (:func:`benchmarks.bench_scaling.sp_shape`: C
columns, C/4 inputs, potential radius C/32, potential_pct 0.5, global inhibition with 2 %
active, inputs with 5 % of their bits on, 20 seeded inputs cycled): on GPU devices 262,144
columns x 65,536 inputs in uint8 (17 GB of permanences; the build takes several minutes) and
65,536 x 16,384 in float32; where no GPU is among the backends, and always with ``--quick``,
4,096 x 1,024 in uint8 and 2,048 x 512 in float32 on every OpenCL device (a few seconds on
PoCL: the code path is exercised on every machine). ``--gpu-layout`` makes a CPU device use
the GPU layout (word-major bitmask, 16-byte vectors), as the tests do.

Phases per configuration: build, 3 warm-up learning steps, 20 learning steps, 20 inference
steps, then 5 learning steps with as many weak columns as active ones (their overlap duty
cycles reset to 0 under a minimum of 1, so that sp_bump runs). All fit in 48 steps, so the
every-50th inhibition radius and minimum duty cycle update does not run.

Tables (rows for the JSON carry a ``table`` key):

- ``configs``: device, layout, build seconds, copy GB/s (bench_scaling's
  :func:`~benchmarks.bench_scaling.measure_copy_bandwidth`: a 256 MB buffer-to-buffer copy,
  read and write counted) and the written share of a row (below).
- ``steps``: wall ms per learning and inference step (the queue finished after the phase),
  the bytes bench_scaling's :func:`~benchmarks.bench_scaling.sp_step_bytes` gives such a step,
  and their GB/s and share of the copy bandwidth.
- ``kernels``: each kernel's device time per call (profiling start to end) and calls per step,
  and its share of the step's wall time. The runtime's queue is swapped for a profiling queue
  before the model is built (the engine keeps the queue it was built with) and restored
  afterwards, so later benchmarks in the same process run as before.
- ``bandwidth``: sp_adapt and sp_bump, GB/s against
  - compulsory bytes: every adapted row read and written in full (stored permanences, padded
    to 64 inputs) plus the row's connected words written (8 bytes per 64 inputs):
    bench_scaling's learning term;
  - moved bytes: what the GPU-layout kernels actually touch, as they do not rewrite a 16-byte
    vector wholly outside the potential pool: the row read in full, the vectors with a pool
    input (and the tail words) written, measured on a sample of the active columns' pools, and
    the connected words written. In the CPU layout both are the same.
MB and GB are 10^6 and 10^9 bytes.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from benchmarks.bench_scaling import (SP_ACTIVE_FRACTION, measure_copy_bandwidth, memory_problem,
                                      sp_shape, sp_step_bytes)
from benchmarks.table import print_table
from workbench.engine.backend import available_backends, get_backend, opencl_problem
from workbench.engine.htm.spatial_pooler import SpatialPooler

CONFIGS = ((262144, "uint8"), (65536, "float32"))  # (columns, permanence dtype) on GPUs
SMALL_CONFIGS = ((4096, "uint8"), (2048, "float32"))
WARMUP_STEPS, LEARN_STEPS, BUMP_STEPS = 3, 20, 5
INPUTS_CYCLED = 20
POOL_SAMPLE = 256  # active columns whose pools give the written share of a row


@contextmanager
def profiling_queue(backend: str, gpu_layout: bool = False) -> Iterator[object]:
    """The backend's runtime with a profiling queue in place of its own (and, with
    ``gpu_layout``, taken for a GPU); both restored on exit, the profiling queue finished."""
    runtime = get_backend(backend).runtime
    cl = runtime.cl
    queue, is_gpu = runtime.queue, runtime.is_gpu
    runtime.queue = cl.CommandQueue(runtime.context,
                                    properties=cl.command_queue_properties.PROFILING_ENABLE)
    runtime.is_gpu = is_gpu or gpu_layout
    try:
        yield runtime
    finally:
        runtime.queue.finish()
        runtime.queue, runtime.is_gpu = queue, is_gpu


def record_kernels(engine) -> dict[str, list]:
    """Wrap the SP engine's kernels (on the instance) so that every launch's event is kept,
    per kernel name."""
    events: dict[str, list] = defaultdict(list)

    def wrap(name, kernel):
        def call(queue, *args):
            event = kernel(queue, *args)
            events[name].append(event)
            return event
        return call

    engine._k = {name: wrap(name, kernel) for name, kernel in engine._k.items()}
    return events


def device_ms(events: list) -> float:
    """Mean device time of the events in ms (profiling start to end)."""
    return float(np.mean([(e.profile.end - e.profile.start) * 1e-6 for e in events]))


def written_share(engine, columns: np.ndarray) -> float:
    """Share of a row's stored bytes the GPU-layout kernels write for these columns: the 16-byte
    vectors with at least one pool input, plus every value of the tail words (written one at a
    time); 1 in the CPU layout."""
    if not engine._word_major:
        return 1.0
    words, lanes = engine._words, 16 // engine.storage.itemsize
    groups = words // lanes
    written = []
    for column in columns:
        pool = np.zeros(engine._stride, dtype=bool)
        pool[: engine.p.num_inputs] = engine.permanence_row(int(column)) >= 0
        stripes = pool.reshape(64, words)  # [k, w]: input k * words + w
        vectors = stripes[:, : groups * lanes].reshape(64, groups, lanes).any(axis=2).sum()
        written.append(vectors * lanes + 64 * (words - groups * lanes))
    return float(np.mean(written)) / engine._stride


def run_steps(sp: SpatialPooler, data: list[np.ndarray], first: int, steps: int,
              learn: bool) -> tuple[float, float]:
    """(wall ms per step, mean active columns) of ``steps`` steps, the queue finished after."""
    queue = sp._engine.queue
    queue.finish()
    active = []
    start = time.perf_counter()
    for k in range(first, first + steps):
        active.append(len(sp.compute(data[k % len(data)], learn=learn)))
    queue.finish()
    return (time.perf_counter() - start) * 1e3 / steps, float(np.mean(active))


def kernel_bandwidth(name: str, ms: float, columns: float, engine, share: float,
                     copy_gb_s: float) -> dict:
    """GB/s of an adapting kernel over ``columns`` rows against its compulsory and moved bytes
    (see the module docstring)."""
    row = engine._stride * engine.storage.itemsize
    words = 8 * engine._words
    compulsory = columns * (2 * row + words)
    moved = columns * (row + share * row + words)
    return {"table": "bandwidth", "kernel": name, "device ms": ms, "columns": columns,
            "compulsory MB": compulsory / 1e6, "GB/s (compulsory)": compulsory / ms / 1e6,
            "% copy (compulsory)": 100 * compulsory / ms / 1e6 / copy_gb_s,
            "moved MB": moved / 1e6, "GB/s (moved)": moved / ms / 1e6,
            "% copy (moved)": 100 * moved / ms / 1e6 / copy_gb_s}


def profile(backend: str, runtime, columns: int, dtype: str, copy_gb_s: float) -> list[dict]:
    """The configs, steps, kernels and bandwidth rows of one SP configuration (built on the
    profiling queue now in ``runtime``)."""
    shape = sp_shape(columns)
    label = {"backend": backend, "config": f"{columns} cols x {shape['inputs']} inputs, {dtype}"}
    problem = memory_problem(backend, "sp", columns, None, dtype)  # bench_scaling's fit check
    if problem:
        return [{"table": "configs", **label, "note": problem}]
    gen = np.random.default_rng(0)
    data = [np.sort(gen.choice(shape["inputs"], shape["active_inputs"], replace=False))
            for _ in range(INPUTS_CYCLED)]
    start = time.perf_counter()
    sp = SpatialPooler(shape["inputs"], columns, potential_radius=shape["potential_radius"],
                       potential_pct=0.5, global_inhibition=True,
                       local_area_density=SP_ACTIVE_FRACTION, backend=backend,
                       permanence_dtype=dtype)
    engine = sp._engine
    engine.queue.finish()
    build_s = time.perf_counter() - start
    print(f"{backend}, {label['config']}: built in {build_s:.1f} s", flush=True)

    events = record_kernels(engine)
    run_steps(sp, data, 0, WARMUP_STEPS, True)
    phases = {}
    first = WARMUP_STEPS
    for phase, learn in (("learn", True), ("infer", False)):
        events.clear()
        ms, active = run_steps(sp, data, first, LEARN_STEPS, learn)
        phases[phase] = (ms, active, {name: list(e) for name, e in events.items()})
        first += LEARN_STEPS
    sample = sp.active_columns[:: max(1, len(sp.active_columns) // POOL_SAMPLE)]
    share = written_share(engine, sample)

    weak = np.arange(0, columns, max(1, round(1 / SP_ACTIVE_FRACTION)))
    min_odc = np.zeros(columns, np.float32)
    min_odc[weak] = 1
    engine.set("odc", np.zeros(columns, np.float32))
    engine.set("min_odc", min_odc)
    events.clear()
    run_steps(sp, data, first, BUMP_STEPS, True)
    bump_events = list(events.get("sp_bump", []))

    rows = [{"table": "configs", **label, "device": runtime.info.describe(),
             "layout": "GPU (word-major)" if engine._word_major else "CPU (column-major)",
             "build s": build_s, "copy GB/s": copy_gb_s, "written share": share}]
    for phase, (ms, active, _) in phases.items():
        step_bytes = sp_step_bytes(backend, phase == "learn", columns, shape["inputs"],
                                   shape["active_inputs"], active, dtype)
        rows.append({"table": "steps", **label, "phase": phase, "ms/step (wall)": ms,
                     "active": active, "model MB": step_bytes / 1e6,
                     "GB/s": step_bytes / ms / 1e6,
                     "% copy": 100 * step_bytes / ms / 1e6 / copy_gb_s})
    for phase, (step_ms, _, recorded) in phases.items():
        for name, evs in sorted(recorded.items()):
            ms, calls = device_ms(evs), len(evs) / LEARN_STEPS
            rows.append({"table": "kernels", **label, "phase": phase, "kernel": name,
                         "calls/step": calls, "device ms": ms,
                         "% of step": 100 * ms * calls / step_ms})
    _, learn_active, learn_events = phases["learn"]
    rows.append({**label, **kernel_bandwidth("sp_adapt", device_ms(learn_events["sp_adapt"]),
                                             learn_active, engine, share, copy_gb_s)})
    if bump_events:
        rows.append({**label, **kernel_bandwidth("sp_bump", device_ms(bump_events),
                                                 float(len(weak)), engine, share, copy_gb_s)})
    return rows


def run(backends: list[str] | None = None, quick: bool = False,
        gpu_layout: bool = False) -> list[dict]:
    """Rows of every table (see the module docstring) for each OpenCL backend: the full sizes
    on the GPUs among them, or, where there is none (and with ``quick``), the small ones on
    every OpenCL device. ``gpu_layout`` makes CPU devices use the GPU layout."""
    names = list(dict.fromkeys("opencl:0" if b == "opencl" else b
                               for b in (backends or available_backends()) if b.startswith("opencl")))
    problem = opencl_problem()
    if not names or problem:
        return [{"table": "configs", "note": f"nothing to profile: {problem or 'no OpenCL backend asked for'}"}]
    gpus = [b for b in names if get_backend(b).runtime.is_gpu]
    if gpus and not quick:
        names, configs = gpus, CONFIGS
    else:
        configs = SMALL_CONFIGS
    rows = []
    for backend in names:
        copy_gb_s = measure_copy_bandwidth(backend)["copy_gb_s"]
        with profiling_queue(backend, gpu_layout) as runtime:
            for columns, dtype in configs:
                rows += profile(backend, runtime, columns, dtype, copy_gb_s)
                gc.collect()  # the last model's device buffers go before the next is built
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sp_kernels")
    parser.add_argument("--backends", default="",
                        help="comma-separated OpenCL backends (default: every OpenCL device)")
    parser.add_argument("--quick", action="store_true",
                        help="the small configurations, whatever the device")
    parser.add_argument("--gpu-layout", action="store_true",
                        help="use the GPU layout on CPU devices too (as the tests do)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = run([b for b in args.backends.split(",") if b] or None, quick=args.quick,
               gpu_layout=args.gpu_layout)
    for table in dict.fromkeys(r["table"] for r in rows):
        print_table(f"bench_sp_kernels: {table}",
                    [{k: v for k, v in r.items() if k != "table"} for r in rows if r["table"] == table])
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
