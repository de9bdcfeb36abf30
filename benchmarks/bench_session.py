"""Session benchmarks: what recording costs a run, and how fast a long session opens and seeks.

    python -m benchmarks.bench_session [--quick] [--backends numpy,opencl:0]

- Checkpoint cost of sine and hot gym mid-run (after ``warm`` steps, when their models have
  grown): what the run waits for (the snapshot: ``state_dict()`` and one copy of its arrays)
  and what the writer thread then spends compressing and storing it, beside the run.
- Recording overhead at the default checkpoint policy: the same run (sine and hot gym resumed
  mid-run from a checkpoint; sequences from the start: a small model stepping fast, so that
  per-frame costs show) stepped with and without a recorder, in interleaved pairs, the median
  pair. Wall time is what the user sees; the stepping thread's CPU time is what recording takes
  from the run itself (steadier on a busy machine); all threads' CPU time adds the writer
  thread's compression and SQLite work, which a spare core hides.
- The worst fork of that recording: the step just before the end of the longest stretch
  between checkpoints. Its re-simulation time is the fork's time less that of a fork at the
  checkpoint itself (loading the checkpoint and building the model); the target is a second.
- A 100,000-step session synthesised from realistic frames (two 2048-bit SDRs at 2 % active,
  drawn at random, the worst case for compression, and three scalars): writing speed, bytes per
  step, time to open, time to read a random step (cold chunk), a whole scalar curve.
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
from workbench.session import Recorder, SessionReader, SessionWriter, restore_run
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


class Start:
    """Where timed runs begin: a fresh build, or a run resumed after ``warm`` steps (recorded
    once with a checkpoint at the end), so that every timed run starts from the same state."""

    def __init__(self, factory, name: str, backend: str, warm: int, folder: Path) -> None:
        self.factory, self.name, self.backend, self.warm = factory, name, backend, warm
        self.path = folder / f"{name}-{backend}-warm.wbsession"
        if warm:
            run = self.fresh()
            with Recorder.create(self.path, run, checkpoint_every=warm):
                for _ in range(warm):
                    run.step()

    def steps_for(self, seconds: float) -> int:
        """About how many steps from the start state take ``seconds`` (timed on 50 steps), and
        no more than the run has left (hot gym ends with its data)."""
        run = self.run()
        begin = time.perf_counter()
        for _ in range(50):
            run.step()
        wanted = max(50, round(seconds / ((time.perf_counter() - begin) / 50)))
        done = 50
        while done < wanted and not getattr(run.experiment, "finished", False):
            run.step()
            done += 1
        return done

    def fresh(self):
        run = self.factory(self.name, {}, self.backend, 0)
        run.build()
        return run

    def run(self):
        """A built run in the start state."""
        if not self.warm:
            return self.fresh()
        with SessionReader(self.path) as reader:
            return restore_run(reader, self.warm, self.factory)[0]

    @property
    def label(self) -> str:
        return f"{self.name}, {self.backend}" + (f", steps {self.warm + 1:,}+" if self.warm else "")


def _timed_run(start: Start, steps: int, record_to: Path | None) -> tuple[float, float, float, float]:
    """(wall s, CPU s of the stepping thread, CPU s of all threads, s to start and close the
    recording) for ``steps`` steps from ``start``; the steps' times exclude the recording's start
    and close."""
    run = start.run()
    fixed = time.perf_counter()
    recorder = Recorder.create(record_to, run) if record_to is not None else None
    fixed = time.perf_counter() - fixed
    wall, thread, cpu = time.perf_counter(), time.thread_time(), time.process_time()
    for _ in range(steps):
        run.step()
    if recorder is not None:
        recorder.writer.flush()  # the steps' chunks and checkpoints are on disk: their writing is counted
    wall, thread, cpu = time.perf_counter() - wall, time.thread_time() - thread, time.process_time() - cpu
    if recorder is not None:
        closing = time.perf_counter()
        recorder.close()
        fixed += time.perf_counter() - closing
    return wall, thread, cpu, fixed


def checkpoint_cost(start: Start, repeats: int, folder: Path, between: int = 100) -> dict:
    """The run's wait (snapshot) and the writer thread's work (compress and store) for one
    checkpoint of the model mid-run: ``between`` steps before each, as when recording (the
    memory the steps and the snapshots allocate and free changes what a snapshot costs)."""
    path = folder / f"{start.name}-cost.wbsession"
    snapshots, snapshots_cpu, stores = [], [], []
    run = start.run()
    with Recorder.create(path, run, checkpoint_every=10**9) as recorder:
        for _ in range(repeats):
            for _ in range(between):
                run.step()
            recorder.writer.flush()
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            recorder.checkpoint("periodic")
            snapshots.append(time.perf_counter() - begin)
            snapshots_cpu.append(time.thread_time() - begin_cpu)
            recorder.writer.flush()
            stores.append(recorder.writer.last_store)
    with SessionReader(path) as reader:
        stored = statistics.median(len(row[3]) + len(row[4]) for row in reader.checkpoint_rows(reader.length)[1:])
    return {"measure": f"checkpoint, {start.label}: the run waits", "value": statistics.median(snapshots) * 1e3,
            "unit": "ms", "target": "<= 50",
            "notes": f"{statistics.median(snapshots_cpu) * 1e3:.0f} ms CPU; then the writer thread compresses and "
                     f"stores it: {statistics.median(s.cpu for s in stores) * 1e3:.0f} ms CPU in "
                     f"{statistics.median(s.wall for s in stores) * 1e3:.0f} ms, {stored / 1e6:.1f} MB "
                     f"(median of {repeats}, {between} steps apart)"}


def recording_overhead(start: Start, steps: int, repeats: int, folder: Path) -> list[dict]:
    """Median over interleaved pairs (unrecorded, recorded) of each pair's extra time, so that
    a busy spell on a shared machine hits both members of a pair; then the worst fork of the
    last recording."""
    path = folder / f"{start.name}-{start.backend}.wbsession"
    pairs = [(_timed_run(start, steps, None), _timed_run(start, steps, path)) for _ in range(repeats)]

    def extra(i: int) -> float:
        return 100 * statistics.median(rec[i] / plain[i] - 1 for plain, rec in pairs)

    step_s = statistics.median(plain[0] for plain, _ in pairs) / steps
    with SessionReader(path) as reader:
        marks = [*reader.checkpoint_steps, reader.length + 1]
    gaps = [b - a for a, b in zip(marks, marks[1:])]
    overhead = {
        "measure": f"recording overhead, {start.label} ({steps} steps, {step_s * 1e3:.2f} ms/step)",
        "value": extra(0), "unit": "% wall", "target": "<= 10",
        "notes": f"CPU: stepping thread {extra(1):+.1f} %, all threads {extra(2):+.1f} %; "
                 f"{len(marks) - 1} checkpoints, every {statistics.median(gaps)} steps (median), "
                 f"start + close {statistics.median(rec[3] for _, rec in pairs) * 1e3:.0f} ms, "
                 f"{path.stat().st_size / steps / 1e3:.1f} kB/step with checkpoints"}
    if start.warm == 0:
        return [overhead]
    return [overhead, worst_fork(start, path, step_s)]


def worst_fork(start: Start, path: Path, step_s: float) -> dict:
    """Fork ``path`` at the step that re-simulates most: just before the end of its longest
    stretch without a checkpoint. Re-simulation time = that fork's time less a fork at the
    checkpoint itself (best of three each)."""
    with SessionReader(path) as reader:
        marks = [*reader.checkpoint_steps, reader.length + 1]
        gap, first = max((b - a, a) for a, b in zip(marks, marks[1:]))
        worst = first + gap - 1

        def fork_s(step: int) -> float:
            times = []
            for _ in range(3):
                begin = time.perf_counter()
                restore_run(reader, step, start.factory)
                times.append(time.perf_counter() - begin)
            return min(times)

        at_checkpoint, at_worst = fork_s(first), fork_s(worst)
    return {"measure": f"worst fork, {start.label}", "value": at_worst - at_checkpoint, "unit": "s re-simulation",
            "target": "<= 1", "notes": f"{gap - 1} steps re-simulated ({(gap - 1) * step_s:.2f} s of unrecorded "
                                       f"steps); whole fork {at_worst:.2f} s"}


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


def run(quick: bool = False, backends: list[str] | None = None) -> list[dict]:
    registry = _registry()
    factory = _factory(registry)
    rows = []
    # runs of several seconds, so that several periodic checkpoints (about one a second) fall in each
    warm, seconds, repeats = (300, 1.5, 1) if quick else (1500, 5.0, 3)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend in backends or ["numpy"]:
            for name in ("sine", "hotgym"):
                start = Start(factory, name, backend, warm, folder)
                rows.append(checkpoint_cost(start, 5, folder))
                rows.extend(recording_overhead(start, start.steps_for(seconds), repeats, folder))
        sequences = Start(factory, "sequences", "numpy", 0, folder)
        rows.extend(recording_overhead(sequences, 300 if quick else 1000, 1 if quick else 9, folder))
        rows.extend(long_session(10_000 if quick else 100_000, 50 if quick else 200, folder))
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_session")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--backends", default="numpy", help="comma-separated backend names (default: numpy)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print_table("bench_session", run(quick=args.quick, backends=[b for b in args.backends.split(",") if b]))
