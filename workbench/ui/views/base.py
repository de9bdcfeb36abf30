"""The base of every view: what it is given to draw, and how it redraws only on change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.plugins.api import View
from workbench.session.frames import Frame, Stream

from .. import theme  # noqa: F401 - pyqtgraph options before any plot
from ..history import EMPTY_SERIES, SeriesSnapshot


@dataclass(frozen=True)
class Display:
    """The state to show: a frame, the scalar histories, and the step the timeline points at
    (None while following the newest step)."""

    frame: Frame | None = None
    series: SeriesSnapshot = EMPTY_SERIES
    cursor: int | None = None


class ReadoutLabel(QLabel):
    """A view's one-line readout (values under the cursor, counts of the step). Text that
    changes every frame must not change the layout (a relayout resizes the plot under it, and
    a resized plot regenerates its axes and repaints everything), so the label keeps its size
    and a text wider than the view ends in "..." instead of being cut mid-word; its tooltip
    holds the whole text."""

    def __init__(self) -> None:
        super().__init__("")
        self.setProperty("role", "muted")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text)

    def shown_text(self) -> str:
        """The text as drawn: elided on the right to the label's width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  QPalette.ColorRole.WindowText)


class StreamView(QWidget):
    """A widget that draws some streams of a frame. Subclasses implement :meth:`draw_frame`
    (and :meth:`draw_series` when they plot histories)."""

    kind = ""
    sigInspect = Signal(str, int)  # (layer, index): a column or cell was clicked

    def __init__(self, view: View, streams: Mapping[str, Stream]) -> None:
        super().__init__()
        self.view = view
        self.streams = {role: streams[name] for role, name in view.streams.items()}
        self._last_frame: Frame | None = None
        self._last_revision = -1
        self._last_cursor: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.readout = ReadoutLabel()

    @property
    def title(self) -> str:
        return self.view.title or ", ".join(s.title or s.name for s in self.streams.values())

    def show_display(self, display: Display) -> None:
        """Redraw what changed since the last call."""
        if display.frame is not self._last_frame:
            self._last_frame = display.frame
            self.draw_frame(display.frame)
        if display.series.revision != self._last_revision or display.cursor != self._last_cursor:
            self._last_revision = display.series.revision
            self._last_cursor = display.cursor
            self.draw_series(display.series, display.cursor)

    def clear(self) -> None:
        self._last_frame = None
        self._last_revision = -1
        self.draw_frame(None)
        self.draw_series(EMPTY_SERIES, None)

    def draw_frame(self, frame: Frame | None) -> None:
        """Draw this view's streams from ``frame`` (None: nothing yet)."""

    def draw_series(self, series: SeriesSnapshot, cursor: int | None) -> None:
        """Draw scalar histories (only curves views do)."""

    def save_png(self, path: str | Path) -> None:
        """The view as it is on screen, as a PNG file."""
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write PNG to {path}")
