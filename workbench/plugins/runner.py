"""Running an experiment: the one loop the CLI, the GUI's worker and sweeps share.

A :class:`Run` owns one experiment instance built from a plugin, its validated parameters, the
backend and seed, and the history of its scalar streams. Any exception from the plugin's code
becomes a :class:`RunError` carrying a :class:`PluginFailure` (message and traceback), so a
broken plugin stops its own run and nothing else.
"""

from __future__ import annotations

import math
import warnings
from time import perf_counter
from typing import Any, Callable, Mapping

from workbench.engine.backend import get_backend
from workbench.session.frames import Frame, Stream, StreamKind, validate_frame

from .api import BuildContext, Experiment
from .params import resolve_params
from .registry import PluginFailure, PluginInfo, failure_from_exception

FrameListener = Callable[[Frame], None]


class RunError(RuntimeError):
    """A plugin failed while building or stepping; ``failure`` has the details."""

    def __init__(self, failure: PluginFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


class Run:
    """One experiment instance with its parameters, backend, seed and history."""

    def __init__(self, info: PluginInfo, params: Mapping[str, Any] | None = None,
                 backend: str = "numpy", seed: int = 0) -> None:
        self.info = info
        self.params = resolve_params(info.cls.params, params)
        self.requested_backend = backend
        self.backend = backend
        self.seed = int(seed)
        self.warnings: list[str] = []
        self.experiment: Experiment | None = None
        self.streams: dict[str, Stream] = {}
        self.history: dict[str, list[float]] = {}
        self.last_frame: Frame | None = None
        self.listeners: list[FrameListener] = []

    @property
    def step_count(self) -> int:
        return self.experiment.steps_done if self.experiment is not None else 0

    def build(self) -> None:
        """(Re)create the experiment from scratch; history starts over."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.backend = get_backend(self.requested_backend).name  # may fall back to numpy
            try:
                exp = self.info.cls()
                exp.setup(BuildContext(self.backend, self.seed, dict(self.params)))
                streams = {s.name: s for s in exp.streams()}
            except Exception as exc:
                raise RunError(failure_from_exception(self.info.source, "build", exc)) from exc
        self.warnings = [str(w.message) for w in caught]
        self.experiment = exp
        self.streams = streams
        self.history = {n: [] for n, s in streams.items() if s.kind is StreamKind.SCALAR}
        self.last_frame = None

    def step(self) -> Frame:
        """One step of the experiment; the frame is validated, appended to history and passed
        to every listener (e.g. a session recorder)."""
        if self.experiment is None:
            self.build()
        start = perf_counter()
        try:
            frame = validate_frame(self.experiment.step(), self.streams)
        except Exception as exc:
            raise RunError(failure_from_exception(self.info.source, "step", exc)) from exc
        frame.seconds = perf_counter() - start
        for name, values in self.history.items():
            values.append(float(frame.values.get(name, math.nan)))
        self.last_frame = frame
        for listener in self.listeners:
            listener(frame)
        return frame

    def set_learning(self, flag: bool) -> None:
        if self.experiment is None:
            self.build()
        self.experiment.learning = bool(flag)

    def metrics(self) -> dict[str, float]:
        if self.experiment is None:
            return {}
        try:
            return dict(self.experiment.metrics())
        except Exception as exc:
            raise RunError(failure_from_exception(self.info.source, "metrics", exc)) from exc
