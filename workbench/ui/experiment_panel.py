"""The Experiment dock: the browser, the description, the parameter editor, backend and seed.

Choosing an experiment shows its parameters at their defaults and opens it; Apply rebuilds the
model with what the editor holds. Plugins that failed to load are listed under the browser
with their reason (the traceback is in the tooltip and one double click away).
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from workbench.plugins.registry import PluginFailure, Registry

from . import theme
from .param_editor import ParamEditor

FAILURE_ROLE = Qt.ItemDataRole.UserRole + 1


class ExperimentPanel(QWidget):
    """Browser + settings; emits what the user chose, owns no model."""

    sigExperimentChosen = Signal(str)
    sigApply = Signal()
    sigFailureChosen = Signal(object)  # PluginFailure

    def __init__(self, registry: Registry, backends: Sequence[str]) -> None:
        super().__init__()
        self.registry = registry
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.browser = QListWidget()
        self.browser.setMaximumHeight(170)
        for name in registry.names():
            info = registry.get(name)
            item = QListWidgetItem(f"{info.title}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"{name} — {info.source}\n{info.description}")
            self.browser.addItem(item)
        for failure in registry.failures:
            self.add_failure(failure)
        self.browser.currentItemChanged.connect(self._current_changed)
        self.browser.itemDoubleClicked.connect(self._double_clicked)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setProperty("role", "muted")
        self.params = ParamEditor()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.params)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        settings = QFormLayout()
        self.backend = QComboBox()
        self.backend.addItems(list(backends))
        self.backend.setToolTip("numpy runs everywhere; opencl:N runs on OpenCL device N")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Every random choice of the model flows from this seed")
        settings.addRow("backend", self.backend)
        settings.addRow("seed", self.seed)
        self.apply_button = QPushButton("Apply (rebuild model)")
        self.apply_button.setToolTip("Rebuild the model with these parameters, backend and seed")
        self.apply_button.clicked.connect(self.sigApply)
        self.params.sigValidityChanged.connect(self.apply_button.setEnabled)
        self.params.sigEdited.connect(self._mark_dirty)
        self.backend.currentTextChanged.connect(self._mark_dirty)
        self.seed.valueChanged.connect(self._mark_dirty)
        layout.addWidget(QLabel("Experiments"))
        layout.addWidget(self.browser)
        layout.addWidget(self.description)
        heading = QLabel("Parameters")
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
        layout.addLayout(settings)
        layout.addWidget(self.apply_button)

    def add_failure(self, failure: PluginFailure) -> None:
        """List a plugin that could not be used, in the error colour, with its details."""
        item = QListWidgetItem(f"⚠ {failure.source.split('/')[-1]}: {failure.stage} failed")
        item.setForeground(QBrush(QColor(theme.ERROR_COLOUR)))
        item.setToolTip(f"{failure}\n\n{failure.details}".strip())
        item.setData(FAILURE_ROLE, failure)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.browser.addItem(item)

    def failures_listed(self) -> list[PluginFailure]:
        return [self.browser.item(i).data(FAILURE_ROLE) for i in range(self.browser.count())
                if self.browser.item(i).data(FAILURE_ROLE) is not None]

    def select(self, name: str) -> None:
        """Show ``name`` as chosen without emitting (the window opens it itself)."""
        self.browser.blockSignals(True)
        for i in range(self.browser.count()):
            if self.browser.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.browser.setCurrentRow(i)
        self.browser.blockSignals(False)
        self.show_experiment(name)

    def show_experiment(self, name: str, values: dict[str, Any] | None = None, backend: str | None = None,
                        seed: int | None = None) -> None:
        info = self.registry.get(name)
        self.description.setText(info.description or "")
        self.params.set_params(info.cls.params, values)
        if backend is not None:
            if self.backend.findText(backend) < 0:
                self.backend.addItem(backend)
            self.backend.setCurrentText(backend)
        if seed is not None:
            self.seed.setValue(int(seed))
        self.apply_button.setEnabled(True)
        self._set_dirty(False)

    def current_name(self) -> str | None:
        item = self.browser.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _current_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if name is not None:
            self.sigExperimentChosen.emit(name)

    def _double_clicked(self, item: QListWidgetItem) -> None:
        failure = item.data(FAILURE_ROLE)
        if failure is not None:
            self.sigFailureChosen.emit(failure)

    def _mark_dirty(self, *_: object) -> None:
        self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self.apply_button.setText("Apply (rebuild model) *" if dirty else "Apply (rebuild model)")
