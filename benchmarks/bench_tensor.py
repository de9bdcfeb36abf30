"""Tensor engine throughput, every backend side by side in one run.

* elementwise: ``a + b`` on float32 vectors of 1e3 .. 1e8 elements, in GB/s counting the bytes
  read and written (12 bytes per element);
* matmul: square float32 products of 64 .. 2048, in GFLOP/s (2 n^3 per product).

Every timed loop runs after a warm-up (kernel builds, memory pool filled) and ends with the
device queue drained, so a figure is the time to the result, not to the enqueue. Backends take
turns, sample by sample, at each size, after a short pause (BLAS and OpenCL worker threads spin
for a while after a call and would slow whoever runs next); each figure is the best of a few
samples. The machine is shared: only ratios between backends measured in the same run mean
much. Issue targets (PoCL on the CPU): elementwise at 1e7 >= 60 % of numpy's GB/s, matmul at
1024 >= 25 % of numpy's GFLOP/s.

    python -m benchmarks.bench_tensor [--quick] [--backends numpy,opencl:0]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.table import print_table
from workbench.engine import Tensor, available_backends, get_backend

ELEMENTWISE_SIZES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
MATMUL_SIZES = [64, 128, 256, 512, 1024, 2048]
QUICK_ELEMENTWISE_MAX = 10**7
QUICK_MATMUL_MAX = 1024
MIN_SECONDS = 0.2  # per timed sample
REPEATS = 3  # samples per backend and size; the best counts
PAUSE_SECONDS = 0.1  # before each sample


def _sync(backend) -> None:
    if backend.is_opencl:
        backend.queue.finish()


def _calls_per_sample(fn, backend) -> int:
    """Warm ``fn`` up, then how many calls make a sample of about MIN_SECONDS."""
    fn()
    _sync(backend)
    start = time.perf_counter()
    fn()
    _sync(backend)
    return max(1, int(MIN_SECONDS / max(time.perf_counter() - start, 1e-7)))


def _best_seconds(work: dict[str, tuple], repeats: int = REPEATS) -> dict[str, float]:
    """Best per-call time of each backend's ``fn``; ``work`` maps a name to (backend, fn).
    Backends alternate sample by sample, each sample after a pause."""
    calls = {name: _calls_per_sample(fn, be) for name, (be, fn) in work.items()}
    best = {name: float("inf") for name in work}
    for _ in range(repeats):
        for name, (be, fn) in work.items():
            time.sleep(PAUSE_SECONDS)
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            _sync(be)
            best[name] = min(best[name], (time.perf_counter() - start) / calls[name])
    return best


def _fits(backend, nbytes: int) -> bool:
    """Whether ``nbytes`` (all operands and the result) fit comfortably on the device."""
    if backend.is_opencl:
        device = backend.runtime.device
        return nbytes < device.global_mem_size // 2 and nbytes // 3 < device.max_mem_alloc_size
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return nbytes < 2 << 30
    return nbytes < available // 3


def elementwise(names: list[str], sizes: list[int]) -> list[dict]:
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        a_host = rng.standard_normal(n, dtype=np.float32)
        b_host = rng.standard_normal(n, dtype=np.float32)
        row: dict = {"bench": "add f32 GB/s", "size": f"{n:.0e}"}
        work = {}
        for name in names:
            be = get_backend(name)
            if not _fits(be, 3 * 4 * n):
                row[name] = "n/a (memory)"
                continue
            a, b = Tensor(a_host, backend=be), Tensor(b_host, backend=be)
            # OpenCL evaluates elementwise results lazily (fusion): realise each sum, or none runs
            work[name] = (be, (lambda a=a, b=b: Tensor.realize(a + b)) if be.is_opencl else (lambda a=a, b=b: a + b))
        for name, seconds in _best_seconds(work).items():
            row[name] = 12 * n / seconds / 1e9
        rows.append(_with_ratios(row, names))
    return rows


def matmul(names: list[str], sizes: list[int]) -> list[dict]:
    rows = []
    rng = np.random.default_rng(1)
    for n in sizes:
        a_host = rng.standard_normal((n, n), dtype=np.float32)
        b_host = rng.standard_normal((n, n), dtype=np.float32)
        row: dict = {"bench": "matmul f32 GFLOP/s", "size": str(n)}
        work = {}
        for name in names:
            be = get_backend(name)
            a, b = Tensor(a_host, backend=be), Tensor(b_host, backend=be)
            work[name] = (be, lambda a=a, b=b: a @ b)
        for name, seconds in _best_seconds(work).items():
            row[name] = 2 * n**3 / seconds / 1e9
        rows.append(_with_ratios(row, names))
    return rows


def _with_ratios(row: dict, names: list[str]) -> dict:
    """Add ``<backend>/numpy`` for every non-numpy backend measured in this row."""
    base = row.get("numpy")
    for name in names:
        if name != "numpy" and isinstance(base, float) and isinstance(row.get(name), float):
            row[f"{name}/numpy"] = row[name] / base
    return row


def run(quick: bool = False, backends: list[str] | None = None) -> list[dict]:
    """One row per (benchmark, size), one column per backend, plus ratios to numpy."""
    names = [b for b in (backends or available_backends()) if b != "opencl"]
    e_sizes = [n for n in ELEMENTWISE_SIZES if not quick or n <= QUICK_ELEMENTWISE_MAX]
    m_sizes = [n for n in MATMUL_SIZES if not quick or n <= QUICK_MATMUL_MAX]
    return elementwise(names, e_sizes) + matmul(names, m_sizes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tensor")
    parser.add_argument("--quick", action="store_true", help="stop at 1e7 elements and 1024^2")
    parser.add_argument("--backends", default="", help="comma-separated names (default: all)")
    args = parser.parse_args()
    for name in [b for b in (args.backends.split(",") if args.backends else available_backends())
                 if b != "opencl"]:
        print(f"{name}: {get_backend(name)!r}")
    print_table("bench_tensor", run(quick=args.quick, backends=[b for b in args.backends.split(",") if b] or None))
