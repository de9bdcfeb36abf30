"""The Sweep window's results: every trial in a sortable table, and the metric against one swept
parameter as a scatter plot.

Both are redrawn from the panel's list of :class:`TrialResult` as trials arrive; neither talks
to the sweep. A failed or lost trial has no score: it is a row in the error colour, its error in
the row's tooltip, and no point on the plot.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.plugins.params import Param
from workbench.plugins.sweep import TrialResult
from workbench.plugins.sweep.table import format_cell

from . import palette, theme

RESULT_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
POINT = palette.CURVE_COLOURS[0]      # a trial at the full step budget
SHORT_POINT = palette.MUTED_TEXT      # a trial of an earlier (shorter) halving rung
POINT_SIZE = 9
BEST_RING_SIZE = 17


def _sort_key(value: Any) -> Any:
    """Numbers sort as numbers (bools as 0/1), everything else as text."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    return str(value)


class _Cell(QTableWidgetItem):
    """A table cell that sorts by its key (numbers numerically, a missing score last)."""

    def __init__(self, text: str, key: Any) -> None:
        super().__init__(text)
        self.setData(SORT_ROLE, key)
        self.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(SORT_ROLE) < other.data(SORT_ROLE)


class TrialTable(QTableWidget):
    """One row per trial, in arrival order until a header is clicked; a double click asks to
    open the trial's configuration in the workbench."""

    sigOpen = Signal(object)  # TrialResult

    def __init__(self) -> None:
        super().__init__(0, 0)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setToolTip("Double-click a trial to open its configuration (parameters and seed) in the workbench")
        self.itemDoubleClicked.connect(lambda item: self.sigOpen.emit(self.result_at(item.row())))
        self.params: list[str] = []
        self.score_name = ""

    def reset(self, params: Sequence[str], metric: str) -> None:
        self.params, self.score_name = list(params), metric
        self.setRowCount(0)
        # before a sweep names its metric, its column is the score
        headers = ["#", "status", *self.params, "seed", "steps", metric or "score", "seconds", "worker"]
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)

    def add(self, result: TrialResult) -> None:
        """Append a trial (the sort order, if any, places it)."""
        spec, number = result.spec, self.rowCount() + 1
        values = spec.param_dict
        score = result.score(self.score_name)
        cells = [_Cell(str(number), number), _Cell(result.status, result.status),
                 *(_Cell(format_cell(values[p]), _sort_key(values[p])) for p in self.params),
                 _Cell(str(spec.seed), spec.seed), _Cell(f"{spec.steps:,}", spec.steps),
                 _Cell("" if math.isnan(score) else f"{score:.6g}", math.inf if math.isnan(score) else score),
                 _Cell(f"{result.seconds:.2f}", result.seconds), _Cell(result.worker, result.worker)]
        cells[0].setData(RESULT_ROLE, result)
        for cell in cells:
            if isinstance(cell.data(SORT_ROLE), (int, float)):
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if not result.ok:
            error_brush = QBrush(QColor(theme.ERROR_COLOUR))
            for cell in cells:
                cell.setToolTip(f"{result.status}: {result.error}")
                cell.setForeground(error_brush)
        self.setSortingEnabled(False)  # rows inserted into a sorted table scatter their cells
        row = self.rowCount()
        self.insertRow(row)
        for column, cell in enumerate(cells):
            self.setItem(row, column, cell)
        self.setSortingEnabled(True)
        if number == 1:
            self.resizeColumnsToContents()

    def result_at(self, row: int) -> TrialResult:
        return self.item(row, 0).data(RESULT_ROLE)

    def row_of(self, result: TrialResult) -> int:
        return next(row for row in range(self.rowCount()) if self.result_at(row) is result)

    def selected_result(self) -> TrialResult | None:
        rows = self.selectionModel().selectedRows()
        return self.result_at(rows[0].row()) if rows else None

    def select(self, result: TrialResult) -> None:
        row = self.row_of(result)
        self.selectRow(row)
        self.scrollToItem(self.item(row, 0))


