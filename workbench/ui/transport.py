"""The transport bar: Reset, Step, Run/Pause, speed, learning, Record, step counter and rate.

The actions live here so the Run menu and the keyboard shortcuts share them with the toolbar.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QStyle, QToolBar, QWidget

SPEEDS: tuple[tuple[str, float], ...] = (
    ("1 step/s", 1.0), ("2 steps/s", 2.0), ("5 steps/s", 5.0), ("10 steps/s", 10.0), ("30 steps/s", 30.0),
    ("100 steps/s", 100.0), ("300 steps/s", 300.0), ("1000 steps/s", 1000.0), ("as fast as possible", 0.0),
)


class Transport(QObject):
    """Actions and widgets of the transport bar; the window connects them to the model or replay."""

    sigSpeedChanged = Signal(float)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.reset = QAction("Reset", parent)
        self.reset.setToolTip("Start the experiment over (replay: go to the first step)")
        self.step_back = QAction("Back", parent)
        self.step_back.setToolTip("Show the previous step (replay and live history) [Left]")
        self.step_back.setShortcut(QKeySequence("Left"))
        self.step = QAction("Step", parent)
        self.step.setToolTip("Make one step and show it [Right]")
        self.step.setShortcut(QKeySequence("Right"))
        self.run = QAction("Run", parent)
        self.run.setCheckable(True)
        self.run.setToolTip("Run or pause [Space]")
        self.run.setShortcut(QKeySequence("Space"))
        self.learning = QAction("Learning", parent)
        self.learning.setCheckable(True)
        self.learning.setChecked(True)
        self.learning.setToolTip("When off, the model infers without changing its synapses")
        self.record = QAction("Record", parent)
        self.record.setCheckable(True)
        self.record.setToolTip("Record every following step into a session file")
        self.speed = QComboBox()
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setCurrentIndex(len(SPEEDS) - 1)
        self.speed.setToolTip("Steps per second while running (replay: playback speed)")
        self.speed.currentIndexChanged.connect(lambda _: self.sigSpeedChanged.emit(self.speed_value()))
        self.counter = QLabel("step 0")
        self.counter.setFixedWidth(130)
        self.rate = QLabel("")
        self.rate.setProperty("role", "muted")
        self.rate.setFixedWidth(120)
        self.mode = QLabel("")
        self.mode.setProperty("role", "muted")
        self.run.toggled.connect(self._show_running)
        style = parent.style()
        pixmap = QStyle.StandardPixmap
        self._icons = {False: style.standardIcon(pixmap.SP_MediaPlay), True: style.standardIcon(pixmap.SP_MediaPause)}
        for action, icon in ((self.reset, pixmap.SP_MediaSkipBackward), (self.step_back, pixmap.SP_MediaSeekBackward),
                             (self.step, pixmap.SP_MediaSeekForward)):
            action.setIcon(style.standardIcon(icon))
        self.run.setIcon(self._icons[False])

    def speed_value(self) -> float:
        return float(self.speed.currentData())

    def set_speed(self, steps_per_second: float) -> None:
        for i in range(self.speed.count()):
            if self.speed.itemData(i) == steps_per_second:
                self.speed.setCurrentIndex(i)
                return
        raise ValueError(f"speed {steps_per_second} is not one of the offered speeds")

    def _show_running(self, running: bool) -> None:
        # the style's icons, not a text glyph: a font without U+23F8 drew an empty box
        self.run.setText("Pause" if running else "Run")
        self.run.setIcon(self._icons[running])

    def set_running(self, running: bool) -> None:
        """Show the run state without asking for it (the model reports it)."""
        self.run.blockSignals(True)
        self.run.setChecked(running)
        self.run.blockSignals(False)
        self._show_running(running)

    def toolbar(self, parent: QWidget) -> QToolBar:
        bar = QToolBar("Transport", parent)
        bar.setObjectName("transport")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.reset, self.step_back, self.step, self.run):
            bar.addAction(action)
        bar.addWidget(self.speed)
        bar.addSeparator()
        bar.addAction(self.learning)
        bar.addAction(self.record)
        bar.addSeparator()
        bar.addWidget(self.counter)
        bar.addWidget(self.rate)
        bar.addWidget(self.mode)
        return bar
