"""Neural-network speed: MLP training throughput, SparseLinear vs Linear, autograd overhead.

    python -m benchmarks.bench_nn [--quick]

Rows (one per measurement and backend):
- ``mlp_digits_train``: MLP 64-128-10 with Adam on the digits training set (1,438 samples),
  batch 32, samples per second over whole epochs after one warm-up epoch.
- ``sparse_first_layer``: a 6,241-bit SDR with 624 active bits into 512 units at batch 1 (the
  online case: MLPClassifier learns one SDR per step), 8 and 32: forward + backward of
  SparseLinear (the fused ``Tensor.sum_rows``) vs a dense Linear fed the 0/1 matrix, each timed
  up to its weight gradient being ready (one row read back, not the whole 12.8 MB gradient).
  On numpy the dense layer is also timed with BLAS held to one thread (the sparse op uses one):
  on a busy machine OpenBLAS's threaded product can stall for a scheduler slice waiting for its
  second thread, which inflates the default dense time. Target: >= 5x faster than dense on numpy.
- ``autograd_overhead``: a chain of 1,000 tiny ops (4 elements) forward plus backward, per op,
  in wall time and in this process's CPU time (which other processes on a busy machine do not
  inflate; the chain is single-threaded Python). Target: < 20 us per op on numpy.

Every timing is the best of several repeats (the least disturbed by other processes); dense and
sparse repeats alternate so that both see the same load.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from threadpoolctl import threadpool_limits

from workbench.engine import Generator, Tensor, available_backends
from workbench.engine.data import load_digits_split
from workbench.engine.nn import MLP, Adam, Linear, SparseLinear, train_epoch


def best_time(fn: Callable[[], object], repeats: int,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds of the fastest of ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def mlp_training(backend: str, quick: bool) -> dict:
    data = load_digits_split(seed=1).standardized()
    model = MLP([64, 128, 10], "relu", seed=0, backend=backend)
    optimizer = Adam(model.parameters(), lr=3e-3)
    order = Generator(1)
    x = Tensor(data.x_train, backend=backend)
    seconds = best_time(lambda: train_epoch(model, optimizer, x, data.y_train, 32, order),
                        1 if quick else 3)
    return {"benchmark": "mlp_digits_train", "backend": backend, "batch": 32,
            "epoch_s": seconds, "samples_per_s": len(data.y_train) / seconds}


def sparse_vs_dense(backend: str, batch: int, quick: bool, size: int = 6241, active: int = 624,
                    hidden: int = 512) -> dict:
    rng = np.random.default_rng(0)
    rows = np.stack([np.sort(rng.choice(size, active, replace=False)) for _ in range(batch)])
    dense_x = np.zeros((batch, size), dtype=np.float32)
    np.put_along_axis(dense_x, rows, 1.0, axis=1)
    sparse = SparseLinear(size, hidden, seed=0, backend=backend)
    linear = Linear(size, hidden, seed=0, backend=backend)
    sparse_in, dense_in = sparse.batch(rows), Tensor(dense_x, backend=backend)
    upstream = Tensor(rng.normal(size=(batch, hidden)).astype(np.float32), backend=backend)

    def step(layer, x):
        def run():
            layer.zero_grad()
            (layer(x) * upstream).sum().backward()
            return layer.weight.grad[:1].numpy()  # waits for the device (queues run in order)
        return run

    dense_s, dense_1t_s, sparse_s = float("inf"), float("inf"), float("inf")
    # Alternate blocks of 3, so all see the same machine load, and none is timed just after a
    # switch: OpenBLAS threads keep spinning for a while after a product, slowing whatever
    # single-threaded numpy work comes next on a 2-core machine.
    for _ in range(1 if quick else 6):
        dense_s = min(dense_s, best_time(step(linear, dense_in), 3))
        if backend == "numpy":
            with threadpool_limits(1):
                dense_1t_s = min(dense_1t_s, best_time(step(linear, dense_in), 3))
        sparse_s = min(sparse_s, best_time(step(sparse, sparse_in), 3))
    row = {"benchmark": "sparse_first_layer", "backend": backend, "batch": batch,
           "dense_ms": dense_s * 1e3, "sparse_ms": sparse_s * 1e3, "speedup": dense_s / sparse_s}
    if backend == "numpy":
        row.update(dense_1_thread_ms=dense_1t_s * 1e3, speedup_vs_1_thread=dense_1t_s / sparse_s,
                   target=">= 5x (numpy)")
    return row


def autograd_overhead(backend: str, quick: bool, ops: int = 1000) -> dict:
    x = Tensor(np.ones(4, dtype=np.float32), backend=backend, requires_grad=True)

    def chain():
        y = x
        for i in range(ops // 2):
            y = y * 1.0001
            y = y + x
        y.sum().backward()
        x.grad = None

    wall = best_time(chain, 2 if quick else 5)
    cpu = best_time(chain, 2 if quick else 5, clock=time.process_time)
    return {"benchmark": "autograd_overhead", "backend": backend, "ops": ops,
            "us_per_op": wall / ops * 1e6, "cpu_us_per_op": cpu / ops * 1e6, "target": "< 20 us (numpy)"}


def run(quick: bool = False, backends: list[str] | None = None) -> list[dict]:
    names = backends if backends is not None else [b for b in available_backends() if b != "opencl"]
    rows = []
    for backend in names:
        rows.append(mlp_training(backend, quick))
        for batch in (1, 8, 32):
            rows.append(sparse_vs_dense(backend, batch, quick))
        rows.append(autograd_overhead(backend, quick))
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_nn")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke run")
    args = parser.parse_args()
    print_table("bench_nn", run(quick=args.quick))
