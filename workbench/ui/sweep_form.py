"""The Sweep window's setup: which parameters to sweep over which values, and how to run the trials.

Every parameter of the experiment is a row. Ticked, it is swept over the values in its field
(``v1,v2,...`` or ``low:high[:log]``, prefilled from the parameter's declared range); unticked,
it stays at the value the parameter editor holds, so a sweep starts from the configuration on
screen. Fields are checked as they are typed by the sweep engine's own parser, so a bad range is
refused in place with the message ``workbench sweep --param`` would give, before anything runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from workbench.plugins.params import Param, ParamError
from workbench.plugins.sweep import STRATEGIES
from workbench.plugins.sweep.cluster import local_cores
from workbench.plugins.sweep.plan import MAX_TRIALS
from workbench.plugins.sweep.space import RANGE_KINDS, parse_axis
from workbench.plugins.sweep.table import format_cell

from .userdirs import sweeps_dir

DEFAULT_TRIALS = 16
DEFAULT_GRID_POINTS = 5


def default_table(experiment: str) -> Path:
    return sweeps_dir() / f"{experiment}-{time.strftime('%Y%m%d-%H%M%S')}.csv"


def _bound(param: Param, bound: float) -> str:
    value = param.validate(bound)
    return f"{value:g}" if isinstance(value, float) else str(value)


def suggested_values(param: Param, value: Any) -> str:
    """What a parameter's field holds when it is first ticked: its declared range (log-scaled
    where the parameter asks for it), every choice, both truth values, else its current value."""
    if param.kind in RANGE_KINDS and param.low is not None and param.high is not None and param.low < param.high:
        log = ":log" if param.log and param.low > 0 else ""
        return f"{_bound(param, param.low)}:{_bound(param, param.high)}{log}"
    if param.kind == "choice":
        return ",".join(param.choices)
    if param.kind == "bool":
        return "false,true"
    return format_cell(value)


class AxisField(QWidget):
    """One parameter's row: the values to sweep (ticked) or the editor's value (unticked), a
    hint of what the values mean, and the reason a field is refused."""

    sigChanged = Signal()

    def __init__(self, param: Param, value: Any, experiment: str) -> None:
        super().__init__()
        self.param = param
        self.value = value
        self.experiment = experiment
        self.error = ""
        self._swept_text = suggested_values(param, value)
        self.swept = QCheckBox(param.name)
        self.swept.setToolTip(f"Sweep {param.name} ({param.describe()})")
        self.swept.toggled.connect(self._toggled)
        self.input = QLineEdit(format_cell(value))
        self.input.setEnabled(False)
        self.input.setToolTip("v1,v2,... lists values; low:high spans a range of a number, "
                              "low:high:log spans it geometrically")
        self.input.textChanged.connect(self._check)
        self.hint = QLabel("")
        self.hint.setProperty("role", "muted")
        self.hint.setMinimumWidth(64)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.input, 1)
        row.addWidget(self.hint)
        layout.addLayout(row)
        self.reason = QLabel("")
        self.reason.setProperty("role", "reason")
        self.reason.setWordWrap(True)
        self.reason.hide()
        layout.addWidget(self.reason)
        self._check()

    @property
    def name(self) -> str:
        return self.param.name

    def is_swept(self) -> bool:
        return self.swept.isChecked()

    def set_values(self, text: str) -> None:
        """Tick the row and type ``text`` into it, as a user would."""
        self.swept.setChecked(True)
        self.input.setText(text)

    def set_value(self, value: Any) -> None:
        """The editor's value, which the row holds while it is not swept."""
        self.value = value
        if not self.is_swept():
            self.input.setText(format_cell(value))

    def spec(self) -> str | None:
        """The row as a sweep's ``--param`` (None: the parameter keeps its default)."""
        if not self.is_swept() and self.value == self.param.default:
            return None
        return f"{self.name}={self.input.text()}"

    def _toggled(self, swept: bool) -> None:
        if swept:
            self.input.setText(self._swept_text)
        else:
            self._swept_text = self.input.text()
            self.input.setText(format_cell(self.value))
        self.input.setEnabled(swept)
        self._check()

    def _check(self, *_: object) -> None:
        self.error, hint = self._judge()
        self.hint.setText(hint)
        self.reason.setText(self.error)
        self.reason.setVisible(bool(self.error))
        self.input.setProperty("invalid", bool(self.error))
        self.input.style().unpolish(self.input)
        self.input.style().polish(self.input)
        self.sigChanged.emit()

    def _judge(self) -> tuple[str, str]:
        """(why the row is refused or "", what its values mean)."""
        if self.spec() is None:
            return "", ""
        try:
            axis = parse_axis(f"{self.name}={self.input.text()}", [self.param], self.experiment)
        except ParamError as exc:
            return str(exc), ""
        if not self.is_swept():
            if axis.values != (self.value,):
                return (f"{self.name}: the editor's value {self.input.text()!r} cannot be held fixed in a "
                        f"sweep (a ',' would split it); sweep it or change it in the editor"), ""
            return "", "fixed"
        if axis.is_range:
            return "", "log range" if axis.log else "range"
        count = len(axis.values)
        return "", f"{count} value{'s' if count != 1 else ''}"


