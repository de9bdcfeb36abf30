"""The Sweep window (Run > Sweep…): many headless runs of the current experiment on Dask, each
with its own parameters and seed, scored by one metric, watched as they arrive.

The panel describes the sweep (:mod:`sweep_form`), runs it with the engine's Qt-free
:class:`Sweep`, and shows the trials (:mod:`sweep_results`). Nothing slow runs on the Qt thread:
reading the experiment's metrics and preparing the sweep (each builds the experiment once) run
on a helper thread and the sweep on its own; a 10 Hz timer collects what they produce (finished
trials from ``sweep.trials``, status lines), so no widget is touched from another thread.
A double click on a trial asks the workbench to open its configuration; closing the window
stops a running sweep (finished trials stay in the table) and waits for its cluster to close.
"""

from __future__ import annotations

import queue
import threading
import traceback
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QSplitter, QVBoxLayout, QWidget)

from workbench.plugins.params import ParamError
from workbench.plugins.registry import PluginInfo, Registry
from workbench.plugins.runner import RunError
from workbench.plugins.sweep import FAILED, LOST, OK, Sweep, SweepError, SweepSpec, TrialResult, TrialSpec
from workbench.plugins.sweep import describe_ranking, prepare_sweep, rank_configs
from workbench.plugins.sweep.engine import metric_names
from workbench.plugins.sweep.report import describe_point

from . import theme
from .sweep_form import AxesEditor, SweepSettings, default_table
from .userdirs import sweeps_dir
from .sweep_results import TrialScatter, TrialTable

POLL_MS = 100
STOP_WAIT_S = 30.0
"""How long closing the window waits for a stopped sweep to close its cluster (about 2 s locally)."""
FILE_PLUGIN = "file "  # how the registry names a plugin found in a folder: "file /path/to/plugin.py"

T = TypeVar("T")


