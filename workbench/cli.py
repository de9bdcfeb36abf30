"""``workbench``: the command line. A thin shell over the objects the GUI uses.

    workbench                      open the GUI on the default experiment
    workbench gui [SESSION]        open the GUI (on a recorded session if given)
    workbench run EXPERIMENT ...   run headless with a progress bar, print final metrics
    workbench list                 experiments and their parameters
    workbench replay SESSION ...   print a recorded session's scalar streams (table or CSV)
    workbench info SESSION         a recorded session's manifest, length and annotations
    workbench devices              backends and OpenCL devices found
    workbench sweep EXPERIMENT ... a parameter sweep on Dask (docs/sweeps.md)

Bad input (unknown experiment or parameter, a value out of range, a missing file) prints one
clear line and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence, TextIO

DEFAULT_EXPERIMENT = "sine"
EXIT_PLUGIN_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _registry(plugin_dirs: Sequence[str]):
    from workbench.plugins.registry import Registry  # noqa: PLC0415

    return Registry.discover(plugin_dirs=plugin_dirs)


def _report_failures(registry, out: TextIO) -> None:
    for failure in registry.failures:
        print(f"warning: plugin {failure}", file=out)


# -- devices -----------------------------------------------------------------------------------
def cmd_devices(args: argparse.Namespace) -> int:
    from workbench.engine.backend import opencl_problem  # noqa: PLC0415

    print("numpy      the reference backend (always available)")
    problem = opencl_problem()
    if problem is not None:
        print(f"opencl     unavailable: {problem}")
        return 0
    from workbench.engine.cl.runtime import list_devices  # noqa: PLC0415

    for d in list_devices():
        print(d.describe())
    return 0


# -- list --------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from workbench.plugins.registry import user_plugin_dir  # noqa: PLC0415

    reg = _registry(args.plugins)
    _report_failures(reg, sys.stderr)
    folders = [*args.plugins, str(user_plugin_dir())]
    print(f"plugin folders: {', '.join(folders)}; entry point group: workbench.plugins")
    for name in reg.names():
        info = reg.get(name)
        print(f"{name}: {info.title}  [{info.source}]")
        if info.description:
            print(f"    {info.description}")
        for p in info.cls.params:
            print(f"    --set {p.describe()}")
    return 0


# -- run ---------------------------------------------------------------------------------------
class Progress:
    """Progress with steps/s on stderr: a bar redrawn in place (at most 10 times a second) on a
    terminal, or one line per tenth of the run when the output is a log file."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out = total, out
        self.start = self.last = time.perf_counter()
        self.interactive = out.isatty()
        self.next_tenth = 1

    def update(self, done: int, force: bool = False) -> None:
        now = time.perf_counter()
        rate = done / max(now - self.start, 1e-9)
        if self.interactive:
            if not force and now - self.last < 0.1:
                return
            width = 30
            filled = int(width * done / self.total) if self.total else width
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} steps  "
                           f"{rate:,.0f} steps/s")
        elif force or (self.total and done * 10 >= self.next_tenth * self.total):
            self.next_tenth = done * 10 // max(self.total, 1) + 1
            self.out.write(f"{done}/{self.total} steps  {rate:,.0f} steps/s\n")
        self.last = now
        self.out.flush()

    def close(self) -> None:
        if self.interactive:
            self.out.write("\n")
            self.out.flush()


_CSV_FLUSH_S = 1.0  # how often a run's --csv table reaches the disk


