"""The colour legend, shown once in the window: every colour the grid views use, grouped."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from . import palette


class Legend(QWidget):
    """A single row of swatches with labels; each swatch's tooltip says what it means."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(6)
        group = None
        self.swatches: dict[str, QLabel] = {}
        for entry in palette.legend_entries():
            if entry.group != group:
                group = entry.group
                if group:
                    heading = QLabel(f"{group}:")
                    heading.setProperty("role", "muted")
                    layout.addSpacing(8)
                    layout.addWidget(heading)
            swatch = QLabel()
            swatch.setFixedSize(12, 12)
            swatch.setStyleSheet(f"background: {entry.colour}; border: 1px solid #555b66; border-radius: 2px;")
            swatch.setToolTip(entry.meaning)
            text = QLabel(entry.label)
            text.setToolTip(entry.meaning)
            layout.addWidget(swatch)
            layout.addWidget(text)
            self.swatches[f"{entry.group}/{entry.label}"] = swatch
        layout.addStretch(1)
