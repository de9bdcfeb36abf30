"""The annotations dock: a session's captions by step, with Add, Edit and Delete.

It only shows and asks; the window applies the changes to the session file (which saves them at
once) and refreshes the list, the timeline marks and the caption.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QInputDialog, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from workbench.session.records import Annotation


class AnnotationsPanel(QWidget):
    sigJump = Signal(int)              # show this step
    sigAdd = Signal(str)               # caption, at the shown step
    sigEdit = Signal(int, str)         # annotation id, new caption
    sigDelete = Signal(int)            # annotation id

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add at this step…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.add_button.clicked.connect(self._add)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        for b in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.annotations: list[Annotation] = []
        self.set_enabled(False, "Open or record a session to annotate it")

    def set_enabled(self, enabled: bool, why: str = "") -> None:
        for b in (self.add_button, self.edit_button, self.delete_button):
            b.setEnabled(enabled)
            b.setToolTip("" if enabled else why)

    def set_annotations(self, annotations: list[Annotation]) -> None:
        self.annotations = list(annotations)
        self.list.clear()
        for a in self.annotations:
            item = QListWidgetItem(f"step {a.step}: {a.caption}")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            self.list.addItem(item)

    def selected(self) -> Annotation | None:
        item = self.list.currentItem()
        if item is None:
            return None
        wanted = item.data(Qt.ItemDataRole.UserRole)
        return next((a for a in self.annotations if a.id == wanted), None)

    def _activated(self, item: QListWidgetItem) -> None:
        annotation = self.selected()
        if annotation is not None:
            self.sigJump.emit(annotation.step)

    def _add(self) -> None:
        text, ok = QInputDialog.getText(self, "Add annotation", "Caption at this step:")
        if ok and text.strip():
            self.sigAdd.emit(text.strip())

    def _edit(self) -> None:
        annotation = self.selected()
        if annotation is None:
            return
        text, ok = QInputDialog.getText(self, "Edit annotation", f"Caption at step {annotation.step}:",
                                        text=annotation.caption)
        if ok and text.strip():
            self.sigEdit.emit(annotation.id, text.strip())

    def _delete(self) -> None:
        annotation = self.selected()
        if annotation is not None:
            self.sigDelete.emit(annotation.id)
