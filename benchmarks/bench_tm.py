"""Temporal Memory speed: milliseconds per step, learning and inferring, numpy vs OpenCL.

    .venv/bin/python -m benchmarks.bench_tm [--quick] [--backends numpy,opencl:0]
        [--large 65536,262144]

Each OpenCL device is timed twice: with the host's learning walk and a device-counted index
("opencl:0"), and resident, every step on the device ("opencl:0 resident",
:mod:`workbench.engine.htm.tm_resident_cl`); a TemporalMemory picks the second on a GPU, the
first on a CPU device. To time one engine, name it: "opencl:0 host" or "opencl:0 resident".

Workload (htm.core's TM benchmark shape): 20 sequences of 50 random SDRs, each sequence
followed by a reset; 5 passes with learning on (the "learn" time averages all of them, from an
empty TM to a trained one), then two passes with learning off: "infer" reads nothing between
steps (on OpenCL the step stays on the device; each reset brings the last step back), "infer,
views read" reads the anomaly and the predictive cells after every step, as a GUI or a
recording does (on OpenCL such a step is walked on the host, which starts the device's count
as soon as the active cells are known and picks the winners meanwhile; a resident TM runs it on
the device and reads the views back). Of that last pass (not for a resident TM, which has no
separate dendrite calls: n/a), "dendrites" is the time spent in the dendrite engine's calls
(spec step 1: starting the count and finishing it; on OpenCL the upload, the kernels and the
read, less what the device did while the host chose the winners), "floor" a count started
and finished for one active cell (the round trip with next to no work), and "dendrites / floor" their ratio: the performance issue's
"within 2x of the launch-latency floor". Two sizes: 2,048 columns x 32 cells with 40 active
columns, and 4,096 x 32 with 300 active (and larger sizes with 2 % active: 65,536 by default
with a GPU among the backends, ``--large`` ones whatever the backends). htm.core's figures for
the same shapes are 0.51 / 0.11 ms and 6.07 / 0.82 ms (learn / infer); the issue's target for
the numpy path is within 3x of them.

Each figure is given as wall-clock time and as this process's CPU time (all its threads): on a
shared machine the wall clock also counts the time other programs held the cores.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from benchmarks.table import print_table
from workbench.engine.backend import available_backends
from workbench.engine.htm.temporal_memory import TemporalMemory

CONFIGS = [
    # (columns, cells per column, active columns, htm.core learn ms, htm.core infer ms)
    (2048, 32, 40, 0.51, 0.11),
    (4096, 32, 300, 6.07, 0.82),
]
LARGE_COLUMNS = (65536,)  # 2 % active, 4 sequences x 2 passes; timed only when a GPU is present
SEQUENCES, LENGTH, PASSES = 20, 50, 5
QUICK_SEQUENCES, QUICK_PASSES = 4, 2


def workload(columns: int, active: int, sequences: int, seed: int = 0) -> list[list[np.ndarray]]:
    gen = np.random.default_rng(seed)
    return [[np.sort(gen.choice(columns, active, replace=False)) for _ in range(LENGTH)]
            for _ in range(sequences)]


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _ms_per_step(start: tuple[float, float], steps: int) -> tuple[float, float]:
    wall, cpu = _clock()
    return (wall - start[0]) * 1e3 / steps, (cpu - start[1]) * 1e3 / steps


def engine_of(name: str) -> tuple[str, bool | None]:
    """(backend, resident) of a timed name: "opencl:0 resident" is opencl:0, resident."""
    backend, _, engine = name.partition(" ")
    if engine not in ("", "host", "resident"):
        raise ValueError(f"unknown engine {engine!r} in {name!r}; write e.g. 'opencl:0 resident'")
    return backend, (None if backend == "numpy" else engine == "resident")


def time_backend(name: str, columns: int, cells: int, data: list[list[np.ndarray]],
                 passes: int) -> dict[str, tuple[float, float]]:
    """{phase: (wall, cpu)} in ms/step of one TM on ``name`` (a backend, "resident" after an
    OpenCL one for the resident engine): learn, infer, infer with the views read, the
    dendrite share of that last pass, and the floor (NaN for a resident TM)."""
    backend, resident = engine_of(name)
    warm = TemporalMemory(64, cells_per_column=4, backend=backend, resident=resident)
    warm.compute(np.arange(4))  # kernels built, not timed
    warm.compute(np.arange(4), learn=False)
    warm.anomaly
    tm = TemporalMemory(columns, cells_per_column=cells, backend=backend, resident=resident)
    per_pass = sum(len(s) for s in data)
    start = _clock()
    for _ in range(passes):
        for sequence in data:
            for cols in sequence:
                tm.compute(cols, learn=True)
            tm.reset()
    learn = _ms_per_step(start, passes * per_pass)
    engine = tm._engine
    # the dendrite share of the views-read pass: the engine's calls that count, less the
    # index's sync with the pool in them
    resident = getattr(engine, "resident", False)
    counting = [] if resident else [
        name for name in ("start_activity", "finish_activity", "infer_step", "read_step", "sync")
        if hasattr(engine, name)]
    originals = {name: getattr(engine, name) for name in counting}
    spent = [0.0, 0.0]

    def timed(method, sign):
        def call(*args):
            wall, cpu = _clock()
            result = method(*args)
            spent[0] += sign * (time.perf_counter() - wall)
            spent[1] += sign * (time.process_time() - cpu)
            return result
        return call

    infer = {}
    for phase, read_views in (("infer", False), ("infer, views read", True)):
        if read_views:
            for name, method in originals.items():
                setattr(engine, name, timed(method, -1 if name == "sync" else 1))
        start = _clock()
        for sequence in data:
            for cols in sequence:
                tm.compute(cols, learn=False)
                if read_views:
                    tm.anomaly, tm.predictive_cells
            tm.reset()
        infer[phase] = _ms_per_step(start, per_pass)
    for name, method in originals.items():
        setattr(engine, name, method)
    if resident:
        return {"learn": learn, **infer, "dendrites": (math.nan,) * 2, "floor": (math.nan,) * 2}
    dendrites = (spent[0] * 1e3 / per_pass, spent[1] * 1e3 / per_pass)
    return {"learn": learn, **infer, "dendrites": dendrites, "floor": _dendrite_floor(tm, data)}


def _dendrite_floor(tm: TemporalMemory, data: list[list[np.ndarray]], calls: int = 200) -> tuple[float, float]:
    """ms per dendrite-activity call for one active cell (the first cell of the first input's
    first column, which learning gave synapses): the fixed cost of the engine's round trip
    (upload, launches, read) with next to no work, the floor the issue compares against."""
    cell = np.array([int(data[0][0][0]) * tm.cells_per_column], dtype=np.int64)
    engine = tm._engine  # start and finish: a device's round trip (activity may count on the host)
    engine.finish_activity(engine.start_activity(tm._pool, cell))
    start = _clock()
    for _ in range(calls):
        engine.finish_activity(engine.start_activity(tm._pool, cell))
    return _ms_per_step(start, calls)


def run(backends: list[str] | None = None, quick: bool = False,
        large: tuple[int, ...] | None = None) -> list[dict]:
    """One row per (size, phase): wall and CPU ms/step per backend, htm.core's figure, and the
    ratios to it. ``large``: the large sizes, timed whatever the backends (None: the default
    ones, timed only with a GPU among the backends)."""
    names = [f"{b}{engine}" for b in (backends or available_backends()) if b != "opencl"
             for engine in ([""] if b == "numpy" or " " in b else ["", " resident"])]
    sequences, passes = (QUICK_SEQUENCES, QUICK_PASSES) if quick else (SEQUENCES, PASSES)
    configs = [(c, sequences, passes) for c in CONFIGS]
    if large is None:
        large = LARGE_COLUMNS if any(_is_gpu(n) for n in names) and not quick else ()
    configs += [((c, 32, round(0.02 * c), None, None), QUICK_SEQUENCES, QUICK_PASSES)
                for c in large]
    rows = []
    for (columns, cells, active, ref_learn, ref_infer), n_seq, n_pass in configs:
        data = workload(columns, active, n_seq)
        timings = {name: time_backend(name, columns, cells, data, n_pass) for name in names}
        for phase, ref in (("learn", ref_learn), ("infer", ref_infer),
                           ("infer, views read", ref_infer), ("dendrites", None), ("floor", None)):
            row: dict = {"size": f"{columns}x{cells}, {active} active", "phase": phase,
                         "passes": f"{n_seq} sequences x {n_pass}"}
            for name in names:
                row[f"{name} ms"], row[f"{name} cpu ms"] = timings[name][phase]
            if ref is not None:
                row["htm.core ms"] = ref
                for name in names:
                    row[f"{name} / htm.core"] = timings[name][phase][0] / ref
                    row[f"{name} cpu / htm.core"] = timings[name][phase][1] / ref
            rows.append(row)
        row = {"size": rows[-1]["size"], "phase": "dendrites / floor", "passes": rows[-1]["passes"]}
        for name in names:
            row[f"{name} ms"] = timings[name]["dendrites"][0] / timings[name]["floor"][0]
        rows.append(row)
    return rows


def _is_gpu(name: str) -> bool:
    from workbench.engine.backend import get_backend  # noqa: PLC0415

    runtime = getattr(get_backend(engine_of(name)[0]), "runtime", None)
    return bool(runtime is not None and runtime.is_gpu)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tm")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SEQUENCES} sequences, {QUICK_PASSES} learning passes")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    parser.add_argument("--large", default=None,
                        help="comma-separated column counts, 2 %% active, timed whatever the "
                             "backends (default: 65536, timed when a GPU is present; 262144 takes "
                             "a few minutes)")
    args = parser.parse_args()
    large = None if args.large is None else tuple(int(c) for c in args.large.split(",") if c)
    print_table("bench_tm", run([b for b in args.backends.split(",") if b] or None,
                                quick=args.quick, large=large))