class TrialScatter(QWidget):
    """The metric of every scored trial against the parameter chosen above the plot (choices and
    flags as categories, log ranges on a log axis); the trials of the best configuration are
    ringed. Clicking a point picks its trial."""

    sigPicked = Signal(object)  # TrialResult

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.setSpacing(6)
        self.x_choice = QComboBox()
        self.x_choice.setToolTip("The parameter on the horizontal axis")
        self.x_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.x_choice.currentTextChanged.connect(self._redraw)
        self.readout = QLabel("")
        self.readout.setProperty("role", "muted")
        label = QLabel("against")
        label.setProperty("role", "muted")
        controls.addWidget(label)
        controls.addWidget(self.x_choice)
        controls.addWidget(self.readout, 1)
        self.plot = pg.PlotWidget()
        self.points = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=POINT_SIZE, symbolPen=None)
        self.points.sigPointsClicked.connect(self._clicked)
        self.best_ring = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=BEST_RING_SIZE,
                                         symbolBrush=None, symbolPen=pg.mkPen(palette.SELECTION, width=1.5))
        self.plot.addItem(self.points)
        self.plot.addItem(self.best_ring)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        self.params: dict[str, Param] = {}
        self.log_axes: set[str] = set()
        self.score_name = ""
        self.results: list[TrialResult] = []
        self.best: str | None = None
        self.shown: list[TrialResult] = []

    def reset(self, params: Sequence[Param], log_axes: set[str], metric: str) -> None:
        """Plot ``metric`` against one of ``params`` (the swept ones)."""
        self.params = {p.name: p for p in params}
        self.log_axes = set(log_axes)
        self.score_name = metric
        self.results, self.best = [], None
        self.plot.setLabel("left", metric)
        self.x_choice.blockSignals(True)
        self.x_choice.clear()
        self.x_choice.addItems(list(self.params))
        self.x_choice.blockSignals(False)
        self._redraw()

    def show_results(self, results: Sequence[TrialResult], best: str | None) -> None:
        """Plot ``results``; the trials of the configuration ``best`` (a ``config_key``) are ringed."""
        self.results, self.best = list(results), best
        self._redraw()

    def _categories(self, param: Param) -> list[Any]:
        if param.kind == "choice":
            return list(param.choices)
        if param.kind == "bool":
            return [False, True]
        return sorted({r.spec.param_dict[param.name] for r in self.results}, key=str)

    def _redraw(self, *_: object) -> None:
        name = self.x_choice.currentText()
        param = self.params.get(name)
        axis = self.plot.getAxis("bottom")
        self.plot.setLabel("bottom", name)
        scored = [r for r in self.results if r.ok and not math.isnan(r.score(self.score_name))]
        self.shown = scored if param is not None else []
        numeric = param is not None and param.kind in ("int", "float")
        self.plot.setLogMode(x=numeric and name in self.log_axes, y=False)
        if param is None or numeric:
            axis.setTicks(None)
            x = np.array([float(r.spec.param_dict[name]) for r in self.shown]) if param else np.zeros(0)
        else:
            categories = self._categories(param)
            axis.setTicks([[(i, format_cell(c)) for i, c in enumerate(categories)]])
            x = np.array([float(categories.index(r.spec.param_dict[name])) for r in self.shown])
        y = np.array([r.score(self.score_name) for r in self.shown])
        budget = max((r.spec.steps for r in self.results), default=0)
        full, short = pg.mkBrush(POINT), pg.mkBrush(SHORT_POINT)
        brushes = [full if r.spec.steps == budget else short for r in self.shown]
        self.points.setData(x, y, symbolBrush=brushes, data=list(range(len(self.shown))))
        ring = [i for i, r in enumerate(self.shown) if r.spec.config_key == self.best]
        self.best_ring.setData(x[ring], y[ring])
        failed = len(self.results) - len(scored)
        if not self.score_name:
            self.readout.setText("")
            return
        self.readout.setText(f"{self.score_name}: {len(scored)} scored trial{'s' if len(scored) != 1 else ''}"
                             + (f", {failed} without a score (see the table)" if failed else "")
                             + ("; ringed: the best" if ring else ""))

    def _clicked(self, _item: object, points: Sequence[Any], *_: object) -> None:
        if len(points):
            self.sigPicked.emit(self.shown[int(points[0].data())])
