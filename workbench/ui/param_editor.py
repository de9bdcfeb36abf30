"""The parameter editor: widgets generated from an experiment's typed parameters.

Every value goes through :meth:`Param.validate`, the same check the CLI's ``--set`` uses, as it
is typed. A refused value stays in its field, outlined, with the reason under it, and the
editor reports itself invalid so Apply is refused until it is fixed. Numbers are typed into
line edits rather than spin boxes because a spin box silently clamps: the user would never
learn why a value did not take.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from workbench.plugins.params import Param, ParamError


class ParamField(QWidget):
    """One parameter's input widget and its reason label."""

    sigChanged = Signal()

    def __init__(self, param: Param, value: Any) -> None:
        super().__init__()
        self.param = param
        self.error = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(4)
        if param.kind == "bool":
            self.input = QCheckBox()
            self.input.setChecked(bool(value))
            self.input.toggled.connect(self._edited)
        elif param.kind == "choice":
            self.input = QComboBox()
            self.input.addItems(list(param.choices))
            self.input.setCurrentText(str(value))
            self.input.currentTextChanged.connect(self._edited)
        else:
            self.input = QLineEdit(self._format(value))
            self.input.textChanged.connect(self._edited)
        self.input.setToolTip(param.describe())
        row.addWidget(self.input, 1)
        if param.kind == "path":
            browse = QPushButton("…")
            browse.setFixedWidth(28)
            browse.setToolTip("Choose a file")
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
        layout.addLayout(row)
        self.reason = QLabel("")
        self.reason.setProperty("role", "reason")
        self.reason.setWordWrap(True)
        self.reason.hide()
        layout.addWidget(self.reason)

    @staticmethod
    def _format(value: Any) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    def raw(self) -> Any:
        if isinstance(self.input, QCheckBox):
            return self.input.isChecked()
        if isinstance(self.input, QComboBox):
            return self.input.currentText()
        return self.input.text()

    def set_raw(self, value: Any) -> None:
        if isinstance(self.input, QCheckBox):
            self.input.setChecked(bool(value))
        elif isinstance(self.input, QComboBox):
            self.input.setCurrentText(str(value))
        else:
            self.input.setText(self._format(value))

    def value(self) -> Any:
        """The validated value (raises ParamError with the reason)."""
        return self.param.validate(self.raw())

    def _edited(self, *_: object) -> None:
        try:
            self.value()
            self.error = ""
        except ParamError as exc:
            self.error = str(exc)
        self.reason.setText(self.error)
        self.reason.setVisible(bool(self.error))
        self.input.setProperty("invalid", bool(self.error))
        self.input.style().unpolish(self.input)
        self.input.style().polish(self.input)
        self.sigChanged.emit()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.param.name}", self.input.text())
        if path:
            self.input.setText(path)


class ParamEditor(QWidget):
    """A form of :class:`ParamField` rows for one experiment's parameters."""

    sigValidityChanged = Signal(bool)
    sigEdited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setVerticalSpacing(4)
        self.fields: dict[str, ParamField] = {}
        self._valid = True

    def set_params(self, params: Sequence[Param], values: dict[str, Any] | None = None) -> None:
        """Rebuild the form for ``params``, showing ``values`` (defaults where absent)."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        values = values or {}
        for param in params:
            field = ParamField(param, values.get(param.name, param.default))
            field.sigChanged.connect(self._changed)
            label = QLabel(param.name)
            label.setToolTip(param.help)
            self.form.addRow(label, field)
            self.fields[param.name] = field
        if not params:
            self.form.addRow(QLabel("This experiment has no parameters."))
        self._set_valid(True)

    def errors(self) -> dict[str, str]:
        return {name: f.error for name, f in self.fields.items() if f.error}

    def is_valid(self) -> bool:
        return not self.errors()

    def values(self) -> dict[str, Any]:
        """Every parameter's validated value (raises ParamError if one is refused)."""
        return {name: f.value() for name, f in self.fields.items()}

    def set_value(self, name: str, value: Any) -> None:
        """Type ``value`` into the field of ``name`` as a user would."""
        self.fields[name].set_raw(value)

    def _changed(self) -> None:
        self._set_valid(self.is_valid())
        self.sigEdited.emit()

    def _set_valid(self, valid: bool) -> None:
        if valid != self._valid:
            self._valid = valid
            self.sigValidityChanged.emit(valid)