class AxesEditor(QWidget):
    """The rows of one experiment's parameters."""

    sigChanged = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setVerticalSpacing(4)
        self.fields: dict[str, AxisField] = {}

    def set_params(self, experiment: str, params: Sequence[Param], values: dict[str, Any]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        for param in params:
            field = AxisField(param, values.get(param.name, param.default), experiment)
            field.sigChanged.connect(self.sigChanged)
            self.form.addRow(field.swept, field)
            self.fields[param.name] = field
        if not params:
            self.form.addRow(QLabel("This experiment has no parameters to sweep."))
        self.sigChanged.emit()

    def set_values(self, values: dict[str, Any]) -> None:
        """The editor's values for the rows that are not swept."""
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].set_value(value)

    def swept(self) -> list[str]:
        return [name for name, f in self.fields.items() if f.is_swept()]

    def specs(self) -> list[str]:
        return [spec for f in self.fields.values() if (spec := f.spec()) is not None]

    def errors(self) -> dict[str, str]:
        return {name: f.error for name, f in self.fields.items() if f.error}


class SweepSettings(QWidget):
    """Metric and goal, search strategy and budget, where trials run and where results go."""

    sigChanged = Signal()

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(4)
        self.metric_choice = QComboBox()
        self.metric_choice.setEditable(True)
        self.metric_choice.lineEdit().setPlaceholderText("reading the experiment's metrics…")
        self.metric_choice.setToolTip("The metric each trial is scored by (from the experiment's metrics(); "
                               "any name it reports may be typed)")
        self.metric_choice.currentTextChanged.connect(self.sigChanged)
        self.goal = QComboBox()
        self.goal.addItems(["minimize", "maximize"])
        self.goal.setToolTip("Whether the lowest or the highest score is best")
        self.search = QComboBox()
        self.search.addItems(list(STRATEGIES))
        self.search.setToolTip("grid: every combination; random: TRIALS distinct draws; halving: TRIALS "
                               "draws on short runs, the best third run 3x longer, rung after rung")
        self.search.currentTextChanged.connect(self._search_changed)
        self.trials = self._spin(1, MAX_TRIALS, DEFAULT_TRIALS, "Configurations drawn (random and halving)")
        self.grid_points = self._spin(2, 1000, DEFAULT_GRID_POINTS, "Values a range contributes to a grid")
        self.seeds = self._spin(1, 1000, 1, "Every configuration runs with seeds 0 .. N-1; they are ranked "
                                            "by their mean score")
        self.steps = self._spin(0, 10**9, 0, "Each trial's step budget (a trial also ends where the "
                                             "experiment's data ends)")
        self.workers = self._spin(0, 1024, 0, "Worker processes of the local Dask cluster")
        self.workers.setSpecialValueText(f"one per core ({local_cores()})")
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("this machine (or tcp://host:8786)")
        self.scheduler.setToolTip("The address of a Dask scheduler to run trials on; empty starts a "
                                  "local cluster of the workers above (docs/sweeps.md)")
        self.scheduler.textChanged.connect(lambda text: self.workers.setEnabled(not text.strip()))
        self.out = QLineEdit()
        self.out.setToolTip("The results table (CSV): one row per finished trial, written as it arrives. "
                            "Choosing an existing table of the same sweep resumes it; empty keeps results in "
                            "memory only.")
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.setToolTip("Choose the results table")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.setSpacing(4)
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        form.addRow("metric", self.metric_choice)
        form.addRow("goal", self.goal)
        form.addRow("search", self.search)
        form.addRow("trials", self.trials)
        form.addRow("grid points", self.grid_points)
        form.addRow("seeds", self.seeds)
        form.addRow("steps", self.steps)
        form.addRow("workers", self.workers)
        form.addRow("scheduler", self.scheduler)
        form.addRow("results", out_row)
        self._search_changed(self.search.currentText())

    @staticmethod
    def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def set_experiment(self, default_steps: int) -> None:
        self.steps.setSpecialValueText(f"experiment's default ({default_steps:,})")
        self.steps.setValue(0)

    def set_metrics(self, names: Sequence[str]) -> None:
        """Offer ``names``; the first is chosen unless a metric was typed already."""
        typed = self.metric_choice.currentText()
        self.metric_choice.blockSignals(True)
        self.metric_choice.clear()
        self.metric_choice.addItems(list(names))
        self.metric_choice.blockSignals(False)
        self.metric_choice.setCurrentText(typed or (names[0] if names else ""))
        self.metric_choice.lineEdit().setPlaceholderText("type the metric to score by")

    def _search_changed(self, search: str) -> None:
        self.trials.setEnabled(search != "grid")
        self.grid_points.setEnabled(search == "grid")
        self.sigChanged.emit()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Results table", self.out.text(), "CSV files (*.csv)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.out.setText(path)

    def spec_fields(self) -> dict[str, Any]:
        """The settings as :class:`SweepSpec` keyword arguments."""
        search = self.search.currentText()
        return {"metric": self.metric_choice.currentText().strip(), "minimize": self.goal.currentText() == "minimize",
                "search": search, "trials": None if search == "grid" else self.trials.value(),
                "grid_points": self.grid_points.value(), "seeds": self.seeds.value(),
                "steps": self.steps.value() or None, "out": self.out.text().strip() or None}

    def where(self) -> tuple[str | None, int | None]:
        """(scheduler address or None for a local cluster, local workers or None for one per core)."""
        address = self.scheduler.text().strip()
        return (address or None), (None if address or not self.workers.value() else self.workers.value())