def _csv_writer(path: Path, run) -> tuple[TextIO, "csv.writer", list[str]]:
    from workbench.session.frames import StreamKind  # noqa: PLC0415

    columns = [n for n, s in run.streams.items() if s.kind in (StreamKind.SCALAR, StreamKind.TEXT)]
    try:
        handle = open(path, "w", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    writer = csv.writer(handle)
    writer.writerow(["step", *columns])
    return handle, writer, columns


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else str(value)


def cmd_run(args: argparse.Namespace) -> int:
    from workbench.engine.backend import get_backend  # noqa: PLC0415
    from workbench.plugins.params import ParamError, parse_assignments  # noqa: PLC0415
    from workbench.plugins.runner import Run, RunError  # noqa: PLC0415

    reg = _registry(args.plugins)
    _report_failures(reg, sys.stderr)
    try:
        info = reg.get(args.experiment)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    if args.steps is not None and args.steps < 0:
        raise UsageError(f"--steps must be >= 0 (got {args.steps})")
    try:
        get_backend(args.backend)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        run = Run(info, parse_assignments(args.set or []), backend=args.backend, seed=args.seed)
    except ParamError as exc:
        raise UsageError(str(exc)) from None
    try:
        run.build()
    except RunError as exc:
        if isinstance(exc.__cause__, (ParamError, OSError)):
            raise UsageError(f"{args.experiment}: {exc.__cause__}") from None
        return _plugin_failed(exc)
    for w in run.warnings:
        print(f"warning: {w}", file=sys.stderr)
    steps = args.steps if args.steps is not None else getattr(run.experiment, "default_steps", 1000)
    recorder = None
    if args.record:
        from workbench.session.errors import SessionError  # noqa: PLC0415
        from workbench.session.recorder import Recorder  # noqa: PLC0415

        try:
            recorder = Recorder.create(args.record, run)
        except SessionError as exc:
            raise UsageError(str(exc)) from None
    csv_handle = writer = None
    if args.csv:
        csv_handle, writer, columns = _csv_writer(Path(args.csv), run)
    progress = Progress(steps, sys.stderr)
    interrupted, failure = False, None
    flushed = time.perf_counter()
    try:
        for done in range(1, steps + 1):
            frame = run.step()
            if writer is not None:
                writer.writerow([frame.step, *(_format_value(frame.get(c)) for c in columns)])
                if time.perf_counter() - flushed >= _CSV_FLUSH_S:
                    csv_handle.flush()  # a long run's table can be watched, and a kill loses <= 1 s
                    flushed = time.perf_counter()
            progress.update(done)
            if getattr(run.experiment, "finished", False):
                break
    except KeyboardInterrupt:
        interrupted = True
    except RunError as exc:
        failure = exc
    finally:
        progress.update(run.step_count, force=True)
        progress.close()
        if csv_handle is not None:
            csv_handle.close()
        if recorder is not None:
            recorder.close()
    elapsed = time.perf_counter() - progress.start
    print(f"{args.experiment}: {run.step_count} steps in {elapsed:.2f} s "
          f"({run.step_count / max(elapsed, 1e-9):,.0f} steps/s) on {run.backend}, seed {run.seed}")
    for name, value in run.metrics().items():
        print(f"  {name} = {value:.6g}" if isinstance(value, float) else f"  {name} = {value}")
    if args.record:
        print(f"recorded to {args.record}")
    if interrupted:
        print("interrupted: stopped cleanly", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failure is not None:
        return _plugin_failed(failure)
    return 0


def _plugin_failed(error) -> int:
    """Report a plugin's own failure with its traceback (for its author) and exit 1."""
    print(error.failure.details, file=sys.stderr)
    print(f"workbench: error: plugin {error.failure}", file=sys.stderr)
    return EXIT_PLUGIN_FAILED


# -- replay / info -----------------------------------------------------------------------------
def _open_session(path: str):
    from workbench.session import SessionError, SessionReader  # noqa: PLC0415

    try:
        return SessionReader(path)
    except SessionError as exc:
        raise UsageError(str(exc)) from None


def _step_range(args: argparse.Namespace, length: int) -> tuple[int, int]:
    first = 1 if args.start is None else args.start
    last = length if args.end is None else args.end
    if length == 0:
        if args.start is not None or args.end is not None:
            raise UsageError(f"{args.session} holds no steps")
        return 1, 0
    for flag, step in (("--from", first), ("--to", last)):
        if not 1 <= step <= length:
            raise UsageError(f"{flag} must be a step between 1 and {length} (got {step})")
    if first > last:
        raise UsageError(f"--from must not be after --to (got {first} > {last})")
    return first, last


def cmd_replay(args: argparse.Namespace) -> int:
    from workbench.session import SessionError  # noqa: PLC0415
    from workbench.session.frames import StreamKind  # noqa: PLC0415

    with _open_session(args.session) as reader:
        first, last = _step_range(args, reader.length)
        columns = [n for n, s in reader.streams.items() if s.kind in (StreamKind.SCALAR, StreamKind.TEXT)]
        if args.csv:
            writer = csv.writer(sys.stdout)
            emit = writer.writerow
        else:
            widths = [max(8, len(str(last)))] + [max(12, len(c)) for c in columns]

            def emit(cells: list[object]) -> None:
                print("  ".join(str(c).rjust(w) for c, w in zip(cells, widths)).rstrip())
        emit(["step", *columns])
        try:
            for frame in reader.frames(first, last):
                emit([frame.step, *(_format_value(frame.get(c)) for c in columns)])
        except SessionError as exc:
            sys.stdout.flush()
            raise UsageError(str(exc)) from None
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from workbench.session import SessionError  # noqa: PLC0415

    with _open_session(args.session) as reader:
        m = reader.manifest
        print(f"session:     {reader.path}")
        print(f"experiment:  {m.experiment} (version {m.experiment_version})")
        print(f"backend:     {m.backend}, seed {m.seed}")
        print(f"recorded:    {m.created} with workbench {m.workbench_version} (session format {m.format_version})")
        if m.parent is not None:
            print(f"forked from: {m.parent.path} at step {m.parent.step} (session {m.parent.session_id})")
        if reader.complete:
            print(f"length:      {reader.length} steps")
        else:
            print(f"length:      {reader.length} steps, INCOMPLETE: the recording stopped without closing "
                  f"the file (the last unfinished chunk is lost); replay ends at step {reader.length}")
        print("parameters:")
        for name, value in m.params.items():
            print(f"  {name} = {value!r}")
        print("streams:")
        for s in m.streams:
            shape = f" {'x'.join(map(str, s.shape))}" if s.shape else ""
            print(f"  {s.name} ({s.kind.value}{shape}){': ' + s.title if s.title else ''}")
        try:
            checkpoints, events, annotations = reader.checkpoint_steps, reader.events, reader.annotations
        except SessionError as exc:
            raise UsageError(str(exc)) from None
        print(f"checkpoints: {len(checkpoints)}" + (f" (steps {_step_list(checkpoints)})" if checkpoints else ""))
        print(f"events:      {len(events)}")
        for e in events:
            details = ", ".join(f"{k}={v!r}" for k, v in e.data.items())
            print(f"  after step {e.step}: {e.kind}{' ' + details if details else ''}")
        print(f"annotations: {len(annotations)}")
        for a in annotations:
            print(f"  step {a.step}: {a.caption}")
    return 0


def _step_list(steps: list[int], shown: int = 8) -> str:
    if len(steps) <= shown:
        return ", ".join(map(str, steps))
    return ", ".join(map(str, steps[:shown // 2])) + ", ..., " + ", ".join(map(str, steps[-shown // 2:]))


# -- sweep -------------------------------------------------------------------------------------
def cmd_sweep(args: argparse.Namespace) -> int:
    import signal  # noqa: PLC0415

    from workbench.plugins.params import ParamError  # noqa: PLC0415
    from workbench.plugins.runner import RunError  # noqa: PLC0415
    from workbench.plugins.sweep import (  # noqa: PLC0415
        SweepError, SweepSpec, describe_ranking, describe_trial, prepare_sweep, run_command)

    if args.workers is not None and (args.scheduler or args.workers < 1):
        raise UsageError("--workers sizes the local cluster (>= 1); a --scheduler brings its own workers"
                         if args.scheduler else f"--workers must be >= 1 (got {args.workers})")
    reg = _registry(args.plugins)
    _report_failures(reg, sys.stderr)
    spec = SweepSpec(args.experiment, args.param, args.metric or "", minimize=not args.maximize,
                     search=args.search, trials=args.trials, grid_points=args.grid_points, seeds=args.seeds,
                     steps=args.steps, backend=args.backend, plugin_dirs=args.plugins, out=args.out,
                     search_seed=args.search_seed, retry_failed=args.retry_failed)
    try:
        sweep = prepare_sweep(spec, reg)
    except (ParamError, SweepError) as exc:
        raise UsageError(str(exc)) from None
    except RunError as exc:
        return _plugin_failed(exc)
    plan = sweep.plan
    for note in [*plan.notes, *sweep.table.notes]:
        print(f"note: {note}", file=sys.stderr)
    if args.out is None:
        print("note: results are not saved; give --out FILE.csv to keep them and to resume", file=sys.stderr)
    print(f"sweep: {sweep.info.name}, {plan.strategy} search, {sweep.total} trials ({len(plan.seeds)} seed(s), "
          f"{plan.steps} steps), scoring {args.metric} ({sweep.objective.direction} is best)", file=sys.stderr)

    def show(result) -> None:
        print(describe_trial(result, sweep.axes, sweep.objective, sweep.done, sweep.total), flush=True)

    def stop_on_ctrl_c(signum, frame) -> None:
        """The first Ctrl-C stops the sweep between trials (all finished ones recorded); a second
        one interrupts at once."""
        sweep.stop()
        signal.signal(signal.SIGINT, previous_handler)
        print("sweep: stopping (Ctrl-C again to quit at once)", file=sys.stderr, flush=True)

    previous_handler = signal.signal(signal.SIGINT, stop_on_ctrl_c)
    start = time.perf_counter()
    interrupted = False
    try:
        sweep.run(args.scheduler, args.workers, on_trial=show,
                  on_status=lambda message: print(f"sweep: {message}", file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        interrupted = True
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    interrupted = interrupted or sweep.status == "stopped"
    results = sweep.results
    counts = {status: sum(r.status == status for r in results) for status in ("ok", "failed", "lost")}
    print(f"{sweep.info.name}: {len(results)} of {sweep.total} trials in the table "
          f"({', '.join(f'{n} {s}' for s, n in counts.items())}), {time.perf_counter() - start:.1f} s"
          + (f"; table: {args.out}" if args.out else ""))
    best = sweep.best()
    if best is not None:
        print(f"best ({sweep.objective.direction} {args.metric}, mean over seeds):")
        for line in describe_ranking(sweep.ranking(), sweep.axes, sweep.objective):
            print(line)
        print(f"rerun the best: {run_command(sweep.info.name, best, sweep.axes)}")
    if interrupted:
        resume = "; run the same command again to resume" if args.out else ""
        print(f"interrupted: stopped cleanly{resume}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


# -- gui ---------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    session = getattr(args, "session", None)
    if session is not None and not Path(session).is_file():
        raise UsageError(f"session file not found: {session}")
    from workbench.ui.app import main as gui_main  # noqa: PLC0415

    return gui_main(session=session, experiment=getattr(args, "experiment", None) or DEFAULT_EXPERIMENT,
                    plugin_dirs=getattr(args, "plugins", []) or [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="HTM Workbench")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="open the desktop workbench")
    gui.add_argument("session", nargs="?", help="a .wbsession file to open in replay")
    gui.add_argument("--experiment", default=DEFAULT_EXPERIMENT)
    gui.add_argument("--plugins", action="append", default=[], metavar="DIR")
    gui.set_defaults(func=cmd_gui)

    run = sub.add_parser("run", help="run an experiment headless")
    run.add_argument("experiment")
    run.add_argument("--steps", type=int, default=None, help="number of steps (default: the experiment's)")
    run.add_argument("--backend", default="numpy", help="numpy, opencl or opencl:N")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a parameter")
    run.add_argument("--record", metavar="FILE.wbsession", help="record the run into a session file")
    run.add_argument("--csv", metavar="FILE", help="write every step's scalar streams as CSV")
    run.add_argument("--plugins", action="append", default=[], metavar="DIR")
    run.set_defaults(func=cmd_run)

    lst = sub.add_parser("list", help="list experiments and their parameters")
    lst.add_argument("--plugins", action="append", default=[], metavar="DIR")
    lst.set_defaults(func=cmd_list)

    replay = sub.add_parser("replay", help="print a recorded session's scalar and text streams")
    replay.add_argument("session", metavar="FILE.wbsession")
    replay.add_argument("--from", dest="start", type=int, default=None, metavar="T", help="first step (default 1)")
    replay.add_argument("--to", dest="end", type=int, default=None, metavar="T", help="last step (default: the end)")
    replay.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    replay.set_defaults(func=cmd_replay)

    info = sub.add_parser("info", help="show a recorded session's manifest, length and annotations")
    info.add_argument("session", metavar="FILE.wbsession")
    info.set_defaults(func=cmd_info)

    sweep = sub.add_parser("sweep", help="run an experiment over many parameter settings and seeds, on Dask")
    sweep.add_argument("experiment")
    sweep.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2,...|NAME=LOW:HIGH[:log]",
                       help="a parameter to sweep: listed values, or a range (log-scaled with :log)")
    sweep.add_argument("--metric", help="the metric that scores a trial (one of the experiment's metrics)")
    direction = sweep.add_mutually_exclusive_group()
    direction.add_argument("--minimize", action="store_true", help="lower is better (the default)")
    direction.add_argument("--maximize", action="store_true", help="higher is better")
    sweep.add_argument("--search", default=None, metavar="grid|random|halving",
                       help="default: random with --trials, else grid")
    sweep.add_argument("--trials", type=int, default=None, help="configurations to draw (random, halving)")
    sweep.add_argument("--grid-points", type=int, default=5, metavar="K", help="values per range on a grid")
    sweep.add_argument("--seeds", type=int, default=1, metavar="K", help="run each configuration with seeds 0..K-1")
    sweep.add_argument("--steps", type=int, default=None, help="steps per trial (default: the experiment's)")
    sweep.add_argument("--search-seed", type=int, default=0, help="seed of the random draws of the search")
    sweep.add_argument("--backend", default="numpy", help="numpy, opencl or opencl:N (on every worker)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (default: a local cluster)")
    sweep.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core)")
    sweep.add_argument("--out", metavar="FILE.csv",
                       help="results table, appended as trials finish; resumed if it exists")
    sweep.add_argument("--retry-failed", action="store_true", help="when resuming, rerun trials that failed")
    sweep.add_argument("--plugins", action="append", default=[], metavar="DIR")
    sweep.set_defaults(func=cmd_sweep)

    dev = sub.add_parser("devices", help="list backends and OpenCL devices")
    dev.set_defaults(func=cmd_devices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or [])])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
