"""One trial, run on a Dask worker (or in-process): build the experiment headless with the
trial's parameters and seed, step it for the budget (or until its data ends), read its metrics.

A plugin that raises does not fail the task: the error comes back as a ``failed`` result, so
Dask never retries a deterministic bug and the sweep goes on. Only the loss of the worker itself
(a crash, a kill, a lost machine) reaches Dask, which then reruns the trial elsewhere.
"""

from __future__ import annotations

import functools
import math
import time
import traceback
from dataclasses import dataclass, field

from workbench.plugins.registry import PluginInfo, Registry
from workbench.plugins.runner import Run, RunError

from .plan import TrialOutcome, TrialSpec

OK, FAILED, LOST = "ok", "failed", "lost"
STATUSES = (OK, FAILED, LOST)


@dataclass(frozen=True)
class TrialContext:
    """What every worker needs to rebuild the experiment: where to find it and how to run it.

    ``plugin_dirs`` are absolute paths that must hold the same plugin files on every worker;
    ``version`` is the experiment's version where the sweep was planned, so a worker with other
    code says so instead of producing figures that do not compare.
    """

    experiment: str
    version: str
    plugin_dirs: tuple[str, ...] = ()
    backend: str = "numpy"


@dataclass
class TrialResult:
    """A finished trial: ``ok`` with its metrics, ``failed`` (the plugin raised: ``error`` and
    ``details`` say how) or ``lost`` (Dask could not run it: the worker kept dying)."""

    spec: TrialSpec
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    steps_done: int = 0
    seconds: float = 0.0
    worker: str = ""
    finished_at: str = ""
    error: str = ""
    details: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    def score(self, metric: str) -> float:
        return float(self.metrics.get(metric, math.nan))

    def outcome(self, metric: str) -> TrialOutcome:
        return TrialOutcome(self.ok, self.score(metric))


@functools.lru_cache(maxsize=4)
def _registry(plugin_dirs: tuple[str, ...]) -> Registry:
    """Discovery once per worker process and plugin folders (importing plugins is the slow part)."""
    return Registry.discover(plugin_dirs=plugin_dirs, user_dir=False)


def worker_address() -> str:
    """The Dask worker running this code, or ``local`` outside a worker."""
    from distributed import get_worker  # noqa: PLC0415 - only inside a worker

    try:
        return get_worker().address
    except ValueError:
        return "local"


def _experiment(context: TrialContext) -> PluginInfo:
    """The experiment as this process finds it; KeyError or RuntimeError if it is missing or differs."""
    info = _registry(context.plugin_dirs).get(context.experiment)
    if info.cls.version != context.version:
        raise RuntimeError(f"this worker has {context.experiment} version {info.cls.version}, the sweep was "
                           f"planned with version {context.version}: install the same workbench everywhere")
    return info


def check_worker(context: TrialContext) -> str:
    """Empty if this process can run the sweep's experiment, else why not (run on every worker
    before a sweep starts, so a misconfigured machine is named once instead of failing every trial)."""
    try:
        _experiment(context)
    except KeyError as exc:
        return f"{exc.args[0]} (plugin folders here: {', '.join(context.plugin_dirs) or 'none'})"
    except RuntimeError as exc:
        return str(exc)
    return ""


def run_trial(spec: TrialSpec, context: TrialContext) -> TrialResult:
    """Run one trial to its step budget (or the end of the experiment's data) and score it."""
    start = time.perf_counter()
    result = TrialResult(spec, OK, worker=worker_address())
    run = None
    try:
        info = _experiment(context)
        run = Run(info, spec.param_dict, backend=context.backend, seed=spec.seed)
        run.build()
        for _ in range(spec.steps):
            run.step()
            if getattr(run.experiment, "finished", False):
                break
        result.metrics = {name: float(value) for name, value in run.metrics().items()}
    except RunError as exc:
        result.status, result.error, result.details = FAILED, str(exc.failure), exc.failure.details
    except Exception as exc:  # a plugin missing on this worker, a metric that is not a number
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        result.status, result.error = FAILED, f"{type(exc).__name__}: {message}"
        result.details = traceback.format_exc()
    result.steps_done = run.step_count if run is not None else 0
    result.seconds = time.perf_counter() - start
    result.finished_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    return result
