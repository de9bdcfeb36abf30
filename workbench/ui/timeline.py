"""The timeline: a slider over the run's steps (live history or a whole session), annotation
marks painted on its groove, and the caption of the annotation in force at the shown step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSlider, QStyle, QStyleOptionSlider, QToolButton,
                               QVBoxLayout, QWidget)


MARK_COLOUR = "#ffd166"


class MarkedSlider(QSlider):
    """A horizontal slider that paints a tick above the groove at each marked step."""

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.marks: list[int] = []
        self.setMinimumHeight(26)

    def set_marks(self, steps: list[int]) -> None:
        self.marks = sorted(steps)
        self.update()

    def mark_x(self, step: int) -> int:
        """The x pixel of ``step`` on the groove (the handle's centre at that value)."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        pos = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), step, span)
        return groove.x() + handle.width() // 2 + pos

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self.marks or self.maximum() <= self.minimum():
            return
        painter = QPainter(self)
        painter.setPen(QPen(QColor(MARK_COLOUR), 2))
        for step in self.marks:
            if self.minimum() <= step <= self.maximum():
                x = self.mark_x(step)
                painter.drawLine(x, 1, x, 7)
        painter.end()


class Timeline(QWidget):
    """Slider, range label and caption; ``sigScrubbed`` carries the step the user moved to."""

    sigScrubbed = Signal(int)
    sigFollowLatest = Signal()

    def __init__(self) -> None:
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 2, 8, 4)
        outer.setSpacing(2)
        row = QHBoxLayout()
        self.slider = MarkedSlider()
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Scrub through the steps; annotations are the marks above the groove")
        self.slider.valueChanged.connect(self._moved)
        self.position = QLabel("")
        self.position.setFixedWidth(210)
        self.position.setProperty("role", "muted")
        self.follow = QToolButton()
        self.follow.setText("⇥ Latest")
        self.follow.setToolTip("Show the newest step again")
        self.follow.clicked.connect(self.sigFollowLatest)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position)
        row.addWidget(self.follow)
        self.caption = QLabel("")
        self.caption.setProperty("role", "caption")
        self.caption.setWordWrap(True)
        outer.addLayout(row)
        outer.addWidget(self.caption)
        self._quiet = False

    def set_range(self, first: int, last: int, value: int) -> None:
        """Show steps ``first .. last`` with the handle at ``value``, without emitting."""
        self._quiet = True
        self.slider.setRange(first, max(first, last))
        self.slider.setValue(value)
        self._quiet = False
        self.position.setText(f"step {value} of {first}..{last}" if last >= first else "no steps yet")

    def value(self) -> int:
        return self.slider.value()

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def _moved(self, value: int) -> None:
        self.position.setText(f"step {value} of {self.slider.minimum()}..{self.slider.maximum()}")
        if not self._quiet:
            self.sigScrubbed.emit(value)

