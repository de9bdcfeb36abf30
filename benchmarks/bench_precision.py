"""Reduced-precision permanences: Spatial Pooler speed and results at float32, float16 and
uint8 (``permanence_dtype``, workbench/engine/htm/sp_storage.py), per backend.

    python -m benchmarks.bench_precision [--quick] [--backends numpy,opencl:0] [--large-only]

Workloads (the sine of htm.core's HelloSPTP example: x += 0.01 each step, sin(x) encoded by an
RDSE, radius 0.03, seed 2019, with add_noise(0.01) from CompatRNG(42)):

- hello: the example's SP, 1,000 inputs (RDSE sparsity 0.2) -> 2,048 columns, HTM_SPEC.md's
  defaults (potential radius 16, 5 % active, global inhibition): 5,000 steps with learning, then
  the last 500 inputs again without. On every backend. Its Temporal Memory (2,048 x 8 cells)
  runs on numpy on the first backend's SP output, for the anomaly average of the last 1,000
  learning steps (htm.core's float32 figure: 0.373364).
- sine-65K: the same sine on 16,384 inputs (sparsity 0.05) -> 65,536 columns, potential radius
  2,048 (a window over a quarter of the input, as bench_scaling), potential_pct 0.5, 2 % active:
  300 learning steps, then 100 without. On every OpenCL device (GPUs only with --quick), skipped
  where the permanences would not fit the device or 60 % of the host's available memory; numpy
  is left out (about 40 s of initialisation and 150 ms per step per precision on a 16-core host).

The three precisions' models are built side by side and each phase runs in 20 blocks of steps
that alternate between them, so that a shared machine's changing load hits them alike.
Columns: ms per step (wall clock, the SP's compute call only, the device queue drained at the end
of each block) and the speed-up over float32 on the same backend; "perm MB", the bytes of the
permanence array or buffer the model holds; "init s", the model's construction. Quality against
the float32 model on the same backend and inputs: "agree learn" is the mean over the learning
steps of |A & A32| / |A32| (A the active columns at that step), "agree infer" the same over the
inference pass, "overlap infer" the mean overlap of the winning columns there; "= numpy" says
whether the active columns equal the numpy backend's, step for step, at the same precision.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from benchmarks.table import print_table
from benchmarks.host_memory import available_host_bytes
from workbench.engine.backend import available_backends, get_backend
from workbench.engine.htm.encoders import RDSE, RDSEParameters
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES, permanence_storage
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.temporal_memory import TemporalMemory

WORKLOADS = {
    "hello": {"inputs": 1000, "columns": 2048, "sparsity": 0.2, "potential_radius": 16,
              "potential_pct": 0.5, "density": 0.05, "learn": 5000, "infer": 500},
    "sine-65K": {"inputs": 16384, "columns": 65536, "sparsity": 0.05, "potential_radius": 2048,
                 "potential_pct": 0.5, "density": 0.02, "learn": 300, "infer": 100},
}
QUICK_STEPS = {"hello": (1000, 200), "sine-65K": (30, 10)}
TM_CELLS = 8
ANOMALY_WINDOW = 1000
BLOCKS = 20  # each phase alternates between the precisions' models in this many blocks
MEMORY_SHARE = 0.6  # of the host's available memory the large model may be predicted to use
INIT_HEADROOM = 2.5e9  # bytes the initialisation's per-block tables take on top of the state


def sine_encodings(size: int, sparsity: float, steps: int) -> list[np.ndarray]:
    """HelloSPTP's inputs: sin(x), x += 0.01 in float32, RDSE-encoded, 1 % of bits moved."""
    encoder = RDSE(RDSEParameters(size=size, sparsity=sparsity, radius=0.03, seed=2019))
    noise = CompatRNG(42)
    x = np.float32(0.0)
    out = []
    for _ in range(steps):
        x = np.float32(x + np.float32(0.01))
        value = np.float32(np.sin(np.float64(x)))
        out.append(encoder.encode(value).add_noise(0.01, noise).sparse)
    return out