def in_background(work: Callable[[], T]) -> "Future[T]":
    """``work()`` on a daemon thread; the panel's timer polls the future for its outcome."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the Qt thread, which reports it
            future.set_exception(exc)

    threading.Thread(target=run, name="sweep-panel", daemon=True).start()
    return future


def plugin_folders(info: PluginInfo) -> list[str]:
    """The folder a plugin file was found in (workers discover the experiment there); none for
    built-ins and installed packages, which every worker has."""
    if info.source.startswith(FILE_PLUGIN):
        return [str(Path(info.source[len(FILE_PLUGIN):]).parent)]
    return []


def read_metrics(info: PluginInfo, values: dict[str, Any]) -> list[str]:
    """The metrics the experiment reports, from one quick local build: the same probe
    :func:`prepare_sweep` checks the chosen metric with, so the list is what it accepts."""
    return metric_names(info, TrialSpec.make(info.cls.params, values, 0, 1), "numpy")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class SweepPanel(QWidget):
    """A window of its own (parented to the main window, which opens it on its current experiment)."""

    sigOpenConfiguration = Signal(str, object, int)  # experiment, every parameter's value, seed
    sigLog = Signal(str, str, str)  # message, level, details (the log pane's arguments)

    def __init__(self, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("sweep")
        self.setWindowTitle("Sweep")
        self.resize(1280, 800)
        self.registry = registry
        self.experiment: str | None = None
        self.values: dict[str, Any] = {}
        self.sweep: Sweep | None = None
        self.running = False
        self.stopping = False
        self.results: list[TrialResult] = []
        self.best_trial: TrialResult | None = None
        self._swept: list[str] = []
        self._where: tuple[str | None, int | None] = (None, None)
        self._default_out = ""
        self._statuses: "queue.Queue[str]" = queue.Queue()
        self._metrics_job: Future | None = None
        self._prepare_job: Future | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

        self.heading = QLabel("")
        font = QFont(self.heading.font())
        font.setBold(True)
        self.heading.setFont(font)
        self.about = QLabel("")
        self.about.setWordWrap(True)
        self.about.setProperty("role", "muted")
        self.axes = AxesEditor()
        self.axes.sigChanged.connect(self._update_buttons)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.axes)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.settings = SweepSettings()
        self.settings.sigChanged.connect(self._update_buttons)
        self.start_button = QPushButton("Start sweep")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the sweep: finished trials stay in the table, the rest are cancelled")
        self.stop_button.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button)
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m trials")
        self.progress.setTextVisible(False)  # until a sweep has a total
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "muted")
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setProperty("role", "reason")
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.hide()
        setup = QWidget()
        left = QVBoxLayout(setup)
        left.setContentsMargins(6, 6, 6, 6)
        left.addWidget(self.heading)
        left.addWidget(self.about)
        left.addWidget(QLabel("Parameters (tick to sweep)"))
        left.addWidget(scroll, 1)
        left.addWidget(QLabel("Settings"))
        left.addWidget(self.settings)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addWidget(self.reason)

        self.best = QLabel("No trials yet.")
        self.best.setWordWrap(True)
        self.best.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_best_button = QPushButton("Open best")
        self.open_best_button.setToolTip("Open the best configuration (its best seed) in the workbench")
        self.open_best_button.clicked.connect(lambda: self.open_trial(self.best_trial))
        self.open_selected_button = QPushButton("Open selected")
        self.open_selected_button.setToolTip("Open the selected trial's configuration in the workbench "
                                             "(or double-click it)")
        self.open_selected_button.clicked.connect(lambda: self.open_trial(self.table.selected_result()))
        best_row = QHBoxLayout()
        best_row.addWidget(self.best, 1)
        best_row.addWidget(self.open_best_button)
        best_row.addWidget(self.open_selected_button)
        self.scatter = TrialScatter()
        self.table = TrialTable()
        self.table.sigOpen.connect(self.open_trial)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.scatter.sigPicked.connect(self.table.select)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.scatter)
        plots.addWidget(self.table)
        plots.setSizes([420, 330])
        results = QWidget()
        right = QVBoxLayout(results)
        right.setContentsMargins(6, 6, 6, 6)
        right.addLayout(best_row)
        right.addWidget(plots, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(setup)
        split.addWidget(results)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 880])
        for splitter in (split, plots):  # handles like the main window's dock separators
            splitter.setHandleWidth(4)
            splitter.setStyleSheet(f"QSplitter::handle {{ background: {theme.BASE}; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._update_buttons()

    # -- the experiment ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Preparing or running a sweep (the experiment cannot change meanwhile)."""
        return self._prepare_job is not None or self.running

    def set_experiment(self, name: str, values: dict[str, Any] | None = None) -> bool:
        """Sweep ``name``, with unticked parameters held at ``values`` (the editor's; defaults where
        absent). The same experiment keeps the rows as they were. False while busy."""
        if self.busy:
            return False
        info = self.registry.get(name)
        self.values = {p.name: p.default for p in info.cls.params} | dict(values or {})
        if name == self.experiment:
            self.axes.set_values(self.values)
            return True
        self.experiment = name
        self.setWindowTitle(f"Sweep — {info.title}")
        self.heading.setText(f"Sweep {info.title}")
        self.about.setText(f"Each trial builds {name} headless (numpy) with its own parameters and seed, "
                           f"runs its step budget and is scored by the metric. Unticked parameters keep "
                           f"the values in the parameter editor.")
        self.axes.set_params(name, info.cls.params, self.values)
        self.settings.set_experiment(int(getattr(info.cls, "default_steps", 1000)))
        self.settings.metric_choice.clear()
        self._set_default_out()
        self.sweep, self.results, self.best_trial = None, [], None
        self.table.reset([], "")
        self.scatter.reset([], set(), "")
        self.best.setText("No trials yet.")
        self.progress.setTextVisible(False)
        self.progress.reset()
        self._say("")
        self._refuse("")
        values_now = dict(self.values)
        self._metrics_job = in_background(lambda: read_metrics(info, values_now))
        self._timer.start()
        self._update_buttons()
        return True

    def _set_default_out(self) -> None:
        """A fresh table name, unless the user chose a file of their own."""
        if self.settings.out.text() in ("", self._default_out) and self.experiment is not None:
            self._default_out = str(default_table(self.experiment))
            self.settings.out.setText(self._default_out)

    # -- starting and stopping -----------------------------------------------------------------------
    def problems(self) -> str:
        """Why Start is refused now ("" if it is not)."""
        if self.experiment is None:
            return "open an experiment first"
        errors = self.axes.errors()
        if errors:
            return next(iter(errors.values()))
        if not self.axes.swept():
            return "tick at least one parameter to sweep"
        if not self.settings.metric_choice.currentText().strip():
            return "choose the metric to score trials by"
        return ""

    def start(self) -> None:
        """Prepare the sweep on a helper thread (it builds the experiment once to check the metric
        and the ranges); it starts when that succeeds, or the reason is shown in place."""
        problem = self.problems()
        if self.busy or problem:
            self._refuse(problem)
            return
        info = self.registry.get(self.experiment)
        fields = self.settings.spec_fields()
        if fields["out"] is not None and fields["out"] == self._default_out:
            sweeps_dir().mkdir(parents=True, exist_ok=True)
        spec = SweepSpec(self.experiment, self.axes.specs(), plugin_dirs=plugin_folders(info), **fields)
        self._where = self.settings.where()
        self._swept = self.axes.swept()
        self._refuse("")
        self._say(f"preparing: building {self.experiment} once to check the metric and every value…")
        registry = self.registry
        self._prepare_job = in_background(lambda: prepare_sweep(spec, registry))
        self._timer.start()
        self._update_buttons()

    def stop(self) -> None:
        """Stop soon: finished trials stay in the table and the results file, the rest are cancelled."""
        if self._prepare_job is not None:
            self._drop_prepared(self._prepare_job)
            self._prepare_job = None
            self._say("not started")
        elif self.running and self.sweep is not None:
            self.sweep.stop()
            self.stopping = True
            self._say("stopping: finished trials are kept, the rest cancelled…")
        self._update_buttons()

    def _launch(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.running, self.stopping = True, False
        self.results, self.best_trial = [], None
        declared = {p.name: p for p in sweep.info.cls.params}
        metric = sweep.objective.metric
        self.table.reset(self._swept, metric)
        self.scatter.reset([declared[n] for n in self._swept], {a.name for a in sweep.axes if a.log}, metric)
        resumed = sweep.results
        for result in resumed:
            self._add(result)
        self.progress.setTextVisible(True)
        self._show_progress()
        for note in [*sweep.plan.notes, *sweep.table.notes]:
            self.sigLog.emit(f"sweep: {note}", "warning", "")
        where = sweep.table.path or "memory only"
        self.sigLog.emit(f"sweep of {sweep.info.name}: {_plural(sweep.total, 'trial')} ({sweep.plan.strategy}, "
                         f"{metric} {'minimized' if sweep.objective.minimize else 'maximized'}), results: {where}"
                         + (f"; {len(resumed)} already in the table" if resumed else ""), "info", "")
        scheduler, workers = self._where
        sweep.start(scheduler=scheduler, workers=workers, on_status=self._statuses.put)
        self._update_buttons()

    def _drop_prepared(self, job: Future) -> None:
        """A prepared sweep that will not run still holds its results file open: close it when it comes."""
        def close(done: Future) -> None:
            if done.exception() is None:
                done.result().table.close()
        job.add_done_callback(close)

    # -- collecting --------------------------------------------------------------------------------------
    def _poll(self) -> None:
        if self._metrics_job is not None and self._metrics_job.done():
            self._metrics_arrived(self._metrics_job)
            self._metrics_job = None
        if self._prepare_job is not None and self._prepare_job.done():
            job, self._prepare_job = self._prepare_job, None
            self._prepared(job)
        if self.running:
            self._collect()
        if self._metrics_job is None and self._prepare_job is None and not self.running:
            self._timer.stop()

    def _metrics_arrived(self, job: Future) -> None:
        error = job.exception()
        if error is None:
            self.settings.set_metrics(job.result())
            self._update_buttons()
            return
        self.settings.set_metrics([])
        message = str(error.failure) if isinstance(error, RunError) else str(error)
        self._say(f"could not read the metrics of {self.experiment} ({message}); type the metric")

    def _prepared(self, job: Future) -> None:
        error = job.exception()
        if error is None:
            self._launch(job.result())
            return
        if isinstance(error, (SweepError, ParamError)):
            self._refuse(str(error))
            self._say("not started")
        else:  # the plugin failed to build (RunError) or something unexpected
            message = str(error.failure) if isinstance(error, RunError) else f"{type(error).__name__}: {error}"
            details = error.failure.details if isinstance(error, RunError) else \
                "".join(traceback.format_exception(error))
            self._refuse(message)
            self._say("not started")
            self.sigLog.emit(f"sweep not started: {message}", "error", details)
        self._update_buttons()

    def _collect(self) -> None:
        """Take the status lines and trials that arrived; finish up once the sweep has ended."""
        sweep = self.sweep
        ended = sweep.wait(0)  # asked first: a trial that arrives after the draining below is never lost
        while True:
            try:
                line = self._statuses.get_nowait()
            except queue.Empty:
                break
            self._say(line)
            self.sigLog.emit(f"sweep: {line}", "info", "")
        arrived = False
        while True:
            try:
                result = sweep.trials.get_nowait()
            except queue.Empty:
                break
            self._add(result)
            arrived = True
        if arrived:
            self._show_progress()
        if ended:
            self._finished()

    def _add(self, result: TrialResult) -> None:
        self.results.append(result)
        self.table.add(result)
        if not result.ok:
            self.sigLog.emit(f"sweep: trial {len(self.results)} {result.status}: {result.error}", "warning",
                             result.details)

    def _show_progress(self) -> None:
        sweep = self.sweep
        self.progress.setRange(0, max(sweep.total, 1))
        self.progress.setValue(min(sweep.done, sweep.total))
        ranking = [c for c in rank_configs(self.results, sweep.objective) if c.scores]
        if not ranking:
            self.best_trial = None
            self.best.setText("No trial has a score yet." if self.results else "No trials yet.")
            self.scatter.show_results(self.results, None)
            self._update_buttons()
            return
        config = ranking[0]
        trials = [r for r in self.results
                  if r.ok and r.spec.steps == config.steps and r.spec.param_dict == config.params]
        self.best_trial = min(trials, key=lambda r: sweep.objective.rank_value(r.score(sweep.objective.metric)))
        spread = f" ± {config.std:.3g}" if len(config.scores) > 1 else ""
        failed = f", {config.failed} failed" if config.failed else ""
        axes = [a for a in sweep.axes if a.name in self._swept]
        self.best.setText(f"Best: {sweep.objective.metric} = {config.mean:.6g}{spread} over "
                          f"{_plural(len(config.scores), 'seed')}{failed} — {describe_point(config.params, axes)}")
        self.scatter.show_results(self.results, self.best_trial.spec.config_key)
        self._update_buttons()

    def _finished(self) -> None:
        sweep = self.sweep
        self.running = False
        counts = {s: sum(r.status == s for r in self.results) for s in (OK, FAILED, LOST)}
        summary = (f"{len(self.results)} of {sweep.total} trials ({counts[OK]} ok, {counts[FAILED]} failed, "
                   f"{counts[LOST]} lost)")
        if sweep.error is not None:
            error = sweep.error
            self._refuse(str(error))
            self._say(f"failed after {summary}")
            details = "" if isinstance(error, SweepError) else "".join(traceback.format_exception(error))
            self.sigLog.emit(f"sweep failed: {error}", "error", details)
        else:
            resume = "; Start runs the rest" if sweep.status == "stopped" and sweep.table.path else ""
            self._say(f"{sweep.status}: {summary}{resume}")
            self.sigLog.emit(f"sweep {sweep.status}: {summary}", "info", "")
            lines = describe_ranking(sweep.ranking(), [a for a in sweep.axes if a.name in self._swept],
                                     sweep.objective, top=3)
            if lines:
                self.sigLog.emit("best configurations:\n" + "\n".join(lines), "info", "")
        if sweep.status == "finished":  # else the same table again resumes the sweep
            self._set_default_out()
        self._update_buttons()

    # -- opening a trial -------------------------------------------------------------------------------
    def open_trial(self, result: TrialResult | None) -> None:
        """Ask the workbench to show the trial's parameters and seed and build them."""
        if result is None or self.sweep is None:
            return
        self.sigOpenConfiguration.emit(self.sweep.info.name, result.spec.param_dict, result.spec.seed)

    # -- state shown ----------------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _refuse(self, reason: str) -> None:
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))

    def _update_buttons(self, *_: object) -> None:
        problem = self.problems()
        self.start_button.setEnabled(not self.busy and not problem)
        self.start_button.setToolTip(problem or "Run every trial of the sweep on the Dask cluster")
        self.stop_button.setEnabled(self.busy and not self.stopping)
        for widget in (self.axes, self.settings):
            widget.setEnabled(not self.busy)
        self.open_best_button.setEnabled(self.best_trial is not None)
        self.open_selected_button.setEnabled(self.table.selected_result() is not None)

    # -- closing ----------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop whatever runs and wait (a few seconds) for the sweep to close its cluster."""
        if self._prepare_job is not None:
            self._drop_prepared(self._prepare_job)
            self._prepare_job = None
        if self.running and self.sweep is not None:
            self.stop()
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                ended = self.sweep.wait(STOP_WAIT_S)
            finally:
                QApplication.restoreOverrideCursor()
            if not ended:
                self.sigLog.emit(f"the sweep did not stop within {STOP_WAIT_S:.0f} s; it ends in the background",
                                 "warning", "")
        self._poll()  # collects what finished; the timer goes on only while something still runs

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
