"""Image views (digit inputs, an RL environment) and text views (symbols, predictions)."""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy

from workbench.session.frames import Frame

from .. import palette
from .base import StreamView

GREY_LUT = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)


def image_levels(image: np.ndarray) -> tuple[float, float]:
    """Fixed levels by dtype: 0..255 for integers, 0..1 for floats within it, else the data's range."""
    if image.dtype.kind in "ub":
        return 0.0, 255.0
    lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, hi if hi > lo else lo + 1.0


class ImageView(StreamView):
    """One picture per image stream, side by side, pixels square, row 0 at the top."""

    kind = "image"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        self.canvas = pg.GraphicsLayoutWidget()
        self.items: dict[str, pg.ImageItem] = {}
        self.boxes: dict[str, pg.ViewBox] = {}
        several = len(self.streams) > 1
        for stream in self.streams.values():
            layout = self.canvas.addLayout()
            if several:
                layout.addLabel(stream.title or stream.name, color=palette.MUTED_TEXT, size="9pt")
                layout.nextRow()
            box = layout.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
            item = pg.ImageItem(axisOrder="row-major")
            box.addItem(item)
            self.items[stream.name] = item
            self.boxes[stream.name] = box
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.layout().addWidget(self.canvas, 1)
        self.layout().addWidget(self.readout)

    def draw_frame(self, frame: Frame | None) -> None:
        parts = []
        for name, item in self.items.items():
            value = None if frame is None else frame.get(name)
            if value is None:
                item.clear()
                continue
            image = np.asarray(value)
            if image.ndim == 2:
                item.setImage(image, levels=image_levels(image), lut=GREY_LUT, autoLevels=False)
            else:
                item.setImage(image, levels=image_levels(image), lut=None, autoLevels=False)
            if self.shapes.get(name) != image.shape:
                self.shapes[name] = image.shape
                self.boxes[name].setRange(QRectF(0, 0, image.shape[1], image.shape[0]), padding=0.02)
            parts.append(f"{image.shape[1]} x {image.shape[0]}")
        self.readout.setText("   ".join(parts))


class TextView(StreamView):
    """The current value of each text stream in large type, with the few before it."""

    kind = "text"
    RECENT = 12

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        self.labels: dict[str, QLabel] = {}
        self.recent: dict[str, deque[tuple[int, str]]] = {}
        for stream in self.streams.values():
            title = QLabel(stream.title or stream.name)
            title.setProperty("role", "muted")
            value = QLabel("")
            font = QFont(value.font())
            font.setPointSize(font.pointSize() + 9)
            font.setBold(True)
            value.setFont(font)
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setWordWrap(True)  # "episode 319" in a narrow side column: two lines, not cut
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.layout().addWidget(title)
            self.layout().addWidget(value, 1)
            self.labels[stream.name] = value
            self.recent[stream.name] = deque(maxlen=self.RECENT)
        self.layout().addWidget(self.readout)

    def draw_frame(self, frame: Frame | None) -> None:
        history = []
        for name, label in self.labels.items():
            value = None if frame is None else frame.get(name)
            label.setText("" if value is None else str(value))
            recent = self.recent[name]
            if frame is None:
                recent.clear()
            elif value is not None:
                while recent and recent[-1][0] >= frame.step:
                    recent.pop()  # scrubbed back: forget what came after
                recent.append((frame.step, str(value)))
            history.append(" ".join(text for _, text in list(recent)[:-1]))
        self.readout.setText("before: " + "  |  ".join(history) if any(history) else "")
