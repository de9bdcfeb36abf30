"""The synapse inspector: a clicked column's potential pool, or a clicked cell's segments.

It draws what :meth:`Experiment.inspect` returns (asked for in the worker thread, between steps),
the dictionary the built-in SP+TM pipeline makes (``workbench/plugins/builtin/_pipeline.py``):

column (layer "sp")
    ``kind="column"``, ``column``, ``input_shape``, ``potential`` (input indices of the potential
    pool, ascending), ``permanences`` (one per potential input), ``threshold`` (the connected
    permanence), optional ``connected`` (input indices of the connected synapses; by default
    those with permanence >= threshold) and ``facts`` ({label: value}).
cell (layer "tm")
    ``kind="cell"``, ``cell``, ``column``, ``cells_per_column``, ``segments`` (a list of
    ``(segment_id, [(presynaptic_cell, permanence), ...])``), ``threshold``, optional ``facts``.
    The cells are laid out as the cells view that was clicked lays them out.

Synapses are laid over the input space (a column) or over the cell grid (a cell) in the
palette's potential and connected ramps, brighter for higher permanence; inputs or cells that
are active in the frame on screen carry a small white dot.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget

from . import palette, theme  # noqa: F401 - theme sets pyqtgraph options
from .grids import CellLayout, GridLayout


class InspectionError(ValueError):
    """What an experiment's inspect() returned cannot be drawn; the message says which key."""


def _array(details: Mapping[str, Any], key: str, dtype) -> np.ndarray:
    if key not in details:
        raise InspectionError(f"inspect() result lacks {key!r} (has {', '.join(details) or 'nothing'})")
    return np.asarray(details[key], dtype=dtype).reshape(-1)


