"""The look of the application: a calm dark Qt palette matching the plot backgrounds.

pyqtgraph options are set once here (row-major images so arrays index as [row, column], the
palette's background) before any plot is made; every module that makes plots imports this.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from . import palette

pg.setConfigOptions(imageAxisOrder="row-major", background=palette.BACKGROUND,
                    foreground=palette.TEXT, antialias=False)

WINDOW = "#1d2026"
BASE = "#181a1f"
BUTTON = "#272b33"
HIGHLIGHT = "#3a6ea5"
ERROR_COLOUR = "#ff7a6b"

STYLE_SHEET = f"""
QMainWindow::separator {{ background: {BASE}; width: 4px; height: 4px; }}
QDockWidget {{ color: {palette.TEXT}; }}
QDockWidget::title {{ background: {BUTTON}; padding: 4px 6px; }}
QToolBar {{ spacing: 6px; border: none; padding: 3px; }}
QLineEdit[invalid="true"] {{ border: 1px solid {ERROR_COLOUR}; background: #3a2326; }}
QLabel[role="reason"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="muted"] {{ color: {palette.MUTED_TEXT}; }}
QLabel[role="caption"] {{ color: #ffe7a3; font-weight: bold; }}
QListWidget::item {{ padding: 3px; }}
"""


def apply(app: QApplication) -> None:
    """Fusion style with the dark palette and the style sheet above."""
    app.setStyle("Fusion")
    pal = QPalette()
    colours = {
        QPalette.ColorRole.Window: WINDOW, QPalette.ColorRole.WindowText: palette.TEXT,
        QPalette.ColorRole.Base: BASE, QPalette.ColorRole.AlternateBase: WINDOW,
        QPalette.ColorRole.ToolTipBase: BUTTON, QPalette.ColorRole.ToolTipText: palette.TEXT,
        QPalette.ColorRole.Text: palette.TEXT, QPalette.ColorRole.Button: BUTTON,
        QPalette.ColorRole.ButtonText: palette.TEXT, QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: HIGHLIGHT, QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: palette.MUTED_TEXT,
    }
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(palette.MUTED_TEXT))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(palette.MUTED_TEXT))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(palette.MUTED_TEXT))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 9))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
