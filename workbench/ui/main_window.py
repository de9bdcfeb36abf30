"""The main window: experiment dock, transport, legend, view docks, timeline, log and replay.

Two modes share the same views. *Live*: a :class:`ModelWorker` in its own thread steps the model;
a 30 Hz timer reads what it published and draws the newest frame (or the frame the timeline was
scrubbed to, from the bounded live history). *Replay*: a :class:`ReplaySource` gives any recorded
step; Play advances the shown step with a timer; "Continue from here" forks a live run from it.
"""

from __future__ import annotations

import csv
import math
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QInputDialog, QMainWindow, QMenu, QTabWidget,
                               QToolBar, QWidget)

from workbench.engine.backend import available_backends
from workbench.plugins.api import View
from workbench.plugins.params import ParamError
from workbench.plugins.registry import PluginFailure, Registry
from workbench.plugins.runner import Run
from workbench.session.frames import Frame, Stream

from .annotations import AnnotationsPanel
from .experiment_panel import ExperimentPanel
from .history import EMPTY_SERIES, SeriesSnapshot
from .inspector import InspectionError, InspectorView
from .layouts import LAST, LayoutStore
from .legend import Legend
from .log_pane import LogPane, error_dialog
from .pacing import FramePacer
from .sweep_panel import SweepPanel
from .timeline import Timeline
from .transport import Transport
from .userdirs import recordings_dir
from .views import Display, StreamView, make_view
from .views.curves import CurvesView
from .views.grid_views import CellsView, ColumnsView
from .worker import BuiltRun, WorkerThread

REFRESH_HZ = 30
REPLAY_FASTEST = 600.0
"""Steps per second that "as fast as possible" replays at (every frame is read from the file)."""
GRID_KINDS = ("sdr", "columns", "cells")
SIDE_KINDS = ("vector", "histogram", "image", "text")


def run_factory(registry: Registry, name: str, params: dict[str, Any], backend: str,
                seed: int) -> Callable[[], Run]:
    """A factory the worker calls to build a fresh run (it carries its source for error reports)."""
    info = registry.get(name)

    def make() -> Run:
        run = Run(info, params, backend=backend, seed=seed)
        run.build()
        return run

    make.source = info.source
    return make


