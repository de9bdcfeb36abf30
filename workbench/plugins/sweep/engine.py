"""Running a sweep on Dask: plan, submit, collect, record.

:func:`prepare_sweep` checks everything the user gave (experiment, parameters, ranges, metric,
results table) and raises :class:`SweepError` or :class:`ParamError` with one clear line before
anything is submitted. :class:`Sweep` then runs the plan on a Dask cluster, in the calling thread
(:meth:`Sweep.run`, the CLI) or in the background (:meth:`Sweep.start`, the GUI), writing every
finished trial to the table the moment it arrives.

Failure handling: a trial whose plugin raises comes back as a ``failed`` row and the sweep goes
on; a worker that dies mid-trial is noticed by the scheduler, which reruns its trial on another
worker (up to Dask's ``distributed.scheduler.allowed-failures``, then the trial is ``lost``).
Stopping (``stop()``, Ctrl-C) records the trials already finished, cancels the rest and closes a
local cluster; running the same sweep again skips every trial in the table.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from workbench.engine.backend import get_backend
from workbench.plugins.params import ParamError
from workbench.plugins.registry import PluginInfo, Registry, user_plugin_dir
from workbench.plugins.runner import Run, RunError

from .cluster import check_workers, dask_client
from .errors import SweepError
from .plan import Objective, SearchPlan, TrialSpec, build_plan
from .report import ConfigScore, rank_configs
from .space import Axis, parse_axes
from .table import ResultsTable
from .trial import FAILED, LOST, OK, TrialContext, TrialResult, run_trial

if TYPE_CHECKING:
    from distributed import Client, Future

TrialListener = Callable[[TrialResult], None]
StatusListener = Callable[[str], None]
TASK_RETRIES = 2  # reruns of a task that raised outside the plugin (e.g. a worker-side transfer error)
POLL_S = 0.2  # how often the collecting loop looks at the stop flag


@dataclass(frozen=True)
class SweepSpec:
    """A sweep as the user describes it (the CLI's arguments, the GUI panel's fields).

    ``params`` use the CLI's syntax: ``name=v1,v2,...`` or ``name=low:high[:log]``. ``search``
    None means random when ``trials`` is given, else grid. ``steps`` None means the
    experiment's ``default_steps``. ``out`` None keeps results in memory only.
    """

    experiment: str
    params: Sequence[str]
    metric: str
    minimize: bool = True
    search: str | None = None
    trials: int | None = None
    grid_points: int = 5
    seeds: int = 1
    steps: int | None = None
    backend: str = "numpy"
    plugin_dirs: Sequence[str] = ()
    out: str | Path | None = None
    search_seed: int = 0
    retry_failed: bool = False


def prepare_sweep(spec: SweepSpec, registry: Registry | None = None) -> "Sweep":
    """A ready-to-run sweep, or one clear error (SweepError / ParamError) about the input.

    Raises :class:`RunError` if the experiment itself fails to build (a plugin bug, not bad input).
    """
    registry = registry or Registry.discover(plugin_dirs=spec.plugin_dirs)
    try:
        info = registry.get(spec.experiment)
    except KeyError as exc:
        raise SweepError(exc.args[0]) from None
    try:
        backend = get_backend(spec.backend).name
    except ValueError as exc:
        raise SweepError(str(exc)) from None
    axes = parse_axes(spec.params, info.cls.params, info.name)
    objective = Objective(spec.metric, spec.minimize)
    search = spec.search or ("random" if spec.trials is not None else "grid")
    steps = spec.steps if spec.steps is not None else int(getattr(info.cls, "default_steps", 1000))
    plan = build_plan(search, axes, info.cls.params, objective, steps=steps, seeds=spec.seeds,
                      trials=spec.trials, grid_points=spec.grid_points, search_seed=spec.search_seed)
    metrics = metric_names(info, plan.specs(plan.configs[:1], steps)[0], backend)
    if spec.metric not in metrics:
        problem = f"unknown metric {spec.metric!r}" if spec.metric else "choose the metric to score by with --metric"
        raise SweepError(f"{problem}; metrics of {info.name}: {', '.join(metrics) or 'none'}")
    table = ResultsTable(spec.out, info.name, info.cls.params, metrics)
    previous = table.load()
    table.check_writable()
    dirs = tuple(str(Path(d).expanduser().resolve()) for d in (*spec.plugin_dirs, user_plugin_dir()))
    context = TrialContext(info.name, info.cls.version, dirs, backend)
    return Sweep(info, axes, plan, objective, table, context, previous, spec.retry_failed)


def metric_names(info: PluginInfo, first: TrialSpec, backend: str) -> list[str]:
    """The metrics the experiment reports, read from a local build of the first trial (after one
    step if it reports none before stepping). A build that refuses its parameters is bad input."""
    run = Run(info, first.param_dict, backend=backend, seed=first.seed)
    try:
        run.build()
        names = list(run.metrics())
        if not names:
            run.step()
            names = list(run.metrics())
    except RunError as exc:
        if isinstance(exc.__cause__, (ParamError, OSError)):
            raise SweepError(f"{info.name}: {exc.__cause__}") from None
        raise
    return names


class Sweep:
    """A planned sweep and its results; runs once (in this thread or in the background).

    For a GUI: ``start()`` returns at once; finished trials arrive on the ``trials`` queue (and
    through ``on_trial``, called from the sweep's thread); ``status`` and ``on_status`` say what
    it is doing; ``stop()`` ends it early; ``ranking()`` is the results table, best first.
    """

    def __init__(self, info: PluginInfo, axes: list[Axis], plan: SearchPlan, objective: Objective,
                 table: ResultsTable, context: TrialContext, previous: list[TrialResult],
                 retry_failed: bool = False) -> None:
        self.info, self.axes, self.plan, self.objective = info, axes, plan, objective
        self.table, self.context, self.retry_failed = table, context, retry_failed
        self.trials: "queue.Queue[TrialResult]" = queue.Queue()
        self.status = "ready"  # ready, starting, running, finished, stopped, interrupted, failed
        self.error: BaseException | None = None
        self.done = 0  # trials of the plan finished so far, resumed ones included
        self._latest: dict[str, TrialResult] = {r.spec.key: r for r in previous}  # later rows win
        self._planned = {spec.key for spec in plan.first_round()}  # grows as halving plans rungs
        self._outcomes = {key: r.outcome(objective.metric) for key, r in self._latest.items()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_trial: TrialListener | None = None
        self._on_status: StatusListener | None = None

    # -- results -----------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self.plan.total

    @property
    def results(self) -> list[TrialResult]:
        """The latest result of every trial of this plan in the table (resumed and new), in
        arrival order; rows of other sweeps sharing the table are left out."""
        return [r for key, r in self._latest.items() if key in self._planned]

    def ranking(self) -> list[ConfigScore]:
        return rank_configs(self.results, self.objective)

    def best(self) -> ConfigScore | None:
        """The best configuration with a score, or None if no trial has one yet."""
        ranking = [c for c in self.ranking() if c.scores]
        return ranking[0] if ranking else None

    def is_finished(self, spec: TrialSpec) -> bool:
        """Whether the table already holds this trial (a ``lost`` one is run again; a ``failed``
        one too when ``retry_failed``)."""
        result = self._latest.get(spec.key)
        return result is not None and (result.status == OK or result.status == FAILED and not self.retry_failed)

    # -- running -----------------------------------------------------------------------------------
    def start(self, scheduler: "str | Client | None" = None, workers: int | None = None,
              on_trial: TrialListener | None = None, on_status: StatusListener | None = None) -> None:
        """Run in a background thread; see :meth:`run` for the arguments."""
        if self._thread is not None:
            raise RuntimeError("this sweep was already started; prepare a new one to run again")
        self._thread = threading.Thread(target=self._run_in_background, args=(scheduler, workers, on_trial, on_status),
                                        name=f"sweep-{self.info.name}", daemon=True)
        self._thread.start()

    def _run_in_background(self, scheduler, workers, on_trial, on_status) -> None:
        try:
            self.run(scheduler, workers, on_trial, on_status)
        except Exception as exc:  # kept for the GUI to show: status "failed", error set
            self.error = exc
            self._say(f"sweep failed: {exc}")

    def stop(self) -> None:
        """Stop soon: finished trials are recorded, the rest cancelled (trials already running on a
        remote cluster finish there and are dropped)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background sweep; True once it has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def run(self, scheduler: "str | Client | None" = None, workers: int | None = None,
            on_trial: TrialListener | None = None, on_status: StatusListener | None = None) -> None:
        """Run the plan to its end (or until :meth:`stop` / KeyboardInterrupt) in this thread.

        ``scheduler``: None starts a local cluster of ``workers`` processes (default one per
        core); an address (``tcp://host:8786``) or a Client uses that cluster.
        """
        self._on_trial, self._on_status = on_trial, on_status
        self.status = "starting"
        try:
            self._say("starting a local Dask cluster" if scheduler is None else f"connecting to {scheduler}")
            with dask_client(scheduler, workers) as client:
                count = check_workers(client, self.context)
                self._say(f"{count} worker(s) on the scheduler at {client.scheduler.address}" +
                          ("; waiting for workers to join" if count == 0 else ""))
                self.status = "running"
                for number, specs in enumerate(self.plan.rounds(self._outcomes), start=1):
                    if self._stop.is_set():
                        break
                    self._planned.update(s.key for s in specs)
                    todo = [s for s in specs if not self.is_finished(s)]
                    self.done += len(specs) - len(todo)
                    if self.plan.strategy == "halving":
                        self._say(f"rung {number}/{len(self.plan.rung_steps)}: {len(specs)} trials of "
                                  f"{specs[0].steps} steps, {len(specs) - len(todo)} already in the table")
                    elif len(todo) < len(specs):
                        self._say(f"resuming: {len(specs) - len(todo)} of {len(specs)} trials already in the table")
                    self._run_round(client, todo)
            self.status = "stopped" if self._stop.is_set() else "finished"
        except KeyboardInterrupt:
            self.status = "interrupted"
            raise
        except BaseException:
            self.status = "failed"
            raise
        finally:
            self.table.close()

    def _run_round(self, client: "Client", specs: list[TrialSpec]) -> None:
        """Submit the round's trials and record each as it finishes; on the way out (done,
        stopped or interrupted) record whatever finished and cancel the rest."""
        arrived: "queue.Queue[Future]" = queue.Queue()
        token = uuid.uuid4().hex[:12]
        pending: dict[str, tuple[Future, TrialSpec]] = {}
        for i, spec in enumerate(specs):
            future = client.submit(run_trial, spec, self.context, key=f"workbench-trial-{token}-{i}",
                                   retries=TASK_RETRIES)
            pending[future.key] = (future, spec)
            future.add_done_callback(arrived.put)
        try:
            while pending and not self._stop.is_set():
                try:
                    future = arrived.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if future.key in pending:
                    self._collect(*pending.pop(future.key))
        finally:
            finished = [entry for entry in pending.values() if entry[0].status in ("finished", "error")]
            for future, spec in finished:
                self._collect(future, spec)
            client.cancel([future for future, _ in pending.values() if not future.done()])

    def _collect(self, future: "Future", spec: TrialSpec) -> None:
        if future.status == "cancelled":
            return
        try:
            result = future.result()
        except Exception as exc:  # the task itself failed (e.g. KilledWorker: its workers kept dying)
            result = TrialResult(spec, LOST, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
                                 error=f"{type(exc).__name__}: {exc}")
        self._record(result)

    def _record(self, result: TrialResult) -> None:
        self.table.append(result)
        self._latest.pop(result.spec.key, None)
        self._latest[result.spec.key] = result
        self._outcomes[result.spec.key] = result.outcome(self.objective.metric)
        self.done += 1
        self.trials.put(result)
        if self._on_trial is not None:
            self._on_trial(result)

    def _say(self, message: str) -> None:
        if self._on_status is not None:
            self._on_status(message)
