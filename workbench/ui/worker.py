"""The model's thread: a worker QObject that owns the Run and never touches a widget.

The GUI sends commands as queued signals (build, step, run, pause, speed, learning, inspect,
record) and reads what the worker publishes: the recent frames (:class:`FrameBuffer`), the
scalar histories (:class:`ScalarHistory`) and the measured step rate, at its own 30 Hz pace.
Running flat out, the worker steps in time slices of a few milliseconds and returns to its
event loop between slices, so a Pause is handled within one slice. Every failure, from the
plugin or from the engine (a lost OpenCL device), stops the run and is reported as a
:class:`PluginFailure`; the worker stays usable.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from workbench.plugins.api import View
from workbench.plugins.registry import PluginFailure, failure_from_exception
from workbench.plugins.runner import Run, RunError
from workbench.session.frames import Frame, Stream, StreamKind

from .history import FrameBuffer, ScalarHistory

RunFactory = Callable[[], Any]
"""Makes a built Run, or a fork (an object with ``.run`` and ``.recorder``, already recording);
called in the worker thread. A factory may carry ``source`` (named in error reports) and
``fresh`` (the factory Reset uses: a fork resets to its experiment's step 0, not to a new fork)."""

SLICE_S = 0.012
"""How long one flat-out time slice steps before the worker returns to its event loop."""


@dataclass(frozen=True)
class BuiltRun:
    """What the GUI needs after a (re)build: streams and views to lay out, and how it was built."""

    generation: int
    experiment: str
    streams: dict[str, Stream]
    views: list[View]
    backend: str
    seed: int
    params: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    step: int = 0


@dataclass(frozen=True)
class Published:
    """The worker's state as the GUI reads it on each timer tick."""

    generation: int
    history: ScalarHistory
    latest: Frame | None
    step: int
    rate: float
    running: bool


class ModelWorker(QObject):
    """Owns one Run at a time; lives in its own QThread."""

    sigBuilt = Signal(object)        # BuiltRun
    sigFailed = Signal(object)       # PluginFailure
    sigStepped = Signal(object)      # Frame, after a single step
    sigRunning = Signal(bool)
    sigInspected = Signal(str, int, object)
    sigRecording = Signal(object)    # the recording's path, or None when it stopped

    def __init__(self) -> None:
        super().__init__()
        self.run: Run | None = None
        self.frames = FrameBuffer()
        self._history = ScalarHistory(())
        self._lock = threading.Lock()
        self._generation = 0
        self._factory: RunFactory | None = None
        self._learning = True
        self._speed = 0.0
        self._running = False
        self._rate = 0.0
        self._rate_mark = (time.perf_counter(), 0)
        self._paced_from = (time.perf_counter(), 0)
        self._steps_taken = 0
        self._recorder = None
        self._sticky: dict[str, Any] = {}
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    # -- what the GUI reads ----------------------------------------------------------------------
    def published(self) -> Published:
        """Thread-safe: the current generation, history, newest frame, step and rate."""
        with self._lock:
            latest = self.frames.latest()
            return Published(self._generation, self._history, latest,
                             latest.step if latest is not None else self._start_step(), self._rate,
                             self._running)

    def _start_step(self) -> int:
        return self.run.step_count if self.run is not None else 0

    # -- commands ------------------------------------------------------------------------------------
    @Slot(object)
    def build(self, factory: RunFactory) -> None:
        """Replace the run with a new one from ``factory``; a failure keeps nothing running."""
        self.pause()
        self._stop_recording()
        try:
            made = factory()
            run, recorder = (made.run, made.recorder) if hasattr(made, "recorder") else (made, None)
            views = list(run.experiment.views())
        except RunError as exc:
            self._fail(exc.failure)
            return
        except Exception as exc:  # a bad session, a fork that does not reproduce, a broken views()
            self._fail(failure_from_exception(getattr(factory, "source", "workbench"), "build", exc))
            return
        self._factory = getattr(factory, "fresh", factory)
        self._install(run, views)
        if recorder is not None:
            self._recorder = recorder
            self.sigRecording.emit(str(recorder.path))

    @Slot()
    def reset(self) -> None:
        """Start the current experiment over from step 0 with the same settings."""
        if self._factory is not None:
            self.build(self._factory)

    def _install(self, run: Run, views: list[View]) -> None:
        run.set_learning(self._learning)
        scalars = [n for n, s in run.streams.items() if s.kind is StreamKind.SCALAR]
        with self._lock:
            self.run = run
            self._generation += 1
            self._history = ScalarHistory(scalars)
            self._sticky = {}
            self.frames.clear()
            generation = self._generation
        self.sigBuilt.emit(BuiltRun(generation, run.info.name, dict(run.streams), views, run.backend,
                                    run.seed, dict(run.params), list(run.warnings), run.step_count))

    @Slot()
    def step_once(self) -> None:
        """One step, shown by the GUI as soon as it is made (single-step mode)."""
        if self.run is None or self._running:
            return
        if self._step() is not None:
            self.sigStepped.emit(self.frames.latest())

    @Slot()
    def start(self) -> None:
        if self.run is None or self._running:
            return
        self._running = True
        now = time.perf_counter()
        self._paced_from = (now, self._steps_taken)
        self._rate_mark = (now, self._steps_taken)
        self._timer.start(self._interval_ms())
        self.sigRunning.emit(True)

    @Slot()
    def pause(self) -> None:
        if not self._running:
            return
        self._running = False
        self._timer.stop()
        with self._lock:
            self._rate = 0.0
        self.sigRunning.emit(False)

    @Slot(float)
    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second, or 0 for as fast as possible."""
        self._speed = max(0.0, float(steps_per_second))
        if self._running:
            self._paced_from = (time.perf_counter(), self._steps_taken)
            self._timer.start(self._interval_ms())

    @Slot(bool)
    def set_learning(self, flag: bool) -> None:
        self._learning = bool(flag)
        if self.run is not None and self.run.experiment.learning != self._learning:
            self.run.set_learning(flag)
            if self._recorder is not None:
                try:
                    self._recorder.record_event("learning", on=self._learning)
                except Exception as exc:
                    self.sigFailed.emit(failure_from_exception("recorder", "record", exc))

    @Slot(str, int)
    def inspect(self, layer: str, index: int) -> None:
        if self.run is None:
            return
        try:
            details = self.run.experiment.inspect(layer, index)
        except Exception as exc:
            self.sigFailed.emit(failure_from_exception(self.run.info.source, "inspect", exc))
            return
        self.sigInspected.emit(layer, index, details)

    @Slot(object)
    def start_recording(self, path: str) -> None:
        """Record every following step of the run into the session file ``path``."""
        if self.run is None:
            return
        self._stop_recording()
        from workbench.session.recorder import Recorder  # noqa: PLC0415 - optional until recording

        try:
            self._recorder = Recorder.create(path, self.run)
        except Exception as exc:
            self._fail(failure_from_exception("recorder", "record", exc))
            return
        self.sigRecording.emit(str(path))

    @Slot()
    def stop_recording(self) -> None:
        self._stop_recording()

    def _stop_recording(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        try:
            recorder.close()
        except Exception as exc:
            self.sigFailed.emit(failure_from_exception("recorder", "close", exc))
        self.sigRecording.emit(None)

    @Slot()
    def shutdown(self) -> None:
        """Stop stepping and close the recording; called before the thread quits."""
        self.pause()
        self._stop_recording()

    # -- stepping --------------------------------------------------------------------------------------
    def _interval_ms(self) -> int:
        if self._speed <= 0:
            return 0
        return int(min(50.0, max(1.0, 1000.0 / self._speed)))

    def _tick(self) -> None:
        start = time.perf_counter()
        if self._speed <= 0:
            while self._running and time.perf_counter() - start < SLICE_S:
                self._step()
        else:
            since, taken = self._paced_from
            due = int((start - since) * self._speed) - (self._steps_taken - taken)
            for _ in range(min(due, 1000)):
                if not self._running:
                    break
                self._step()
        now = time.perf_counter()
        mark, taken = self._rate_mark
        if now - mark >= 0.5:
            with self._lock:
                self._rate = (self._steps_taken - taken) / (now - mark)
            self._rate_mark = (now, self._steps_taken)

    def _step(self) -> Frame | None:
        try:
            frame = self.run.step()
        except RunError as exc:
            self._fail(exc.failure)
            return None
        except Exception as exc:  # a recorder or the engine below the plugin
            self._fail(failure_from_exception(self.run.info.source, "step", exc))
            return None
        self._steps_taken += 1
        self._history.append(frame)
        # streams sent every N steps (duty cycles, histograms) keep showing their last value
        self._sticky.update(frame.values)
        self.frames.append(Frame(frame.step, dict(self._sticky)))
        if getattr(self.run.experiment, "finished", False):
            self.pause()
        return frame

    def _fail(self, failure: PluginFailure) -> None:
        self.pause()
        self.sigFailed.emit(failure)


class WorkerThread(QObject):
    """The GUI's handle on the worker: it owns the thread and sends commands as queued signals."""

    requestBuild = Signal(object)
    requestReset = Signal()
    requestStep = Signal()
    requestStart = Signal()
    requestPause = Signal()
    requestSpeed = Signal(float)
    requestLearning = Signal(bool)
    requestInspect = Signal(str, int)
    requestRecord = Signal(object)
    requestStopRecording = Signal()
    requestShutdown = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("model-worker")
        self.worker = ModelWorker()
        self.worker.moveToThread(self.thread)
        w = self.worker
        for signal, slot in ((self.requestBuild, w.build), (self.requestReset, w.reset),
                             (self.requestStep, w.step_once), (self.requestStart, w.start),
                             (self.requestPause, w.pause), (self.requestSpeed, w.set_speed),
                             (self.requestLearning, w.set_learning), (self.requestInspect, w.inspect),
                             (self.requestRecord, w.start_recording),
                             (self.requestStopRecording, w.stop_recording)):
            signal.connect(slot)
        # blocking: when stop() returns, the worker's timer is stopped in its own thread
        self.requestShutdown.connect(w.shutdown, Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.start()

    def stop(self, timeout_ms: int = 5000) -> None:
        """Pause, close any recording and end the thread."""
        if not self.thread.isRunning():
            return
        self.requestShutdown.emit()
        self.thread.quit()
        self.thread.wait(timeout_ms)