def _drain(sp: SpatialPooler) -> None:
    queue = getattr(sp._engine, "queue", None)
    if queue is not None:
        queue.finish()


def _held_bytes(buffer_or_array) -> int:
    return int(getattr(buffer_or_array, "nbytes", None) or buffer_or_array.size)


def measure(backend: str, work: dict, data: list[np.ndarray], learn_steps: int,
            infer_steps: int, with_tm: bool) -> dict[str, dict]:
    """One model per precision, run side by side: each phase goes in blocks of steps that
    alternate between the models (so a change in the machine's load hits all of them alike).
    Per precision: timings, the active columns of every step, and the TM's anomalies."""
    runs = {}
    for dtype in PERMANENCE_DTYPES:
        start = time.perf_counter()
        sp = SpatialPooler(work["inputs"], work["columns"],
                           potential_radius=work["potential_radius"],
                           potential_pct=work["potential_pct"], global_inhibition=True,
                           local_area_density=work["density"], backend=backend,
                           permanence_dtype=dtype)
        _drain(sp)
        runs[dtype] = {"sp": sp, "init_s": time.perf_counter() - start, "learned": [],
                       "inferred": [], "anomalies": [], "learn_s": 0.0, "infer_s": 0.0,
                       "tm": TemporalMemory(work["columns"], cells_per_column=TM_CELLS)
                       if with_tm else None}
    block = max(1, learn_steps // BLOCKS)
    for first in range(0, learn_steps, block):
        for run in runs.values():
            sp, tm, spent = run["sp"], run["tm"], 0.0
            for x in data[first:min(first + block, learn_steps)]:
                start = time.perf_counter()
                active = sp.compute(x, learn=True)
                spent += time.perf_counter() - start
                run["learned"].append(active)
                if tm is not None:
                    tm.compute(active, learn=True)
                    run["anomalies"].append(tm.anomaly)
            start = time.perf_counter()
            _drain(sp)
            run["learn_s"] += spent + time.perf_counter() - start
    window = data[learn_steps - infer_steps:learn_steps]
    block = max(1, infer_steps // BLOCKS)
    for first in range(0, infer_steps, block):
        for run in runs.values():
            start = time.perf_counter()
            run["inferred"] += [run["sp"].compute(x, learn=False) for x in window[first:first + block]]
            _drain(run["sp"])
            run["infer_s"] += time.perf_counter() - start
    results = {}
    for dtype, run in runs.items():
        sp, overlaps = run["sp"], []
        for x in window:  # untimed: reading the overlaps back costs a transfer on OpenCL
            active = sp.compute(x, learn=False)
            overlaps.append(float(sp.overlaps[active].mean()) if len(active) else 0.0)
        results[dtype] = {
            "init_s": run["init_s"], "learn_ms": run["learn_s"] * 1e3 / learn_steps,
            "infer_ms": run["infer_s"] * 1e3 / infer_steps, "learned": run["learned"],
            "inferred": run["inferred"], "overlap": float(np.mean(overlaps)),
            "perm_bytes": _held_bytes(sp._engine.perm),
            "anomaly": float(np.mean(run["anomalies"][-ANOMALY_WINDOW:])) if with_tm else None}
    return results


def agreement(runs: list[np.ndarray], reference: list[np.ndarray]) -> float:
    """Mean over steps of the share of the reference's active columns also active in ``runs``."""
    shares = [len(np.intersect1d(a, b, assume_unique=True)) / len(b)
              for a, b in zip(runs, reference) if len(b)]
    return float(np.mean(shares)) if shares else float("nan")


def fit_problem(backend: str, work: dict) -> str:
    """Why the three models of ``work`` would not fit ``backend`` side by side (empty when
    they should): the float32 permanence buffer against the device's largest allocation, all
    their state against its memory, and on a CPU device, whose memory is the host's, that plus
    the initialisation's tables against the host's available memory."""
    runtime = get_backend(backend).runtime
    padded = -(-work["inputs"] // 64) * 64
    perm = work["columns"] * padded * permanence_storage("float32").itemsize
    state = sum(work["columns"] * padded * (permanence_storage(d).itemsize + 1 / 8)
                for d in PERMANENCE_DTYPES)  # the three models live side by side
    device = runtime.device
    if perm > device.max_mem_alloc_size or state > 0.8 * device.global_mem_size:
        return (f"skipped: {perm / 1e9:.1f} GB of float32 permanences ({state / 1e9:.1f} GB for "
                f"the three models) do not fit the device ({device.global_mem_size / 1e9:.1f} GB, "
                f"buffers <= {device.max_mem_alloc_size / 1e9:.1f} GB)")
    host = available_host_bytes()
    if not runtime.is_gpu and state + INIT_HEADROOM > MEMORY_SHARE * host:
        return (f"skipped: {(state + INIT_HEADROOM) / 1e9:.1f} GB predicted > {MEMORY_SHARE:.0%} "
                f"of the {host / 1e9:.1f} GB available")
    return ""


def run(backends: list[str] | None = None, quick: bool = False,
        workloads: tuple[str, ...] = tuple(WORKLOADS)) -> list[dict]:
    """One row per (workload, precision, backend); see the module docstring."""
    names = [b for b in (backends or available_backends()) if b != "opencl"]
    rows = []
    for name in workloads:
        work = WORKLOADS[name]
        learn_steps, infer_steps = QUICK_STEPS[name] if quick else (work["learn"], work["infer"])
        data = sine_encodings(work["inputs"], work["sparsity"], learn_steps)
        which = names
        if name != "hello":
            which = [n for n in names if n != "numpy"
                     and (get_backend(n).runtime.is_gpu or not quick)]
        numpy_runs: dict[str, list[np.ndarray]] = {}
        for index, backend in enumerate(which):
            problem = "" if backend == "numpy" or name == "hello" else fit_problem(backend, work)
            if problem:
                rows.append({"workload": name, "backend": backend, "note": problem})
                continue
            results = measure(backend, work, data, learn_steps, infer_steps,
                              with_tm=name == "hello" and index == 0)
            gc.collect()  # these models' buffers go before the next backend's are built
            baseline = results["float32"]
            for dtype, result in results.items():
                row = {"workload": name, "backend": backend, "dtype": dtype,
                       "learn ms": result["learn_ms"], "infer ms": result["infer_ms"],
                       "learn x": baseline["learn_ms"] / result["learn_ms"],
                       "infer x": baseline["infer_ms"] / result["infer_ms"],
                       "perm MB": result["perm_bytes"] / 1e6, "init s": result["init_s"],
                       "agree learn": agreement(result["learned"], baseline["learned"]),
                       "agree infer": agreement(result["inferred"], baseline["inferred"]),
                       "overlap infer": result["overlap"]}
                if result["anomaly"] is not None:
                    row["anomaly"] = result["anomaly"]
                if backend == "numpy":
                    numpy_runs[dtype] = result["learned"]
                elif dtype in numpy_runs:
                    row["= numpy"] = all(np.array_equal(a, b) for a, b in
                                         zip(result["learned"], numpy_runs[dtype]))
                rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_precision")
    parser.add_argument("--quick", action="store_true",
                        help="fewer steps; the 65K model on GPUs only")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    parser.add_argument("--large-only", action="store_true", help="only the 65,536-column model")
    args = parser.parse_args(argv)
    names = [b for b in args.backends.split(",") if b] or None
    for name in names or available_backends():
        runtime = getattr(get_backend(name), "runtime", None)
        if runtime is not None and name != "opencl":
            print(f"{name}: {runtime.info.describe()}")
    rows = run(names, quick=args.quick,
               workloads=("sine-65K",) if args.large_only else tuple(WORKLOADS))
    print_table("bench_precision", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
