"""Memory: bytes per synapse and per segment of the Spatial Pooler and the Temporal Memory on
each backend, and the peak memory of the 256K-column SP + TM model.

    python -m benchmarks.bench_memory [--quick] [--backends numpy,opencl:0] [--full-256k DTYPE]

Every figure is read from the arrays and OpenCL buffers a built model holds (the attributes of
its engine and segment pool, a view counted once, Python containers by ``sys.getsizeof``), then
checked against the layout's formula:

- SP (proximal synapses): bench_scaling's 4,096-column model (1,024 inputs, potential radius
  128) at each permanence precision (``permanence_dtype``). Storage is dense, so the bytes per
  (column, input) pair are the cost; per potential synapse it is that over the pool's share of
  the input. "per column" adds the per-column arrays (overlaps, duty cycles, boost, ...).
- TM (distal segments): the model of bench_scaling's shape (32 cells per column, 2 % of the
  columns active), trained on random sequences (2 of 10 steps, 2 passes): the bytes of the
  segment rows, the presynaptic index and the segment bookkeeping per live segment and per live
  synapse; "per row" is the fixed-width row a segment occupies, against its formula.

The 256K-column model (262,144 columns; SP 65,536 inputs, radius 8,192, as bench_scaling): the
TM is built and trained in a child process per backend, which reports its peak RSS (resource's
ru_maxrss; its interpreter, numpy and OpenCL runtime before the model are the baseline) and the
host and device bytes it holds, the largest seen after any step. Its SP is 17-69 GB of dense
permanences (by precision), which neither fits this benchmark's few minutes (its
initialisation draws 8.6 G random numbers) nor most hosts: its state is projected from the
bytes per pair and per column measured above, with whether it fits the device (largest buffer
and global memory) and the host. ``--full-256k DTYPE`` builds the whole SP + TM at 256K on every
backend where it fits, at that precision, feeding the TM the SP's columns (minutes per backend).
MB and GB are 10^6 and 10^9 bytes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.bench_scaling import SP_ACTIVE_FRACTION, TM_CELLS, sp_shape, tm_shape
from benchmarks.table import print_table
from benchmarks.host_memory import available_host_bytes, peak_rss_mb, rss_now_mb

SP_COLUMNS = 4096
LARGE_COLUMNS = 262_144
QUICK_TM_COLUMNS = 16_384
TM_PROTOCOL = {"sequences": 2, "length": 10, "passes": 2}
SP_SYNAPSE_ARRAYS = ("perm", "conn_t", "conn")  # per (column, input) pair in the SP engines
TM_ROW_ARRAYS = ("pre", "perm", "count", "owner", "_counters", "_found", "_owner")
TM_INDEX_ARRAYS = ("entries", "position", "_bins")  # _bins: the device mirror
# per cell, and per column (the OpenCL engine's inference state: stamps, winners, best keys)
TM_CELL_ARRAYS = ("segments_per_cell", "cell_start", "cell_cap", "cell_len", "_bounds",
                  "_segments_per_cell", "_pred_stamp", "_winner_of", "_winner_step",
                  "_burst_stamp", "_best_key")
TM_STAGING_ARRAYS = ("_staging",)  # the OpenCL engine's upload buffer
MEMORY_SHARE = 0.6  # of the host's available memory a model may be predicted to use
_RESULT = "MEMORY-RESULT "
_REPO = Path(__file__).resolve().parents[1]


# -- what a model holds -------------------------------------------------------------------------
@dataclass(frozen=True)
class Held:
    """One attribute's memory: ``place`` is "host" (numpy), "device" (an OpenCL buffer) or
    "python" (a dict, list or set: the containers and the numbers in them); ``length`` is a
    numpy array's first dimension (0 otherwise)."""

    owner: str
    name: str
    place: str
    nbytes: int
    length: int = 0


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _memory_object_type() -> tuple[type, ...]:
    try:
        import pyopencl as cl  # noqa: PLC0415

        return (cl.MemoryObject,)
    except Exception:  # no OpenCL: nothing can be a buffer
        return ()


def container_bytes(value, seen: set[int]) -> int:
    """Bytes of a dict / list / set / tuple and what it holds, recursively: containers and
    scalars by ``sys.getsizeof``, numpy arrays by their data; anything in ``seen`` (by id) is
    counted elsewhere, and what this counts is added to ``seen``."""
    if isinstance(value, np.ndarray):
        root = _root(value)
        if id(root) in seen:
            return 0
        seen.add(id(root))
        return root.nbytes
    if id(value) in seen:
        return 0
    seen.add(id(value))
    total = sys.getsizeof(value)
    if isinstance(value, dict):
        for key, item in value.items():
            total += container_bytes(key, seen) + container_bytes(item, seen)
    elif isinstance(value, (list, set, tuple, frozenset)):
        for item in value:
            total += container_bytes(item, seen)
    return total


