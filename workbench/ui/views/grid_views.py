"""Grid views: SDR bits, columns (active / predicted / bursting) and cells per column.

Each panel is one pyqtgraph ImageItem of uint8 palette codes with fixed levels and the shared
lookup table (palette.LUT), so a redraw is a scatter of codes into a prepared base image plus
Qt's indexed-image blit: a 65,536-cell view redraws in about a millisecond.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPen, QColor
from PySide6.QtWidgets import QGraphicsRectItem

from workbench.session.frames import Frame, Stream

from .. import palette
from ..grids import CellLayout, GridLayout, cell_codes, column_codes
from .base import StreamView

_STATE_NAMES = {
    palette.CODE_OFF: "inactive", palette.CODE_BIT_ON: "on",
    palette.CODE_COLUMN_CORRECT: "active, predicted", palette.CODE_COLUMN_BURSTING: "bursting",
    palette.CODE_COLUMN_PREDICTED: "predicted, inactive", palette.CODE_CELL_ACTIVE: "active",
    palette.CODE_CELL_WINNER: "winner", palette.CODE_CELL_PREDICTIVE: "predictive",
    palette.CODE_CELL_ACTIVE_PREDICTIVE: "active + predictive",
}


def _indices(frame: Frame | None, stream: Stream | None) -> np.ndarray:
    """The active indices of ``stream`` in ``frame`` (empty when absent)."""
    if frame is None or stream is None:
        return np.zeros(0, dtype=np.uint32)
    value = frame.get(stream.name)
    return np.zeros(0, dtype=np.uint32) if value is None else value.sparse


class GridPanel:
    """One titled ImageItem in a ViewBox, with a layout and a selection outline."""

    def __init__(self, canvas: pg.GraphicsLayoutWidget, layout: GridLayout, title: str, noun: str) -> None:
        self.layout = layout
        self.noun = noun
        if title:
            canvas.addLabel(title, color=palette.MUTED_TEXT, size="9pt")
            canvas.nextRow()
        self.viewbox = canvas.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        canvas.nextRow()
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setLookupTable(palette.LUT)
        self.image_item.setLevels((0, 255))
        self.viewbox.addItem(self.image_item)
        self.image = layout.base.reshape(layout.image_shape).copy()
        self.image_item.setImage(self.image, autoLevels=False)
        self.selection = QGraphicsRectItem()
        pen = QPen(QColor(palette.SELECTION))
        pen.setCosmetic(True)
        pen.setWidth(2)
        self.selection.setPen(pen)
        self.selection.setVisible(False)
        self.viewbox.addItem(self.selection)
        rows, cols = layout.image_shape
        self.viewbox.setRange(QRectF(0, 0, cols, rows), padding=0.02)

    def show(self, image: np.ndarray) -> None:
        self.image = image
        self.image_item.setImage(image, autoLevels=False)

    def index_at(self, scene_pos: QPointF) -> int:
        if not self.viewbox.sceneBoundingRect().contains(scene_pos):
            return -1
        pos = self.image_item.mapFromScene(scene_pos)
        return self.layout.item_at(pos.x(), pos.y())

    def state_of(self, index: int) -> str:
        code = int(self.image.flat[self.layout.pixel[index]])
        return _STATE_NAMES.get(code, "")

    def select(self, rect: tuple[int, int, int, int] | None) -> None:
        if rect is None:
            self.selection.setVisible(False)
            return
        x, y, w, h = rect
        self.selection.setRect(QRectF(x, y, w, h))
        self.selection.setVisible(True)


class GridView(StreamView):
    """Common to the grid views: a canvas of panels, hover readout, click to inspect."""

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.layout().addWidget(self.canvas, 1)
        self.layout().addWidget(self.readout)
        self.panels: list[GridPanel] = []
        self.summary = ""
        self.canvas.scene().sigMouseMoved.connect(self._hovered)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    def _panel_at(self, scene_pos: QPointF) -> tuple[GridPanel | None, int]:
        for panel in self.panels:
            index = panel.index_at(scene_pos)
            if index >= 0:
                return panel, index
        return None, -1

    def _hovered(self, scene_pos: QPointF) -> None:
        panel, index = self._panel_at(scene_pos)
        text = self.summary
        if panel is not None:
            text = f"{panel.noun} {index}: {panel.state_of(index)}    {self.summary}"
        self.readout.setText(text)

    def _clicked(self, event) -> None:
        panel, index = self._panel_at(event.scenePos())
        if panel is None:
            return
        self.select(index, panel)
        if self.view.inspect:
            self.sigInspect.emit(self.view.inspect, index)

    def select(self, index: int, panel: GridPanel | None = None) -> None:
        """Outline item ``index`` (in the first panel unless given)."""
        panel = panel or self.panels[0]
        panel.select(panel.layout.rect_of(index))

    def set_summary(self, text: str) -> None:
        self.summary = text
        self.readout.setText(text)


class SdrView(GridView):
    """One grid per sdr stream (encoder output and any other SDR), on bits drawn light."""

    kind = "sdr"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        several = len(self.streams) > 1
        for stream in self.streams.values():
            self.panels.append(GridPanel(self.canvas, GridLayout(stream.shape),
                                         (stream.title or stream.name) if several else "", "bit"))

    def draw_frame(self, frame: Frame | None) -> None:
        parts = []
        for panel, stream in zip(self.panels, self.streams.values()):
            active = _indices(frame, stream)
            panel.show(panel.layout.image(active, palette.CODE_BIT_ON))
            parts.append(f"{active.size} of {panel.layout.size} on ({100 * active.size / panel.layout.size:.1f} %)")
        self.set_summary("  |  ".join(parts))


class ColumnsView(GridView):
    """Columns coloured by active x predicted: correct, bursting, predicted but inactive."""

    kind = "columns"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        active = self.streams["active"]
        self.num_columns = int(np.prod(active.shape))
        self.panels.append(GridPanel(self.canvas, GridLayout(active.shape), "", "column"))

    def draw_frame(self, frame: Frame | None) -> None:
        active = _indices(frame, self.streams["active"])
        predicted = _indices(frame, self.streams.get("predicted"))
        codes = column_codes(self.num_columns, active, predicted)
        panel = self.panels[0]
        panel.show(panel.layout.image_of_codes(codes))
        bursting = int(np.count_nonzero(codes == palette.CODE_COLUMN_BURSTING))
        false_pred = int(np.count_nonzero(codes == palette.CODE_COLUMN_PREDICTED))
        self.set_summary(f"{active.size} active: {active.size - bursting} predicted, {bursting} bursting; "
                         f"{false_pred} predicted but inactive")


class CellsView(GridView):
    """Every cell, as one vertical strip of cells per column, coloured active / winner / predictive."""

    kind = "cells"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        active = self.streams["active"]
        cpc = active.cells_per_column or 1
        self.num_cells = int(np.prod(active.shape))
        self.cell_layout = CellLayout(self.num_cells // cpc, cpc)
        self.panels.append(GridPanel(self.canvas, self.cell_layout, "", "cell"))

    def draw_frame(self, frame: Frame | None) -> None:
        active = _indices(frame, self.streams["active"])
        winner = _indices(frame, self.streams.get("winner"))
        predictive = _indices(frame, self.streams.get("predictive"))
        codes = cell_codes(self.num_cells, active, winner, predictive)
        panel = self.panels[0]
        out = self.cell_layout.base.copy()
        out[self.cell_layout.pixel] = codes
        panel.show(out.reshape(self.cell_layout.image_shape))
        self.set_summary(f"{active.size} active, {winner.size} winner, {predictive.size} predictive "
                         f"of {self.num_cells} cells")
