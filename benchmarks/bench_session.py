"""Session benchmarks: what recording costs a run, and how fast a long session opens and seeks.

    python -m benchmarks.bench_session [--quick]

- Recording overhead on built-in experiments (sine: big model, slow steps and large checkpoints;
  sequences: small model, fast steps, so per-frame costs show): the same seeded run stepped with
  and without a recorder, in interleaved pairs, the median pair. Wall time is what the user
  sees; the stepping thread's CPU time is what recording takes from the run itself (steadier on
  a busy machine); all threads' CPU time adds the background writer's compression and SQLite
  work, which a spare core hides.
- A 100,000-step session synthesised from realistic frames (two 2048-bit SDRs at 2 % active,
  drawn at random, the worst case for compression, and three scalars): writing speed, bytes per
  step, time to open, time to read a random step (cold chunk), a whole scalar curve.
- Forking sine at random steps: loading the nearest checkpoint and re-simulating to the step.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from workbench.engine.htm.sdr import SDR
from workbench.session import Recorder, SessionReader, SessionWriter, fork_session
from workbench.session.frames import Frame, Stream, StreamKind
from workbench.session.manifest import Manifest

SDR_BITS = 2048
SDR_ACTIVE = 41  # 2 %


def _registry():
    from workbench.plugins.registry import Registry  # noqa: PLC0415 - benchmarks sit above plugins

    return Registry.discover(entry_points=False, user_dir=False)


def _factory(registry):
    from workbench.plugins.runner import Run  # noqa: PLC0415

    return lambda name, params, backend, seed: Run(registry.get(name), params, backend, seed)


def _timed_run(factory, name: str, steps: int, record_to: Path | None) -> tuple[float, float, float, float, int]:
    """(wall s, CPU s of the stepping thread, CPU s of all threads, s to start and close the
    recording, checkpoints taken) for ``steps`` steps of a fresh run; the steps' times exclude
    the recording's start and close."""
    run = factory(name, {}, "numpy", 0)
    run.build()
    fixed = time.perf_counter()
    recorder = Recorder.create(record_to, run) if record_to is not None else None
    fixed = time.perf_counter() - fixed
    wall, thread, cpu = time.perf_counter(), time.thread_time(), time.process_time()
    for _ in range(steps):
        run.step()
    if recorder is not None:
        recorder.writer.flush()  # the steps' chunks are on disk: their writing is counted
    wall, thread, cpu = time.perf_counter() - wall, time.thread_time() - thread, time.process_time() - cpu
    checkpoints = 0
    if recorder is not None:
        start = time.perf_counter()
        recorder.close()
        fixed += time.perf_counter() - start
        with SessionReader(record_to) as reader:
            checkpoints = len(reader.checkpoint_steps)
    return wall, thread, cpu, fixed, checkpoints


def recording_overhead(factory, name: str, steps: int, repeats: int, folder: Path) -> dict:
    """Median over interleaved pairs (unrecorded, recorded) of each pair's extra time, so that
    a busy spell on a shared machine hits both members of a pair."""
    pairs = [(_timed_run(factory, name, steps, None), _timed_run(factory, name, steps, folder / f"{name}.wbsession"))
             for _ in range(repeats)]

    def extra(i: int) -> float:
        return 100 * statistics.median(rec[i] / plain[i] - 1 for plain, rec in pairs)

    size = (folder / f"{name}.wbsession").stat().st_size
    step_ms = statistics.median(plain[0] for plain, _ in pairs) / steps * 1e3
    return {"measure": f"recording overhead, {name} ({steps} steps, {step_ms:.2f} ms/step)",
            "value": extra(0), "unit": "% wall", "target": "<= 10",
            "notes": f"CPU: stepping thread {extra(1):+.1f} %, all threads {extra(2):+.1f} %; "
                     f"{pairs[-1][1][4]} checkpoints, start + close "
                     f"{statistics.median(rec[3] for _, rec in pairs) * 1e3:.0f} ms, "
                     f"{size / steps / 1e3:.1f} kB/step with checkpoints"}


def synthetic_frames(steps: int, seed: int = 0):
    """Frames with two random 2 % SDRs of 2048 bits and three scalars, made a block at a time."""
    rng = np.random.default_rng(seed)
    block = 1000
    for start in range(0, steps, block):
        n = min(block, steps - start)
        pair = [np.sort(np.argpartition(rng.random((n, SDR_BITS)), SDR_ACTIVE, axis=1)[:, :SDR_ACTIVE], axis=1)
                .astype(np.uint32) for _ in range(2)]
        scalars = rng.random((n, 3))
        for i in range(n):
            yield Frame(start + i + 1, {
                "columns": SDR.from_sparse((SDR_BITS,), pair[0][i], validate=False),
                "predicted": SDR.from_sparse((SDR_BITS,), pair[1][i], validate=False),
                "value": float(scalars[i, 0]), "anomaly": float(scalars[i, 1]), "likelihood": float(scalars[i, 2])})


