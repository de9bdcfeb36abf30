"""Curves: scalar streams over steps, with smoothing, a crosshair readout and the timeline cursor.

Long runs stay cheap to draw because the plot clips to the visible x range and downsamples by
peaks (each pixel column keeps its min and max), so a spike is never smoothed away by drawing.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider

from .. import palette
from ..history import SeriesSnapshot
from .base import StreamView
from .ranges import SteadyRange


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values, ignoring NaNs (NaN where all are NaN)."""
    if window <= 1 or values.size == 0:
        return values
    finite = np.isfinite(values)
    total = np.concatenate(([0.0], np.cumsum(np.where(finite, values, 0.0))))
    count = np.concatenate(([0], np.cumsum(finite)))
    hi = np.arange(1, values.size + 1)
    lo = np.maximum(hi - window, 0)
    n = count[hi] - count[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (total[hi] - total[lo]) / np.maximum(n, 1), np.nan)


class CurvesView(StreamView):
    """One plot of the view's scalar streams against the step number."""

    kind = "curves"
    sigSeek = Signal(int)  # a double click asks the timeline to show that step

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.setSpacing(12)
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(1, 200)
        self.smoothing.setValue(1)
        self.smoothing.setToolTip("Smoothing: trailing mean over this many steps")
        self.smoothing.setFixedWidth(110)
        self.smoothing_label = QLabel("smoothing: off")
        self.smoothing_label.setProperty("role", "muted")
        self.smoothing.valueChanged.connect(self._smoothing_changed)
        controls.addStretch(1)
        controls.addWidget(self.smoothing_label)
        controls.addWidget(self.smoothing)
        self.plot = pg.PlotWidget()
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setLabel("bottom", "step")
        units = {s.unit for s in self.streams.values() if s.unit}
        if len(units) == 1:
            self.plot.setLabel("left", units.pop())
        # top left: the newest steps are on the right, and a legend wider than a narrow view
        # loses its ends rather than its names' beginnings
        self.plot.addLegend(offset=(8, 8), labelTextColor=palette.TEXT, brush=pg.mkBrush(21, 23, 28, 200))
        self.items: dict[str, pg.PlotDataItem] = {}
        for i, stream in enumerate(self.streams.values()):
            colour = palette.CURVE_COLOURS[i % len(palette.CURVE_COLOURS)]
            self.items[stream.name] = self.plot.plot(
                [], [], name=stream.title or stream.name, pen=pg.mkPen(colour, width=1.5),
                clipToView=True, autoDownsample=True, downsampleMethod="peak", connect="finite")
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False,
                                           pen=pg.mkPen(palette.SELECTION, width=1, style=Qt.PenStyle.DashLine))
        self.cursor_line.setVisible(False)
        self.plot.addItem(self.cursor_line, ignoreBounds=True)
        self.hover_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(palette.MUTED_TEXT, width=1))
        self.hover_line.setVisible(False)
        self.plot.addItem(self.hover_line, ignoreBounds=True)
        self.range = SteadyRange(self.plot.getPlotItem())
        self.layout().addWidget(self.plot, 1)
        # the readout has a row of its own: beside the smoothing controls a narrow view (four
        # side by side) left it a few pixels
        self.layout().addWidget(self.readout)
        self.layout().addLayout(controls)
        self.series = SeriesSnapshot(np.zeros(0, dtype=np.int64))
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText("smoothing: off" if value <= 1 else f"smoothing: {value} steps")
        self.draw_series(self.series, self._last_cursor)

    def draw_series(self, series: SeriesSnapshot, cursor: int | None) -> None:
        self.series = series
        window = self.smoothing.value()
        x = series.steps
        lo, hi = math.inf, -math.inf
        for name, item in self.items.items():
            y = series.values.get(name)
            if y is None or not x.size:
                item.setData([], [])
                continue
            shown = moving_average(y, window)
            item.setData(x, shown)
            if np.isfinite(shown).any():
                lo, hi = min(lo, float(np.nanmin(shown))), max(hi, float(np.nanmax(shown)))
        if not x.size:
            self.range.reset()
        elif math.isfinite(lo):
            self.range.update(float(x[0]), float(x[-1]), lo, hi)
        if cursor is None:
            self.cursor_line.setVisible(False)
        else:
            self.cursor_line.setPos(cursor)
            self.cursor_line.setVisible(True)
        if not self.hover_line.isVisible():
            self.readout.setText(self._values_text(cursor if cursor is not None else
                                                   (int(x[-1]) if x.size else None)))

    def _values_text(self, step: int | None) -> str:
        if step is None:
            return ""
        parts = [f"step {step}"]
        for stream in self.streams.values():
            value = self.series.value_at(stream.name, step)
            parts.append(f"{stream.title or stream.name} = {'-' if math.isnan(value) else f'{value:.4g}'}")
        return "   ".join(parts)

    def _step_at(self, scene_pos: QPointF) -> int | None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        x = self.plot.getPlotItem().vb.mapSceneToView(scene_pos).x()
        return int(round(x))

    def _hovered(self, scene_pos: QPointF) -> None:
        step = self._step_at(scene_pos)
        if step is None or not len(self.series):
            self.hover_line.setVisible(False)
            return
        self.hover_line.setPos(step)
        self.hover_line.setVisible(True)
        self.readout.setText(self._values_text(step))

    def _clicked(self, event) -> None:
        if event.double():
            step = self._step_at(event.scenePos())
            if step is not None:
                self.sigSeek.emit(step)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hover_line.setVisible(False)
        super().leaveEvent(event)

    def csv_rows(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of this view's curves as drawn (after smoothing)."""
        names = list(self.items)
        header = ["step", *names]
        window = self.smoothing.value()
        columns = [moving_average(self.series.values.get(n, np.full(len(self.series), np.nan)), window)
                   for n in names]
        rows = []
        for i, step in enumerate(self.series.steps):
            rows.append([str(int(step)), *("" if math.isnan(c[i]) else f"{c[i]:.6g}" for c in columns)])
        return header, rows
