"""Elementwise fusion on OpenCL: the MLP training step with fusion off and on, per device.

    python -m benchmarks.bench_fusion [--quick] [--backends opencl:0]

The step is the digits MLP's (``workbench.engine.nn.train_epoch``): MLP 64-128-10 with ReLU,
cross-entropy, Adam, batch 32, over an epoch of 1,438 samples (45 steps). The data are seeded
random numbers of the digits set's shape, not the digits themselves: a step's cost does not
depend on the values, and this keeps scikit-learn off the machine that runs it.

Rows, one per backend and setting (numpy once, as the reference):
- ``launches_per_step``: kernels enqueued per step (``CLRuntime.launches``), and
  ``transfers_per_step``: buffer copies and fills (the label read-back at the epoch's end too);
- ``ms_per_step``: an epoch's wall time over its steps, best of a few epochs; settings alternate
  epoch by epoch so that both see the same machine load; ``speedup`` is unfused over fused;
- ``cpu_ms_per_step``: the same in this process's CPU time, PoCL's worker threads included
  (other processes on a busy machine do not inflate it; on a GPU it is the host's share);
- ``max_abs_diff``: the largest difference between the parameters after one epoch with fusion
  on and one with it off, from the same seed (0 when fusion changes no result).
"""

from __future__ import annotations

import time

import numpy as np

from workbench.engine import Generator, Tensor, available_backends, get_backend
from workbench.engine.nn import MLP, Adam, train_epoch

SAMPLES, FEATURES, CLASSES, HIDDEN, BATCH = 1438, 64, 10, 128, 32


def _data(backend) -> tuple[Tensor, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, FEATURES)).astype(np.float32)
    return Tensor(x, backend=backend), rng.integers(0, CLASSES, SAMPLES).astype(np.int32)


def _trainer(backend):
    """A fresh model and optimiser, and a function that trains them for one epoch."""
    x, y = _data(backend)
    model = MLP([FEATURES, HIDDEN, CLASSES], "relu", seed=0, backend=backend)
    optimizer = Adam(model.parameters(), lr=3e-3)
    order = Generator(1)
    return model, lambda: train_epoch(model, optimizer, x, y, BATCH, order)


def _epoch_seconds(epoch, backend) -> tuple[float, float]:
    """Wall and process CPU seconds of one epoch."""
    start, cpu = time.perf_counter(), time.process_time()
    epoch()  # ends with loss.item(): the device queue is drained
    if backend.is_opencl:
        backend.queue.finish()
    return time.perf_counter() - start, time.process_time() - cpu


def _steps() -> int:
    return -(-SAMPLES // BATCH)


def device_rows(name: str, repeats: int) -> list[dict]:
    """Fusion off and on for one OpenCL device, side by side."""
    backend = get_backend(name)
    previous = backend.fusion
    try:
        runs = {}
        for fusion in (False, True):
            backend.fusion = fusion
            _, epoch = _trainer(backend)
            epoch()  # warm-up: kernels built, memory pool filled
            launches, transfers = backend.runtime.launches, backend.runtime.transfers
            runs[fusion] = {"epoch": epoch, "best": _epoch_seconds(epoch, backend),
                            "launches": (backend.runtime.launches - launches) / _steps(),
                            "transfers": (backend.runtime.transfers - transfers) / _steps()}
        for _ in range(repeats - 1):
            for fusion, run in runs.items():
                backend.fusion = fusion
                run["best"] = tuple(map(min, run["best"], _epoch_seconds(run["epoch"], backend)))
        params = {}
        for fusion in (False, True):
            backend.fusion = fusion
            model, epoch = _trainer(backend)
            epoch()
            params[fusion] = model.state_dict()
    finally:
        backend.fusion = previous
    diff = max(float(np.max(np.abs(params[True][k] - params[False][k]))) for k in params[True])
    rows = []
    for fusion, run in runs.items():
        row = {"benchmark": "mlp_train_step", "backend": name, "fusion": "on" if fusion else "off",
               "launches_per_step": run["launches"], "transfers_per_step": run["transfers"],
               "ms_per_step": run["best"][0] / _steps() * 1e3, "cpu_ms_per_step": run["best"][1] / _steps() * 1e3}
        if fusion:
            row.update(speedup=runs[False]["best"][0] / run["best"][0],
                       cpu_speedup=runs[False]["best"][1] / run["best"][1], max_abs_diff=diff)
        rows.append(row)
    return rows


def numpy_row(repeats: int) -> dict:
    backend = get_backend("numpy")
    _, epoch = _trainer(backend)
    epoch()
    wall, cpu = map(min, *(_epoch_seconds(epoch, backend) for _ in range(repeats)))
    return {"benchmark": "mlp_train_step", "backend": "numpy", "ms_per_step": wall / _steps() * 1e3,
            "cpu_ms_per_step": cpu / _steps() * 1e3}


def run(quick: bool = False, backends: list[str] | None = None) -> list[dict]:
    names = [b for b in (backends or available_backends()) if b != "opencl"]
    repeats = 2 if quick else 5
    rows = [numpy_row(repeats)] if "numpy" in names else []
    for name in names:
        if name.startswith("opencl:"):
            rows.extend(device_rows(name, repeats))
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_fusion")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke run")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    args = parser.parse_args()
    print_table("bench_fusion", run(quick=args.quick, backends=[b for b in args.backends.split(",") if b] or None))