class MainWindow(QMainWindow):
    """The workbench window; ``registry`` holds the experiments it can open."""

    def __init__(self, registry: Registry, layouts: LayoutStore | None = None,
                 backends: list[str] | None = None) -> None:
        super().__init__()
        self.setWindowTitle("HTM Workbench")
        self.setObjectName("workbench-main")
        self.setDockNestingEnabled(True)
        self.resize(1500, 940)
        self.registry = registry
        self.layouts = layouts or LayoutStore()
        self.mode = "live"
        self.built: BuiltRun | None = None
        self.replay = None
        self.views: list[tuple[View, StreamView, QDockWidget]] = []
        self.cursor: int | None = None
        self.shown_frame: Frame | None = None
        self.error_box = None
        self.sweep_window: SweepPanel | None = None
        self.recording: str | None = None
        self.last_recording: Path | None = None
        self._pending_save: Path | None = None
        self._layout_key: str | None = None
        self._inspect_target: tuple[str, int, CellsView | None] | None = None
        self._inspected_at = 0.0
        self._inspected_step = -1
        self.running = False
        self._fallbacks: list[str] = []
        self.pacer = FramePacer()
        self._round: list[StreamView] = []
        self._round_display = Display()

        self.worker = WorkerThread(self)
        w = self.worker.worker
        w.sigBuilt.connect(self._built)
        w.sigFailed.connect(self.report_failure)
        w.sigStepped.connect(self._stepped)
        w.sigRunning.connect(self._running_changed)
        w.sigInspected.connect(self._inspected)
        w.sigRecording.connect(self._recording_changed)

        self.transport = Transport(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.transport.toolbar(self))
        self.addToolBarBreak()
        legend_bar = QToolBar("Legend", self)
        legend_bar.setObjectName("legend")
        legend_bar.setMovable(False)
        self.legend = Legend()
        legend_bar.addWidget(self.legend)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, legend_bar)
        self.timeline = Timeline()
        timeline_bar = QToolBar("Timeline", self)
        timeline_bar.setObjectName("timeline")
        timeline_bar.setMovable(False)
        timeline_bar.addWidget(self.timeline)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, timeline_bar)

        self.panel = ExperimentPanel(registry, backends if backends is not None else available_backends())
        self.experiment_dock = self._dock("Experiment", "experiment", self.panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.experiment_dock)
        self.log = LogPane()
        self.annotations = AnnotationsPanel()
        # tabs inside one dock rather than tabified docks: QMainWindow leaves stray tab bars
        # behind when a layout with tabified docks is restored
        self.notes = QTabWidget()
        self.notes.setDocumentMode(True)
        self.notes.addTab(self.log, "Log")
        self.notes.addTab(self.annotations, "Annotations")
        self.log_dock = self._dock("Log and annotations", "log", self.notes)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.log_dock)
        self.inspector = InspectorView()
        self.inspector_dock = self._dock("Synapse inspector", "inspector", self.inspector)

        self._make_actions()
        self._connect()
        for failure in registry.failures:
            self.log.log(f"plugin {failure}", "warning", failure.details)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(int(1000 / REFRESH_HZ))
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start()
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._play_tick)
        self._play_from = (0.0, 0)
        self._set_mode("live")

    # -- construction --------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return dock

    def _make_actions(self) -> None:
        t = self.transport
        self.open_action = QAction("&Open session…", self, shortcut=QKeySequence("Ctrl+O"))
        self.save_action = QAction("&Save session as…", self, shortcut=QKeySequence("Ctrl+S"))
        self.export_png_menu = QMenu("Export view as &PNG", self)
        self.export_png_menu.aboutToShow.connect(self._fill_export_menu)
        self.export_csv_action = QAction("Export curves as &CSV…", self)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.fork_action = QAction("Continue from here", self)
        self.fork_action.setToolTip("Fork a live run from the step on screen (replay)")
        self.sweep_action = QAction("S&weep…", self)
        self.sweep_action.setToolTip("Run the current experiment many times on Dask, over ranges of its parameters")
        self.save_layout_action = QAction("Save layout as…", self)
        self.default_layout_action = QAction("Default layout", self)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for a in (self.open_action, self.save_action, None, self.export_png_menu, self.export_csv_action,
                  None, self.quit_action):
            if a is None:
                file_menu.addSeparator()
            elif isinstance(a, QMenu):
                file_menu.addMenu(a)
            else:
                file_menu.addAction(a)
        run_menu = menu.addMenu("&Run")
        for a in (t.reset, t.step_back, t.step, t.run, None, t.learning, t.record, None, self.fork_action,
                  None, self.sweep_action):
            if a is None:
                run_menu.addSeparator()
            else:
                run_menu.addAction(a)
        self.view_menu = menu.addMenu("&View")
        self.layouts_menu = QMenu("Layout presets", self)
        self.view_menu.aboutToShow.connect(self._fill_view_menu)
        bar = self.findChild(QToolBar, "transport")
        bar.addSeparator()
        bar.addAction(self.fork_action)

    def _fill_view_menu(self) -> None:
        menu = self.view_menu
        menu.clear()
        for dock in [self.experiment_dock, self.inspector_dock, self.log_dock,
                     *(d for _, _, d in self.views)]:
            menu.addAction(dock.toggleViewAction())
        menu.addSeparator()
        menu.addAction(self.save_layout_action)
        menu.addAction(self.default_layout_action)
        self.layouts_menu.clear()
        for name in self.layouts.names(self._layout_key or ""):
            self.layouts_menu.addAction(name, lambda n=name: self.restore_layout(n))
        self.layouts_menu.setEnabled(not self.layouts_menu.isEmpty())
        menu.addMenu(self.layouts_menu)

    def _connect(self) -> None:
        t = self.transport
        t.reset.triggered.connect(self.reset)
        t.step.triggered.connect(self.step)
        t.step_back.triggered.connect(self.step_back)
        t.run.toggled.connect(self.set_running)
        t.learning.toggled.connect(self.worker.requestLearning)
        t.record.toggled.connect(self._record_toggled)
        t.sigSpeedChanged.connect(self._speed_changed)
        self.open_action.triggered.connect(self._open_dialog)
        self.save_action.triggered.connect(self._save_dialog)
        self.export_csv_action.triggered.connect(self._export_csv_dialog)
        self.quit_action.triggered.connect(self.close)
        self.fork_action.triggered.connect(self.continue_from_here)
        self.sweep_action.triggered.connect(self.open_sweep)
        self.save_layout_action.triggered.connect(self._save_layout_dialog)
        self.default_layout_action.triggered.connect(self.default_layout)
        self.panel.sigExperimentChosen.connect(self.open_experiment)
        self.panel.sigApply.connect(self.apply)
        self.panel.sigFailureChosen.connect(
            lambda f: self.show_error(f"Plugin {f.source}", f"{f.stage} failed: {f.message}", f.details))
        self.timeline.sigScrubbed.connect(self.show_step)
        self.timeline.sigFollowLatest.connect(self.follow_latest)
        self.annotations.sigJump.connect(self.show_step)
        self.annotations.sigAdd.connect(self.add_annotation)
        self.annotations.sigEdit.connect(self.edit_annotation)
        self.annotations.sigDelete.connect(self.delete_annotation)

    # -- errors ------------------------------------------------------------------------------------
    def show_error(self, title: str, message: str, details: str = "") -> None:
        """Log the error with its details and show it in a non-modal dialog."""
        self.log.log(message, "error", details)
        self.log_dock.show()
        self.notes.setCurrentWidget(self.log)
        if self.error_box is not None:
            self.error_box.close()
        self.error_box = error_dialog(self, title, message, details)
        self.error_box.destroyed.connect(self._error_box_closed)

    def _error_box_closed(self) -> None:
        self.error_box = None

    def report_failure(self, failure: PluginFailure) -> None:
        self.transport.set_running(False)
        if failure.stage == "build" and self.built is None and self._fallbacks:
            following = self._fallbacks.pop(0)
            self.log.log(f"{failure}; opening {following!r} instead", "warning", failure.details)
            self.open_experiment(following)
            return
        self.show_error(f"{failure.stage.capitalize()} failed", str(failure), failure.details)

    # -- opening experiments ------------------------------------------------------------------------
    def open_first_available(self, preferred: str) -> str | None:
        """Open ``preferred``, else the first experiment there is, saying in the log why; if it
        then fails to build, the next one is tried (until one has been built)."""
        names = self.registry.names()
        if preferred in self.registry.experiments:
            self._fallbacks = [n for n in names if n != preferred]
            self.open_experiment(preferred)
            return preferred
        why = "; ".join(f.message for f in self.registry.failures if preferred in f.source) or \
            "no plugin provides it"
        if not names:
            self.log.log(f"experiment {preferred!r} is not available ({why}), and no other experiment is",
                         "error")
            return None
        self.log.log(f"experiment {preferred!r} is not available ({why}); opened {names[0]!r} instead",
                     "warning")
        self._fallbacks = names[1:]
        self.open_experiment(names[0])
        return names[0]

    def open_experiment(self, name: str) -> None:
        """Show ``name``'s defaults in the editor and build it (live mode)."""
        info = self.registry.get(name)
        self.panel.select(name)
        self._build(run_factory(self.registry, name, {p.name: p.default for p in info.cls.params},
                                self.panel.backend.currentText(), self.panel.seed.value()))

    def apply(self) -> None:
        """Rebuild the model with the editor's parameters, backend and seed."""
        name = self.panel.current_name()
        if name is None:
            return
        try:
            params = self.panel.params.values()
        except ParamError as exc:
            self.log.log(f"not applied: {exc}", "warning")
            return
        self._build(run_factory(self.registry, name, params, self.panel.backend.currentText(),
                                self.panel.seed.value()))

    def open_configuration(self, name: str, params: dict[str, Any], seed: int) -> None:
        """Show ``params`` and ``seed`` (a sweep's trial) in the editor and build them."""
        self.panel.select(name)
        self.panel.show_experiment(name, params, seed=seed)
        self.log.log(f"opened a sweep trial of {name}, seed {seed}")
        self._build(run_factory(self.registry, name, params, self.panel.backend.currentText(), seed))

    def open_sweep(self) -> None:
        """The Sweep window, on the current experiment and the editor's values (Run > Sweep…);
        a sweep in progress keeps its experiment."""
        name = self.panel.current_name()
        if name is None:
            return
        if self.sweep_window is None:
            self.sweep_window = SweepPanel(self.registry, self)
            self.sweep_window.sigOpenConfiguration.connect(self.open_configuration)
            self.sweep_window.sigLog.connect(self.log.log)
        editor = self.panel.params
        self.sweep_window.set_experiment(name, editor.values() if editor.is_valid() else None)
        self.sweep_window.show()
        self.sweep_window.raise_()
        self.sweep_window.activateWindow()

    def _build(self, factory: Callable[[], Run]) -> None:
        if self.mode == "replay":
            self._close_replay()
        self.worker.requestBuild.emit(factory)

    def _built(self, built: BuiltRun) -> None:
        self.built = built
        self._set_mode("live")
        self.panel.select(built.experiment)
        self.panel.show_experiment(built.experiment, built.params, built.backend, built.seed)
        for warning in built.warnings:
            self.log.log(warning, "warning")
        self.cursor = None
        self._install_views(built.experiment, built.streams, built.views)
        self.log.log(f"built {built.experiment} on {built.backend}, seed {built.seed}"
                     + (f", from step {built.step}" if built.step else ""))
        self.refresh()

    # -- views --------------------------------------------------------------------------------------
    def _install_views(self, key: str, streams: dict[str, Stream], views: list[View]) -> None:
        self._save_layout_state()
        for _, widget, dock in self.views:
            dock.setObjectName("")  # restoreState() below must not find the old docks by name
            self.removeDockWidget(dock)
            dock.deleteLater()
        self.views = []
        self._inspect_target = None
        self.inspector.clear()
        for i, view in enumerate(views):
            try:
                widget = make_view(view, streams)
            except Exception as exc:
                self.log.log(f"view {view.title or view.kind!r} cannot be shown: {exc}", "error")
                continue
            title = view.title or widget.title
            safe = "".join(c if c.isalnum() else "_" for c in title)
            dock = self._dock(title, f"view-{i}-{view.kind}-{safe}", widget)
            widget.sigInspect.connect(self._inspect_requested)
            if isinstance(widget, CurvesView):
                widget.sigSeek.connect(self.show_step)
            self.views.append((view, widget, dock))
        self._layout_key = key
        self.default_layout()
        saved = self.layouts.load(key, LAST)
        if saved is not None:
            self.restoreState(QByteArray(saved))

    def default_layout(self) -> None:
        """Grids in a row on top, curves below them, other plots and the inspector on the right."""
        grids = [d for v, _, d in self.views if v.kind in GRID_KINDS]
        curves = [d for v, _, d in self.views if v.kind == "curves"]
        sides = [d for v, _, d in self.views if v.kind in SIDE_KINDS]
        main = grids + curves
        anchor = (main or sides or [self.inspector_dock])[0]
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, anchor)
        # order matters: the right column first (full height), then the curves row under the
        # grids (full width of the middle), then the grids and curves side by side in their rows
        if anchor is not self.inspector_dock:
            self.splitDockWidget(anchor, self.inspector_dock, Qt.Orientation.Horizontal)
        for dock in sides:
            if dock is not anchor:
                self.splitDockWidget(self.inspector_dock, dock, Qt.Orientation.Vertical)
        if grids and curves:
            self.splitDockWidget(grids[0], curves[0], Qt.Orientation.Vertical)
        for row in (grids, curves):
            for before, dock in zip(row, row[1:]):
                self.splitDockWidget(before, dock, Qt.Orientation.Horizontal)
        for dock in [anchor, self.inspector_dock, *sides, *main]:
            dock.show()
        side_width, left_width = 330, 300
        self.resizeDocks([self.experiment_dock], [left_width], Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [200], Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock], [side_width], Qt.Orientation.Horizontal)
        row = grids or curves
        if row:
            free = max(300, self.width() - left_width - side_width - 40)
            self.resizeDocks(row, [free // len(row)] * len(row), Qt.Orientation.Horizontal)
        if grids and curves:
            free = max(300, self.height() - 200)
            self.resizeDocks([grids[0], curves[0]], [free * 3 // 5, free * 2 // 5], Qt.Orientation.Vertical)
        if sides:
            free = max(300, self.height() - 200)
            self.resizeDocks([self.inspector_dock, *sides], [free * 2 // 5] + [free * 3 // 5 // len(sides)]
                             * len(sides), Qt.Orientation.Vertical)

    def _save_layout_state(self) -> None:
        if self._layout_key is not None and self.views:
            self.layouts.save(self._layout_key, LAST, bytes(self.saveState().data()))

    def save_layout(self, name: str) -> None:
        if self._layout_key is not None:
            self.layouts.save(self._layout_key, name, bytes(self.saveState().data()))
            self.log.log(f"saved layout {name!r} for {self._layout_key}")

    def restore_layout(self, name: str) -> bool:
        state = self.layouts.load(self._layout_key or "", name)
        return state is not None and self.restoreState(QByteArray(state))

    def _save_layout_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "Save layout", "Name of this layout preset:")
        if ok and name.strip():
            self.save_layout(name.strip())

    def view_by_title(self, title: str) -> StreamView:
        for view, widget, dock in self.views:
            if dock.windowTitle() == title:
                return widget
        raise KeyError(f"no view titled {title!r}; views: {', '.join(d.windowTitle() for *_, d in self.views)}")

    # -- drawing -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw the newest state (30 Hz), or the scrubbed step; cheap when nothing changed."""
        if self.mode == "replay":
            return
        pub = self.worker.worker.published()
        if self.built is None or pub.generation != self.built.generation:
            return
        series = pub.history.snapshot()
        frames = self.worker.worker.frames
        frame = pub.latest
        if self.cursor is not None:
            frame = frames.get(self.cursor)
            if frame is None:
                self.cursor = None
                frame = pub.latest
        display = Display(frame, series, self.cursor)
        if pub.running and self.cursor is None:
            self._draw_paced(display)
        else:
            self._round = []
            self.pacer.reset()
            self.refresh_timer.setInterval(int(1000 / REFRESH_HZ))
            self._draw(display)
        t = self.transport
        t.counter.setText(f"step {pub.step:,}")
        t.rate.setText(f"{pub.rate:,.0f} steps/s" if pub.running else "")
        span = frames.span()
        if not self.timeline.slider.isSliderDown():
            if span is None:
                self.timeline.set_range(0, -1, 0)
            else:
                self.timeline.set_range(span[0], span[1], self.cursor if self.cursor is not None else span[1])
        self._follow_inspection(pub.step)

    def _follow_inspection(self, step: int) -> None:
        """Ask again about the inspected column or cell after the model moved on (at most
        twice a second: its synapses change as it learns)."""
        if self._inspect_target is None or step == self._inspected_step:
            return
        now = time.perf_counter()
        if now - self._inspected_at > 0.5:
            self._inspected_at, self._inspected_step = now, step
            layer, index, _ = self._inspect_target
            self.worker.requestInspect.emit(layer, index)

    def _draw_paced(self, display: Display) -> None:
        """Draw the next few views of the current round (see pacing.py)."""
        if not self._round:
            self._round = [w for _, w, d in self.views if not d.isHidden() and w.isVisible()]
            self._round_display = display
            self.shown_frame = display.frame
        count = self.pacer.views_per_tick(len(self._round))
        start = time.perf_counter()
        for widget in self._round[:count]:
            widget.show_display(self._round_display)
        self._round = self._round[count:]
        QTimer.singleShot(0, lambda: self._tick_done(start, count))

    def _tick_done(self, start: float, count: int) -> None:
        """Called once the tick's drawing and painting are done: pace the next tick."""
        interval = self.pacer.measured(time.perf_counter() - start, count)
        if self.running:
            self.refresh_timer.setInterval(int(interval * 1000))

    def _draw(self, display: Display) -> None:
        self.shown_frame = display.frame
        for _, widget, dock in self.views:
            if not dock.isHidden() and widget.isVisible():
                widget.show_display(display)
            elif display.frame is None:
                widget.clear()

    def _stepped(self, frame: Frame) -> None:
        self.cursor = None
        self.refresh()

    # -- transport -----------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        if self.mode == "replay":
            self._play(running)
            return
        if running:
            self.cursor = None
            self.worker.requestStart.emit()
        else:
            self.worker.requestPause.emit()

    def _running_changed(self, running: bool) -> None:
        self.running = running
        self.transport.set_running(running)

    def step(self) -> None:
        if self.mode == "replay":
            self.show_step(min(self.replay.length, (self.cursor or 0) + 1))
            return
        span = self.worker.worker.frames.span()
        if self.cursor is not None and span is not None and self.cursor < span[1]:
            self.show_step(self.cursor + 1)
            return
        self.cursor = None
        self.worker.requestStep.emit()

    def step_back(self) -> None:
        if self.mode == "replay":
            self.show_step(max(1, (self.cursor or 1) - 1))
            return
        span = self.worker.worker.frames.span()
        if span is None:
            return
        current = self.cursor if self.cursor is not None else span[1]
        self.show_step(max(span[0], current - 1))

    def reset(self) -> None:
        if self.mode == "replay":
            self.show_step(1)
        else:
            self.worker.requestReset.emit()

    def _speed_changed(self, speed: float) -> None:
        self.worker.requestSpeed.emit(speed)
        if self.play_timer.isActive():
            self._play(True)

    def show_step(self, step: int) -> None:
        """Show ``step`` (the timeline moved, an annotation or a curve was picked)."""
        if self.mode == "replay":
            if not self.replay.length:
                return
            self.cursor = int(min(max(1, step), self.replay.length))
            try:
                frame = self.replay.frame(self.cursor)
            except Exception as exc:
                self.show_error("Replay failed", f"cannot read step {self.cursor}: {exc}")
                self._play(False)
                return
            self._draw(Display(frame, self.replay.series, self.cursor))
            self.timeline.set_range(1, self.replay.length, self.cursor)
            self.transport.counter.setText(f"step {self.cursor:,} / {self.replay.length:,}")
            self._show_caption()
            return
        span = self.worker.worker.frames.span()
        if span is None:
            return
        if self.running:
            self.transport.run.setChecked(False)
        step = int(min(max(span[0], step), span[1]))
        self.cursor = None if step == span[1] else step
        self.refresh()

    def follow_latest(self) -> None:
        if self.mode == "replay":
            self.show_step(self.replay.length)
        else:
            self.cursor = None
            self.refresh()

    # -- replay ---------------------------------------------------------------------------------------
    def open_session(self, path: str | Path) -> bool:
        """Show a recorded session in the views; a bad file is reported and nothing changes."""
        from .replay import ReplaySource  # noqa: PLC0415

        try:
            source = ReplaySource(path)
        except Exception as exc:
            self.show_error("Cannot open session", f"{path}: {exc}", f"{type(exc).__name__}: {exc}")
            return False
        self.worker.requestPause.emit()
        self.worker.requestStopRecording.emit()
        if self.replay is not None:
            self._close_replay()
        self.replay = source
        views = source.views(self.registry)
        if source.view_note:
            self.log.log(f"replaying with generic views: {source.view_note}", "warning")
        m = source.manifest
        self.built = None
        self._set_mode("replay")
        if m.experiment in self.registry.names():
            # the editor shows the recorded run: Apply runs it again live, as it was or changed
            self.panel.select(m.experiment)
            self.panel.show_experiment(m.experiment, m.params, m.backend, m.seed)
        self._install_views(f"{m.experiment}", source.streams, views)
        self.refresh_annotations()
        self.notes.setCurrentWidget(self.annotations)
        self.log.log(f"opened {source.path.name}: {m.experiment}, {source.length:,} steps, seed {m.seed}, "
                     f"{m.backend}" + ("" if source.writable else " (read-only: annotations cannot be saved)"))
        self.setWindowTitle(f"HTM Workbench — {source.path.name}")
        self.show_step(1)
        return True

    def _close_replay(self) -> None:
        self._play(False)
        if self.replay is not None:
            self.replay.close()
        self.replay = None
        self.cursor = None
        self._set_mode("live")
        self.setWindowTitle("HTM Workbench")

    def _play(self, playing: bool) -> None:
        if not playing or self.replay is None:
            self.play_timer.stop()
            self.transport.set_running(False)
            return
        if self.cursor is not None and self.cursor >= self.replay.length:
            self.show_step(1)
        speed = self.transport.speed_value()
        self.play_timer.start(int(1000 / REFRESH_HZ) if speed <= 0 or speed > REFRESH_HZ else int(1000 / speed))
        self._play_from = (time.perf_counter(), self.cursor or 1)
        self.transport.set_running(True)

    def _play_tick(self) -> None:
        speed = self.transport.speed_value()
        start, first = self._play_from
        elapsed = time.perf_counter() - start
        target = first + int(elapsed * (speed if speed > 0 else REPLAY_FASTEST))
        self.show_step(target)
        if self.cursor >= self.replay.length:
            self._play(False)

    def continue_from_here(self) -> None:
        """Fork a live run from the replayed step: the session layer loads the nearest checkpoint,
        re-simulates to the step, checks it against the recording, and records the continuation
        into a new session file (named after the parent, in the recordings folder)."""
        if self.replay is None or self.cursor is None:
            return
        from workbench.session.fork import fork_session  # noqa: PLC0415

        parent, step, registry = self.replay.path, self.cursor, self.registry
        manifest = self.replay.manifest
        folder = recordings_dir()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{parent.stem}-fork{step}-{time.strftime('%Y%m%d-%H%M%S')}.wbsession"
        if manifest.experiment not in registry.experiments:
            self.show_error("Cannot continue", f"the {manifest.experiment} plugin is not installed, so "
                            f"{parent.name} can be replayed but not continued")
            return

        def unbuilt(name: str, params: dict, backend: str, seed: int) -> Run:
            return Run(registry.get(name), params, backend=backend, seed=seed)

        def make():
            return fork_session(parent, step, target, unbuilt)

        make.source = f"fork of {parent.name} at step {step}"
        make.fresh = run_factory(registry, manifest.experiment, dict(manifest.params), manifest.backend,
                                 manifest.seed)
        self.log.log(f"continuing {parent.name} from step {step} (recording into {target.name})")
        self._build(make)

    def refresh_annotations(self) -> None:
        if self.replay is None:
            return
        items = self.replay.annotations
        self.annotations.set_annotations(items)
        self.timeline.slider.set_marks([a.step for a in items])
        self._show_caption()

    def _show_caption(self) -> None:
        if self.replay is None or self.cursor is None:
            self.timeline.set_caption("")
            return
        current = [a for a in self.annotations.annotations if a.step <= self.cursor]
        self.timeline.set_caption(f"step {current[-1].step}: {current[-1].caption}" if current else "")

    def add_annotation(self, caption: str) -> None:
        self._annotate(lambda r: r.add_annotation(self.cursor, caption), f"annotated step {self.cursor}")

    def edit_annotation(self, annotation_id: int, caption: str) -> None:
        self._annotate(lambda r: r.edit_annotation(annotation_id, caption=caption), "annotation edited")

    def delete_annotation(self, annotation_id: int) -> None:
        self._annotate(lambda r: r.delete_annotation(annotation_id), "annotation deleted")

    def _annotate(self, change: Callable[[Any], Any], done: str) -> None:
        if self.replay is None or self.cursor is None:
            return
        try:
            change(self.replay.reader)
        except Exception as exc:
            self.show_error("Annotation not saved", str(exc))
            return
        self.log.log(f"{done} (saved into {self.replay.path.name})")
        self.refresh_annotations()

    # -- recording and saving ------------------------------------------------------------------------------
    def _record_toggled(self, on: bool) -> None:
        if not on:
            self.worker.requestStopRecording.emit()
            return
        if self.built is None:
            self.transport.record.setChecked(False)
            return
        folder = recordings_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.built.experiment}-{time.strftime('%Y%m%d-%H%M%S')}.wbsession"
        self.worker.requestRecord.emit(str(path))

    def _recording_changed(self, path: str | None) -> None:
        self.recording = path
        self.transport.record.blockSignals(True)
        self.transport.record.setChecked(path is not None)
        self.transport.record.blockSignals(False)
        if path is not None:
            self.last_recording = Path(path)
            self.log.log(f"recording to {path}")
            return
        self.log.log("recording stopped")
        if self._pending_save is not None:
            target, self._pending_save = self._pending_save, None
            self._copy_session(self.last_recording, target)

    def save_session(self, target: str | Path) -> None:
        """Save the session on screen (replay) or the live run's recording as ``target``; a
        recording in progress is finished first."""
        target = Path(target)
        if self.mode == "replay" and self.replay is not None:
            self._copy_session(self.replay.path, target)
        elif self.recording is not None:
            self._pending_save = target
            self.worker.requestStopRecording.emit()
        elif self.last_recording is not None:
            self._copy_session(self.last_recording, target)
        else:
            self.show_error("Nothing to save", "Press Record first: a live run is saved from its recording.")

    def _copy_session(self, source: Path, target: Path) -> None:
        try:
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
        except OSError as exc:
            self.show_error("Save failed", f"cannot save {target}: {exc.strerror}")
            return
        self.log.log(f"saved session to {target}")

    # -- inspector -----------------------------------------------------------------------------------------
    def _inspect_requested(self, layer: str, index: int) -> None:
        view = self.sender()
        if self.mode == "replay":
            self.inspector.show_message("Inspecting synapses needs a live model: use “Continue from here” "
                                        "to fork one at this step.")
            return
        self._inspect_target = (layer, index, view if isinstance(view, CellsView) else None)
        self._inspected_at = time.perf_counter()
        self._inspected_step = self.worker.worker.published().step
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.worker.requestInspect.emit(layer, index)

    def _inspected(self, layer: str, index: int, details: object) -> None:
        target = self._inspect_target
        if target is None or (target[0], target[1]) != (layer, index):
            return
        cells_view = target[2] or next((w for _, w, _ in self.views if isinstance(w, CellsView)), None)
        active = self._active_for_inspection(details, cells_view)
        try:
            self.inspector.show_details(layer, index, details or {},
                                        cells_view.cell_layout if cells_view is not None else None, active)
        except InspectionError as exc:
            self._inspect_target = None
            self.show_error("Cannot inspect", str(exc))

    def _active_for_inspection(self, details: Any, cells_view: CellsView | None) -> np.ndarray | None:
        frame = self.shown_frame
        if frame is None or not isinstance(details, dict):
            return None
        if details.get("kind") == "cell" and cells_view is not None:
            value = frame.get(cells_view.streams["active"].name)
            return None if value is None else value.sparse
        if details.get("kind") == "column":
            size = int(np.prod(details.get("input_shape", (0,))))
            for _, widget, _ in self.views:
                if isinstance(widget, ColumnsView) and "input" in widget.streams:
                    value = frame.get(widget.streams["input"].name)
                    return None if value is None else value.sparse
            for name, value in frame.values.items():  # else the first SDR the size of the input
                if hasattr(value, "sparse") and value.size == size:
                    return value.sparse
        return None

    # -- export ---------------------------------------------------------------------------------------------
    def export_png(self, path: str | Path, view: StreamView | None = None) -> None:
        """``view`` as it is on screen, as a PNG; the whole window when ``view`` is None."""
        widget = view or self
        if not widget.grab().save(str(path), "PNG"):
            self.show_error("Export failed", f"could not write {path}")
            return
        self.log.log(f"exported {getattr(widget, 'title', 'window')} to {path}")

    def export_csv(self, path: str | Path) -> None:
        """Every scalar stream of the run (or session) by step, as CSV."""
        series = self._series()
        names = list(series.values)
        try:
            with open(path, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["step", *names])
                for i, step in enumerate(series.steps):
                    writer.writerow([int(step), *("" if math.isnan(series.values[n][i]) else
                                                  f"{series.values[n][i]:.9g}" for n in names)])
        except OSError as exc:
            self.show_error("Export failed", f"cannot write {path}: {exc.strerror}")
            return
        self.log.log(f"exported {len(series):,} steps of {len(names)} curves to {path}")

    def _series(self) -> SeriesSnapshot:
        if self.mode == "replay" and self.replay is not None:
            return self.replay.series
        if self.built is None:
            return EMPTY_SERIES
        return self.worker.worker.published().history.snapshot()

    # -- dialogs ------------------------------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", "Sessions (*.wbsession);;All files (*)")
        if path:
            self.open_session(path)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session as", "", "Sessions (*.wbsession)")
        if path:
            self.save_session(path)

    def _fill_export_menu(self) -> None:
        menu = self.export_png_menu
        menu.clear()
        for _, widget, dock in self.views:
            menu.addAction(dock.windowTitle(), lambda w=widget: self._export_png_dialog(w))
        menu.addSeparator()
        menu.addAction("Whole window", lambda: self._export_png_dialog(None))

    def _export_png_dialog(self, view: StreamView | None) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export as PNG", "", "PNG images (*.png)")
        if path:
            self.export_png(path, view)

    def _export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves as CSV", "", "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    # -- modes and shutdown -------------------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        live = mode == "live"
        t = self.transport
        t.learning.setEnabled(live)
        t.record.setEnabled(live)
        self.fork_action.setEnabled(not live)
        t.mode.setText("live" if live else "replay")
        t.run.setToolTip("Run or pause [Space]" if live else "Play or pause the replay [Space]")
        t.reset.setToolTip("Start the experiment over" if live else "Go to the first step")
        self.annotations.set_enabled(not live and self.replay is not None and self.replay.writable,
                                     "Open a session (writable) to annotate it")
        if live:
            self.annotations.set_annotations([])
            self.timeline.slider.set_marks([])
            self.timeline.set_caption("")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._save_layout_state()
        self.refresh_timer.stop()
        self.play_timer.stop()
        self.worker.stop()
        if self.sweep_window is not None:
            self.sweep_window.close()
        if self.replay is not None:
            self.replay.close()
        super().closeEvent(event)
