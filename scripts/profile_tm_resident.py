"""Where a resident Temporal Memory's steps spend their device time: each kernel's time, from
an OpenCL profiling queue, per step of each pass of bench_tm's workload (4 sequences of 50).

    .venv/bin/python scripts/profile_tm_resident.py [--backend opencl:0] [--columns 65536,262144]

Prints, for each size, the first learning pass (most columns burst and create segments), a
second one (trained) and an inference pass: wall-clock ms a step, the kernels' sum, and the
kernels that took longest. The kernels are timed by wrapping the engine's launch helpers and
the Mersenne Twister's kernel, so the numbers include every kernel a step enqueues.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not installed

from benchmarks.bench_tm import workload  # noqa: E402
from workbench.engine.backend import get_backend  # noqa: E402
from workbench.engine.htm import tm_resident_cl  # noqa: E402
from workbench.engine.htm.temporal_memory import TemporalMemory  # noqa: E402


def profile(backend: str, columns: list[int], shown: int = 8) -> None:
    runtime = get_backend(backend).runtime
    cl = runtime.cl
    runtime.queue = cl.CommandQueue(runtime.context,
                                    properties=cl.command_queue_properties.PROFILING_ENABLE)
    events: list = []
    engine = tm_resident_cl.ResidentEngine
    run, one = engine._run, engine._one

    def timed_run(self, name, items, *args):
        size = max(1, -(-items // tm_resident_cl._GROUP)) * tm_resident_cl._GROUP
        events.append((name, self._kernels[name](self.queue, (size,), (tm_resident_cl._GROUP,),
                                                 *args)))

    def timed_one(self, name, *args):
        events.append((name, self._kernels[name](self.queue, (1,), (1,), *args)))

    kernel = runtime.kernel

    def timed_kernel(filename, name, *args, **kwargs):
        built = kernel(filename, name, *args, **kwargs)
        if name != "mt19937_draws":
            return built

        def call(*launch):
            event = built(*launch)
            events.append(("mt19937_draws", event))
            return event
        return call

    engine._run, engine._one, runtime.kernel = timed_run, timed_one, timed_kernel
    try:
        for n in columns:
            active = 40 if n == 2048 else 300 if n == 4096 else round(0.02 * n)
            data = workload(n, active, 4)
            tm = TemporalMemory(n, cells_per_column=32, backend=backend, resident=True)
            for label, learn in (("learn, first pass", True), ("learn, second pass", True),
                                 ("infer", False)):
                events.clear()
                start, steps = time.perf_counter(), 0
                for sequence in data:
                    for cols in sequence:
                        tm.compute(cols, learn=learn)
                        steps += 1
                    tm.reset()
                wall = (time.perf_counter() - start) * 1e3 / steps
                per = collections.defaultdict(float)
                for name, event in events:
                    event.wait()
                    per[name] += (event.profile.end - event.profile.start) * 1e-6 / steps
                print(f"{n} columns, {active} active, {label}: {wall:.3f} ms a step, kernels "
                      f"{sum(per.values()):.3f} ms, {tm.num_segments()} segments")
                for name, ms in sorted(per.items(), key=lambda item: -item[1])[:shown]:
                    print(f"    {name:26s} {ms:.4f} ms")
    finally:
        engine._run, engine._one, runtime.kernel = run, one, kernel


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python scripts/profile_tm_resident.py")
    parser.add_argument("--backend", default="opencl:0")
    parser.add_argument("--columns", default="65536,262144",
                        help="comma-separated column counts (2048 and 4096 take bench_tm's "
                             "40 and 300 active, others 2 %%)")
    args = parser.parse_args()
    profile(args.backend, [int(c) for c in args.columns.split(",")])