def _segment(seg: Any) -> tuple[int, np.ndarray, np.ndarray]:
    """(id, presynaptic cells, permanences) of one ``(id, [(cell, permanence), ...])`` entry."""
    try:
        seg_id, synapses = seg
        pairs = np.asarray(list(synapses), dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise InspectionError("inspect(): each segment must be (segment_id, [(presynaptic_cell, "
                              f"permanence), ...]) (got {seg!r:.80})") from None
    return int(seg_id), pairs[:, 0].astype(np.int64), pairs[:, 1]


class InspectorView(QWidget):
    """A dock's contents: a header, the synapse map, facts and (for cells) the segment list."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.header = QLabel("Click a column or a cell to see its synapses.")
        self.header.setWordWrap(True)
        self.canvas = pg.GraphicsLayoutWidget()
        self.viewbox = self.canvas.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setLookupTable(palette.LUT)
        self.image_item.setLevels((0, 255))
        self.viewbox.addItem(self.image_item)
        self.markers = pg.ScatterPlotItem(symbol="o", brush=pg.mkBrush(palette.SELECTION), pen=None,
                                          pxMode=False, size=0.3)
        self.viewbox.addItem(self.markers)
        self.facts = QLabel("")
        self.facts.setProperty("role", "muted")
        self.facts.setWordWrap(True)
        self.segments = QListWidget()
        self.segments.setMaximumHeight(110)
        self.segments.currentRowChanged.connect(self._segment_chosen)
        layout.addWidget(self.header)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.facts)
        layout.addWidget(self.segments)
        self.segments.hide()
        self.details: dict[str, Any] = {}
        self.image: np.ndarray | None = None
        self.target: tuple[str, int] | None = None
        self._cell_layout: CellLayout | None = None
        self._active = np.zeros(0, dtype=np.int64)
        self._segments: list[tuple[int, np.ndarray, np.ndarray]] = []

    def show_message(self, text: str) -> None:
        self.header.setText(text)

    def clear(self) -> None:
        self.target = None
        self.details = {}
        self.image = None
        self.image_item.clear()
        self.markers.clear()
        self.segments.clear()
        self.segments.hide()
        self.facts.setText("")
        self.header.setText("Click a column or a cell to see its synapses.")

    def show_details(self, layer: str, index: int, details: Mapping[str, Any],
                     cell_layout: CellLayout | None = None, active: np.ndarray | None = None) -> None:
        """Draw one inspect() result; a malformed one raises InspectionError.

        ``cell_layout`` is the layout of the cells view that was clicked (for cell results);
        ``active`` the input bits (column) or cells (cell) active in the frame on screen.
        """
        self.target = (layer, index)
        self.details = dict(details)
        self._cell_layout = cell_layout
        self._active = np.zeros(0, dtype=np.int64) if active is None else np.asarray(active, dtype=np.int64)
        if not details:
            self.show_message(f"{layer} {index}: this experiment does not support inspection.")
            return
        kind = details.get("kind")
        if kind == "column":
            self._show_column(layer, index, details)
        elif kind == "cell":
            self._show_cell(layer, index, details)
        else:
            raise InspectionError(f"inspect() result has kind {kind!r}; expected 'column' or 'cell'")
        facts = details.get("facts") or {}
        self.facts.setText("   ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                                      for k, v in facts.items()))

    def _draw(self, layout: GridLayout, codes_at: np.ndarray, codes: np.ndarray, marked: np.ndarray) -> None:
        image = layout.base.copy()
        image[layout.pixel[codes_at]] = codes
        self.image = image.reshape(layout.image_shape)
        self.image_item.setImage(self.image, autoLevels=False)
        rows, cols = layout.image_shape
        cols_of = layout.pixel[marked] % cols
        rows_of = layout.pixel[marked] // cols
        self.markers.setData(cols_of + 0.5, rows_of + 0.5)
        self.viewbox.setRange(QRectF(0, 0, cols, rows), padding=0.02)

    def _show_column(self, layer: str, index: int, details: Mapping[str, Any]) -> None:
        shape = tuple(int(d) for d in details.get("input_shape", ()))
        if not shape:
            raise InspectionError("inspect() column result lacks 'input_shape'")
        potential = _array(details, "potential", np.int64)
        perms = _array(details, "permanences", np.float64)
        if potential.size != perms.size:
            raise InspectionError(f"inspect(): {potential.size} potential inputs but {perms.size} permanences")
        threshold = float(details.get("threshold", 0.5))
        if "connected" in details:
            is_connected = np.isin(potential, np.asarray(details["connected"], dtype=np.int64))
        else:
            is_connected = perms >= threshold
        codes = palette.permanence_codes(perms, threshold)
        shade = codes - np.where(codes >= palette.CODE_CONNECTED_RAMP, palette.CODE_CONNECTED_RAMP,
                                 palette.CODE_POTENTIAL_RAMP)
        codes = (np.where(is_connected, palette.CODE_CONNECTED_RAMP, palette.CODE_POTENTIAL_RAMP)
                 + shade).astype(np.uint8)
        self.segments.hide()
        self._draw(GridLayout(shape), potential, codes, self._active)
        overlap = int(np.count_nonzero(np.isin(potential[is_connected], self._active)))
        self.header.setText(f"{layer}: column {index}: {potential.size} potential synapses, "
                            f"{int(is_connected.sum())} connected (permanence >= {threshold:g}); "
                            f"{overlap} connected to an active input")

    def _show_cell(self, layer: str, index: int, details: Mapping[str, Any]) -> None:
        cpc = int(details.get("cells_per_column", 0))
        layout = self._cell_layout
        if layout is None or cpc < 1 or layout.cells_per_column != cpc:
            raise InspectionError("inspect() cell result needs cells_per_column matching the cells view "
                                  f"(got {cpc})")
        self._segments = [_segment(seg) for seg in details.get("segments", [])]
        threshold = float(details.get("threshold", 0.5))
        self.segments.blockSignals(True)
        self.segments.clear()
        self.segments.addItem(f"All segments ({len(self._segments)})")
        for seg_id, pre, perms in self._segments:
            self.segments.addItem(f"Segment {seg_id}: {perms.size} synapses, "
                                  f"{int(np.count_nonzero(perms >= threshold))} connected, "
                                  f"{int(np.count_nonzero(np.isin(pre, self._active)))} to active cells")
        self.segments.setCurrentRow(0)
        self.segments.blockSignals(False)
        self.segments.show()
        self._draw_segments(None)
        self.header.setText(f"{layer}: cell {index} (column {index // cpc}): {len(self._segments)} segments; "
                            "presynaptic cells by permanence")

    def _draw_segments(self, which: int | None) -> None:
        layout = self._cell_layout
        chosen = self._segments if which is None else [self._segments[which]]
        threshold = float(self.details.get("threshold", 0.5))
        best = np.full(layout.size, -1.0)
        for _, pre, perms in chosen:
            np.maximum.at(best, pre, perms)
        at = np.flatnonzero(best >= 0)
        self._draw(layout, at, palette.permanence_codes(best[at], threshold), self._active)

    def _segment_chosen(self, row: int) -> None:
        if self.details.get("kind") == "cell" and row >= 0:
            self._draw_segments(None if row == 0 else row - 1)