def synthetic_session(path: Path, steps: int) -> float:
    """Write a synthetic session of ``steps`` steps; returns the seconds the writing took."""
    streams = (Stream("columns", StreamKind.SDR, shape=(SDR_BITS,)),
               Stream("predicted", StreamKind.SDR, shape=(SDR_BITS,)),
               Stream("value", StreamKind.SCALAR), Stream("anomaly", StreamKind.SCALAR),
               Stream("likelihood", StreamKind.SCALAR))
    frames = list(synthetic_frames(steps))
    start = time.perf_counter()
    with SessionWriter(path, Manifest("synthetic", "1", {}, 0, "numpy", streams, chunk_size=256)) as writer:
        for frame in frames:
            writer.append(frame)
    return time.perf_counter() - start


def long_session(steps: int, seeks: int, folder: Path) -> list[dict]:
    path = folder / "long.wbsession"
    write_s = synthetic_session(path, steps)
    opens = []
    for _ in range(9):
        start = time.perf_counter()
        SessionReader(path).close()
        opens.append(time.perf_counter() - start)
    rng = random.Random(1)
    seek_times = []
    with SessionReader(path) as reader:
        for _ in range(seeks):
            step = rng.randint(1, steps)
            start = time.perf_counter()
            reader.frame(step)
            seek_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        reader.scalars("anomaly")
        curve_s = time.perf_counter() - start
    start = time.perf_counter()
    with SessionReader(path) as reader:
        reader.frame(rng.randint(1, steps))
    open_and_seek = time.perf_counter() - start
    label = f"{steps:,}-step session"
    return [
        {"measure": f"{label}: write", "value": steps / write_s, "unit": "steps/s", "target": "", "notes": ""},
        {"measure": f"{label}: size per step", "value": path.stat().st_size / steps, "unit": "bytes",
         "target": "", "notes": f"2 SDRs x {SDR_ACTIVE} indices + 3 scalars ({2 * SDR_ACTIVE * 4 + 24} bytes raw)"},
        {"measure": f"{label}: open", "value": statistics.median(opens) * 1e3, "unit": "ms", "target": "<< 1000",
         "notes": f"median of {len(opens)}"},
        {"measure": f"{label}: read a random step", "value": statistics.median(seek_times) * 1e3, "unit": "ms",
         "target": "", "notes": f"median of {seeks}, max {max(seek_times) * 1e3:.1f} ms"},
        {"measure": f"{label}: open + read a random step", "value": open_and_seek * 1e3, "unit": "ms",
         "target": "<< 1000", "notes": ""},
        {"measure": f"{label}: one scalar stream, all steps", "value": curve_s * 1e3, "unit": "ms", "target": "",
         "notes": ""},
    ]


def fork_times(factory, name: str, steps: int, forks: int, folder: Path) -> dict:
    parent = folder / f"{name}-parent.wbsession"
    run = factory(name, {}, "numpy", 0)
    run.build()
    with Recorder.create(parent, run):
        start = time.perf_counter()
        for _ in range(steps):
            run.step()
        step_s = (time.perf_counter() - start) / steps
    rng = random.Random(2)
    times, resimulated = [], []
    for i in range(forks):
        start = time.perf_counter()
        fork = fork_session(parent, rng.randint(steps // 2, steps), folder / f"fork{i}.wbsession", factory)
        times.append(time.perf_counter() - start)
        resimulated.append(fork.resimulated)
        fork.recorder.close()
    return {"measure": f"fork {name} at a random step ({steps}-step session)", "value": max(times), "unit": "s max",
            "target": "re-simulation <= ~1 s (longer when checkpoints cost > 5 %)",
            "notes": f"re-simulated {resimulated} steps at {step_s * 1e3:.1f} ms/step"}


def run(quick: bool = False) -> list[dict]:
    registry = _registry()
    factory = _factory(registry)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if quick:
            rows.append(recording_overhead(factory, "sequences", 300, 1, folder))
            rows.append(recording_overhead(factory, "sine", 40, 1, folder))
            rows.extend(long_session(10_000, 50, folder))
            rows.append(fork_times(factory, "sine", 60, 1, folder))
        else:
            rows.append(recording_overhead(factory, "sequences", 1000, 9, folder))
            rows.append(recording_overhead(factory, "sine", 300, 3, folder))
            rows.extend(long_session(100_000, 200, folder))
            rows.append(fork_times(factory, "sine", 300, 3, folder))
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_session")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print_table("bench_session", run(quick=args.quick))