def held_memory(owner: str, obj, seen: set[int], containers: bool = True) -> list[Held]:
    """The arrays, OpenCL buffers and (with ``containers``) dicts, lists and sets ``obj`` holds
    as attributes, skipping those in ``seen`` (by id) and adding these to it: an array and its
    views count once."""
    buffer_type = _memory_object_type()
    out = []
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray):
            root = _root(value)
            if id(root) not in seen:
                seen.add(id(root))
                out.append(Held(owner, name, "host", root.nbytes, len(root) if root.ndim else 0))
        elif buffer_type and isinstance(value, buffer_type):
            if id(value) not in seen:
                seen.add(id(value))
                out.append(Held(owner, name, "device", int(value.size)))
        elif containers and isinstance(value, (dict, list, set)):
            size = container_bytes(value, seen)
            if size:
                out.append(Held(owner, name, "python", size))
    return out


def total(held: list[Held], names: tuple[str, ...] | None = None, place: str | None = None) -> int:
    """Bytes of the entries named in ``names`` (all when None) in ``place`` (any when None)."""
    return sum(h.nbytes for h in held if (names is None or h.name in names)
               and (place is None or h.place == place))


# -- Spatial Pooler ----------------------------------------------------------------------------
def sp_bytes_per_pair_formula(backend: str, dtype: str, columns: int, inputs: int) -> float:
    """The layouts' bytes per (column, input) pair (sp_numpy.py, sp_opencl.py): numpy, a
    permanence (inputs x columns) plus a uint8 connected flag in the transposed matrix (columns
    padded to 8); OpenCL, a permanence per input padded to 64, plus one bit."""
    itemsize = np.dtype(dtype).itemsize
    if backend == "numpy":
        return itemsize + (-(-columns // 8) * 8) / columns
    padded = -(-inputs // 64) * 64
    return (itemsize + 1 / 8) * padded / inputs


def sp_memory(sp, count_potential: bool = True) -> dict:
    """Bytes of a built Spatial Pooler: per pair, per column and (``count_potential``: reads
    every permanence back) per potential synapse."""
    held = held_memory("engine", sp._engine, set(), containers=False)
    columns, inputs = sp.num_columns, sp.num_inputs
    synapses = total(held, SP_SYNAPSE_ARRAYS)
    arrays = total(held)
    potential = int((sp.permanence_matrix() >= 0).sum()) if count_potential else 0
    return {"columns": columns, "inputs": inputs, "potential": potential,
            "synapse_bytes": synapses, "column_bytes": arrays - synapses,
            "host_bytes": total(held, place="host"), "device_bytes": total(held, place="device"),
            "per_pair": synapses / (columns * inputs),
            "per_potential": synapses / potential if potential else float("nan"),
            "per_column": arrays / columns, "per_column_arrays": (arrays - synapses) / columns,
            "per_pair_formula": sp_bytes_per_pair_formula(sp.backend if sp.backend == "numpy"
                                                          else "opencl", sp.params.permanence_dtype,
                                                          columns, inputs)}


def measure_sp(backend: str, dtype: str, columns: int = SP_COLUMNS) -> dict:
    from workbench.engine.htm.spatial_pooler import SpatialPooler  # noqa: PLC0415

    shape = sp_shape(columns)
    sp = SpatialPooler(shape["inputs"], columns, potential_radius=shape["potential_radius"],
                       potential_pct=0.5, global_inhibition=True,
                       local_area_density=SP_ACTIVE_FRACTION, backend=backend,
                       permanence_dtype=dtype)
    gen = np.random.default_rng(0)
    for _ in range(5):
        sp.compute(np.sort(gen.choice(shape["inputs"], shape["active_inputs"], replace=False)))
    return sp_memory(sp)


# -- Temporal Memory ---------------------------------------------------------------------------
def tm_row_formula(width: int, device: bool) -> int:
    """Bytes of one segment row: on the host (tm_segments.py) per slot an int32 presynaptic
    cell and a float32 permanence, per row an int32 count and an int64 owner; on the device
    (tm_dendrites_cl.py) per row only a packed int32 counter, room for a found triple
    (3 int32) and the owner cell (int32): the synapses are in the index mirror."""
    return 4 + 12 + 4 if device else width * 8 + 4 + 8


def tm_held(tm, containers: bool = True) -> list[Held]:
    """What a Temporal Memory holds: its own arrays, its segment pool's and its dendrite
    engine's."""
    seen: set[int] = set()
    return [h for owner, obj in (("tm", tm), ("pool", tm._pool), ("engine", tm._engine))
            for h in held_memory(owner, obj, seen, containers)]


def tm_bucket(held: Held, num_cells: int) -> str:
    """Which structure of a Temporal Memory an entry belongs to: "row" (segment rows, host or
    device), "index" (numpy's presynaptic index), "cell" (named per-cell arrays, and any other
    array with one entry per cell), "bookkeeping" (the pool's Python containers), "staging"
    (upload buffers), "activity" (the TM's other, per-step arrays) or "other"."""
    if held.name in TM_ROW_ARRAYS:
        return "row"
    if held.name in TM_INDEX_ARRAYS:
        return "index"
    if held.name in TM_STAGING_ARRAYS:
        return "staging"
    one_per_cell = held.place == "host" and held.length in (num_cells, num_cells + 1)
    if held.name in TM_CELL_ARRAYS or one_per_cell:
        return "cell"
    if held.owner == "pool" and held.place == "python":
        return "bookkeeping"
    return "activity" if held.owner == "tm" else "other"


def tm_memory(tm) -> dict:
    """Bytes of a built Temporal Memory by structure, per live segment, synapse and row."""
    held = tm_held(tm)
    pool = tm._pool
    rows = len(pool.count)
    segments, synapses = tm.num_segments(), tm.num_synapses()
    buckets = {h: tm_bucket(h, tm.num_cells) for h in held}

    def bucket(name: str, place: str | None = None) -> int:
        return total([h for h in held if buckets[h] == name], place=place)

    row_host, row_device = bucket("row", "host"), bucket("row", "device")
    index, bookkeeping, cells = bucket("index"), bucket("bookkeeping"), bucket("cell")
    segment_total = row_host + row_device + index + bookkeeping
    return {"segments": segments, "synapses": synapses, "rows": rows, "width": pool.width,
            "row_host_bytes": row_host, "row_device_bytes": row_device, "index_bytes": index,
            "bookkeeping_bytes": bookkeeping, "cell_bytes": cells,
            "staging_bytes": bucket("staging"), "activity_bytes": bucket("activity"),
            "other_bytes": bucket("other"),
            "other": sorted(f"{h.owner}.{h.name}" for h in held if buckets[h] == "other"),
            "held_bytes": total(held),
            "host_bytes": total(held, place="host") + total(held, place="python"),
            "device_bytes": total(held, place="device"),
            "per_segment": segment_total / max(segments, 1),
            "per_synapse": segment_total / max(synapses, 1),
            "per_row_host": row_host / rows, "per_row_device": row_device / rows if row_device else 0.0,
            "per_row_formula_host": tm_row_formula(pool.width, False),
            "per_row_formula_device": tm_row_formula(pool.width, True) if row_device else 0,
            "per_cell": cells / tm.num_cells}


def measure_model(backend: str, columns: int, sp_dtype: str | None) -> dict:
    """A TM of ``columns`` (and, with ``sp_dtype``, the SP feeding it) trained on TM_PROTOCOL;
    run in a child process: peak RSS and the largest held bytes seen after any step."""
    from workbench.engine.backend import get_backend  # noqa: PLC0415
    from workbench.engine.htm.spatial_pooler import SpatialPooler  # noqa: PLC0415
    from workbench.engine.htm.temporal_memory import TemporalMemory  # noqa: PLC0415

    get_backend(backend)
    # the host-walked engine, whose rows and index the memory model describes
    warm = TemporalMemory(64, cells_per_column=4, backend=backend, resident=False)
    warm.compute(np.arange(4))
    del warm
    baseline = rss_now_mb()
    start = time.perf_counter()
    shape, tm_size = sp_shape(columns), tm_shape(columns)
    sp = None
    if sp_dtype is not None:
        sp = SpatialPooler(shape["inputs"], columns, potential_radius=shape["potential_radius"],
                           potential_pct=0.5, global_inhibition=True,
                           local_area_density=SP_ACTIVE_FRACTION, backend=backend,
                           permanence_dtype=sp_dtype)
    tm = TemporalMemory(columns, cells_per_column=TM_CELLS, backend=backend, resident=False)
    init_s = time.perf_counter() - start
    gen = np.random.default_rng(0)
    length, sequences = TM_PROTOCOL["length"], TM_PROTOCOL["sequences"]
    if sp is None:
        data = [[np.sort(gen.choice(columns, tm_size["active_columns"], replace=False))
                 for _ in range(length)] for _ in range(sequences)]
    else:
        data = [[np.sort(gen.choice(shape["inputs"], shape["active_inputs"], replace=False))
                 for _ in range(length)] for _ in range(sequences)]
    largest = {"host": 0, "device": 0}
    start = time.perf_counter()
    for _ in range(TM_PROTOCOL["passes"]):
        for sequence in data:
            for x in sequence:
                tm.compute(x if sp is None else sp.compute(x, learn=True), learn=True)
                held = tm_held(tm, containers=False)
                if sp is not None:
                    held += held_memory("sp", sp._engine, set(), containers=False)
                for place in largest:
                    largest[place] = max(largest[place], total(held, place=place))
            tm.reset()
    out = {"backend": backend, "columns": columns, "init_s": init_s,
           "steps_s": time.perf_counter() - start, "baseline_rss_mb": baseline,
           "peak_rss_mb": peak_rss_mb(), "largest_host_mb": largest["host"] / 1e6,
           "largest_device_mb": largest["device"] / 1e6, "tm": tm_memory(tm)}
    if sp is not None:
        out["sp"] = sp_memory(sp, count_potential=False)
        out["sp_dtype"] = sp_dtype
    return out


def _in_child(spec: dict, timeout: float = 600) -> tuple[dict | None, str]:
    """(result, problem): :func:`measure_model` in a fresh interpreter, so its peak is its own."""
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.bench_memory", "--child",
                               json.dumps(spec)], cwd=_REPO, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT):
            return json.loads(line[len(_RESULT):]), ""
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return None, f"failed (exit {done.returncode}): {tail}"


# -- fitting the 256K model ----------------------------------------------------------------------
def sp_fit(backend: str, dtype: str, columns: int, per_pair: float, per_column: float) -> dict:
    """The SP of ``columns`` (bench_scaling's shape) projected from measured bytes per pair and
    per column (the per-column arrays alone): its state, its largest buffer, and whether both
    fit (the device's largest allocation and 80 % of its memory; 60 % of the host's available
    memory for numpy and for a CPU device, whose memory is the host's)."""
    from workbench.engine.backend import get_backend  # noqa: PLC0415

    shape = sp_shape(columns)
    inputs = shape["inputs"]
    state = per_pair * columns * inputs + per_column * columns
    itemsize = np.dtype(dtype).itemsize
    if backend == "numpy":
        largest = columns * inputs * itemsize
        room, limit = MEMORY_SHARE * available_host_bytes(), float("inf")
    else:
        runtime = get_backend(backend).runtime
        largest = columns * (-(-inputs // 64) * 64) * itemsize
        room = 0.8 * runtime.device.global_mem_size
        if not runtime.is_gpu:
            room = min(room, MEMORY_SHARE * available_host_bytes())
        limit = runtime.device.max_mem_alloc_size
    fits = state <= room and largest <= limit
    why = "" if fits else (f"largest buffer {largest / 1e9:.1f} GB > {limit / 1e9:.1f} GB allowed"
                           if largest > limit else f"{state / 1e9:.1f} GB > {room / 1e9:.1f} GB of room")
    return {"state_bytes": state, "largest_bytes": largest, "fits": fits, "why": why}


# -- the run ---------------------------------------------------------------------------------------
def run(backends: list[str] | None = None, quick: bool = False,
        full_256k: str | None = None) -> list[dict]:
    """Rows of five kinds (their "table"): SP per synapse, TM per synapse, TM structures, 256K
    model and 256K full (with ``full_256k``); see the module docstring."""
    from workbench.engine.backend import available_backends  # noqa: PLC0415
    from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES  # noqa: PLC0415

    names = [b for b in (backends or available_backends()) if b != "opencl"]
    tm_columns = QUICK_TM_COLUMNS if quick else LARGE_COLUMNS
    rows: list[dict] = []
    for backend in names:
        sp_rows = {}
        for dtype in PERMANENCE_DTYPES:
            m = measure_sp(backend, dtype)
            sp_rows[dtype] = m
            rows.append({"table": "SP per synapse", "model": f"SP {m['columns']:,} x {m['inputs']:,}",
                         "backend": backend, "dtype": dtype, "B/pair": m["per_pair"],
                         "B/pair formula": m["per_pair_formula"],
                         "B/potential synapse": m["per_potential"],
                         "B/column (segment)": m["per_column"],
                         "host MB": m["host_bytes"] / 1e6, "device MB": m["device_bytes"] / 1e6})
        model, problem = _in_child({"backend": backend, "columns": tm_columns, "sp_dtype": None})
        if model is None:
            rows.append({"table": "256K model", "backend": backend, "note": problem})
            continue
        t = model["tm"]
        rows.append({"table": "TM per synapse", "model": f"TM {tm_columns:,} x {TM_CELLS}",
                     "backend": backend, "dtype": "float32",
                     "B/synapse": t["per_synapse"], "B/segment": t["per_segment"],
                     "B/row": t["per_row_host"] + t["per_row_device"],
                     "B/row formula": t["per_row_formula_host"] + t["per_row_formula_device"],
                     "B/cell": t["per_cell"], "segments": t["segments"], "synapses": t["synapses"],
                     "host MB": t["host_bytes"] / 1e6, "device MB": t["device_bytes"] / 1e6,
                     "note": f"unclassified: {', '.join(t['other'])}" if t["other"] else ""})
        rows.append({"table": "TM structures", "model": f"TM {tm_columns:,} x {TM_CELLS}",
                     "backend": backend, "rows allocated": t["rows"], "width": t["width"],
                     **{f"{part} MB": t[f"{key}_bytes"] / 1e6 for part, key in (
                         ("rows host", "row_host"), ("rows device", "row_device"),
                         ("index", "index"), ("bookkeeping", "bookkeeping"), ("cells", "cell"),
                         ("staging", "staging"), ("step activity", "activity"))}})
        on_host = backend == "numpy"
        for dtype in PERMANENCE_DTYPES:
            m = sp_rows[dtype]
            fit = sp_fit(backend, dtype, tm_columns, m["per_pair"], m["per_column_arrays"])
            sp_gb = fit["state_bytes"] / 1e9
            rows.append({"table": "256K model", "backend": backend, "columns": tm_columns,
                         "SP dtype": dtype, "SP GB (projected)": sp_gb,
                         "SP largest buffer GB": fit["largest_bytes"] / 1e9,
                         "SP fits": fit["fits"] or fit["why"],
                         "TM host MB": t["host_bytes"] / 1e6, "TM device MB": t["device_bytes"] / 1e6,
                         "TM peak RSS MB": model["peak_rss_mb"],
                         "baseline RSS MB": model["baseline_rss_mb"],
                         "TM largest device MB": model["largest_device_mb"],
                         "model peak host GB": model["peak_rss_mb"] / 1e3 + (sp_gb if on_host else 0),
                         "model device GB": 0.0 if on_host else sp_gb + model["largest_device_mb"] / 1e3,
                         "TM steps s": model["steps_s"]})
        if full_256k is not None:
            fit = sp_fit(backend, full_256k, LARGE_COLUMNS, sp_rows[full_256k]["per_pair"],
                         sp_rows[full_256k]["per_column_arrays"])
            if not fit["fits"]:
                rows.append({"table": "256K full", "backend": backend, "SP dtype": full_256k,
                             "note": f"not built: {fit['why']}"})
                continue
            whole, problem = _in_child({"backend": backend, "columns": LARGE_COLUMNS,
                                        "sp_dtype": full_256k}, timeout=3600)
            if whole is None:
                rows.append({"table": "256K full", "backend": backend, "SP dtype": full_256k,
                             "note": problem})
                continue
            rows.append({"table": "256K full", "backend": backend, "SP dtype": full_256k,
                         "init s": whole["init_s"], "steps s": whole["steps_s"],
                         "SP host MB": whole["sp"]["host_bytes"] / 1e6,
                         "SP device MB": whole["sp"]["device_bytes"] / 1e6,
                         "TM host MB": whole["tm"]["host_bytes"] / 1e6,
                         "TM device MB": whole["tm"]["device_bytes"] / 1e6,
                         "largest host MB": whole["largest_host_mb"],
                         "largest device MB": whole["largest_device_mb"],
                         "peak RSS MB": whole["peak_rss_mb"], "baseline RSS MB": whole["baseline_rss_mb"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_memory")
    parser.add_argument("--quick", action="store_true", help=f"the TM at {QUICK_TM_COLUMNS:,} columns")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    parser.add_argument("--full-256k", default=None, choices=("float32", "float16", "uint8"),
                        help="also build the whole 256K SP + TM at this precision where it fits")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(_RESULT + json.dumps(measure_model(spec["backend"], spec["columns"], spec["sp_dtype"])),
              flush=True)
        return 0
    rows = run([b for b in args.backends.split(",") if b] or None, quick=args.quick,
               full_256k=args.full_256k)
    for table in dict.fromkeys(r["table"] for r in rows):
        print_table(f"bench_memory: {table}", [{k: v for k, v in r.items() if k != "table"}
                                               for r in rows if r["table"] == table])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
