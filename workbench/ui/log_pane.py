"""The log pane and error reporting: what went wrong, with details, without stopping the app."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QMessageBox, QPlainTextEdit, QWidget

from . import palette, theme

_LEVEL_COLOURS = {"info": palette.TEXT, "warning": "#f2c14e", "error": theme.ERROR_COLOUR}


class LogPane(QPlainTextEdit):
    """Read-only, time-stamped lines; errors in the error colour with their details below."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.entries: list[tuple[str, str, str]] = []  # (level, message, details)

    def log(self, message: str, level: str = "info", details: str = "") -> None:
        self.entries.append((level, message, details))
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(_LEVEL_COLOURS.get(level, palette.TEXT)))
        cursor = self.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        prefix = "" if level == "info" else f"{level}: "
        cursor.insertText(f"{time.strftime('%H:%M:%S')}  {prefix}{message}\n", fmt)
        if details:
            muted = QTextCharFormat()
            muted.setForeground(QColor(palette.MUTED_TEXT))
            cursor.insertText(details.rstrip() + "\n", muted)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def text(self) -> str:
        return self.toPlainText()


def error_dialog(parent: QWidget, title: str, message: str, details: str = "") -> QMessageBox:
    """A non-modal error box (the app keeps running behind it) with the details folded away."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Close, parent)
    box.setWindowModality(Qt.WindowModality.NonModal)
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
