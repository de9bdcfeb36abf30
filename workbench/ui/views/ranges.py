"""Steady plot ranges for live data.

pyqtgraph's auto-range fits the data exactly, so a curve that grows by one step per frame
changes the x range every frame, and every change regenerates and repaints the axes: in a
running workbench that was the largest single cost of drawing. :class:`SteadyRange` instead
grows the range in jumps (25 % headroom) and never shrinks it while the data only grows, so
the axes change a few times per run. Once the user zooms or pans, it leaves the range alone
until they press the plot's auto-range button ("A") again.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

HEADROOM = 0.25


class SteadyRange:
    """Manages the x and y ranges of one PlotItem."""

    def __init__(self, plot: pg.PlotItem, min_x_span: float = 50.0, headroom: float = HEADROOM) -> None:
        self.plot = plot
        self.headroom = headroom
        self.box = plot.getViewBox()
        self.min_x_span = min_x_span
        self.box.disableAutoRange()
        self.box.sigRangeChangedManually.connect(self._user_moved)
        self.following = True
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None

    def _user_moved(self, *_: object) -> None:
        self.following = False

    def reset(self) -> None:
        self.x = self.y = None
        self.following = True

    def update(self, x_lo: float, x_hi: float, y_lo: float, y_hi: float) -> None:
        """Make sure the data's bounds are in view, moving the range as rarely as possible."""
        if any(self.box.state["autoRange"]):  # the user pressed "A": follow the data again
            self.box.disableAutoRange()
            self.reset()
        if not self.following or not all(map(math.isfinite, (x_lo, x_hi, y_lo, y_hi))):
            return
        x = self.x
        if x is None or x_lo < x[0] or x_hi > x[1]:
            span = max(self.min_x_span, (x_hi - x_lo) * (1 + self.headroom))
            x = (x_lo, x_lo + span)
        y = self.y
        if y is None or y_lo < y[0] or y_hi > y[1]:
            pad = max((y_hi - y_lo) * 0.1, abs(y_hi) * 0.05, 1e-3)
            y = (min(y_lo - pad, y[0]) if y else y_lo - pad, max(y_hi + pad, y[1]) if y else y_hi + pad)
        if (x, y) != (self.x, self.y):
            self.x, self.y = x, y
            self.box.setRange(xRange=x, yRange=y, padding=0)
