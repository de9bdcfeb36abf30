"""Each view rendered offscreen to PNG from a known frame, checked by reading its pixels: the
right bits, columns and cells lit in the legend's colours (no stored reference images)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from workbench.plugins.api import View
from workbench.session.frames import Frame, Stream, StreamKind
from workbench.ui import palette
from workbench.ui.history import ScalarHistory
from workbench.ui.inspector import InspectorView
from workbench.ui.views import Display, make_view

from .conftest import CPC, Everything


@pytest.fixture
def frames(registry):
    """The test experiment's streams and its first eight frames (known contents)."""
    exp = Everything()
    from workbench.plugins.api import BuildContext

    exp.setup(BuildContext(params={p.name: p.default for p in Everything.params}))
    streams = {s.name: s for s in exp.streams()}
    return streams, [exp.step() for _ in range(8)]


def _view(qtbot, kind, roles, streams, frame, history=None, size=(420, 420)):
    widget = make_view(View(kind, roles, kind), streams)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    series = history.snapshot() if history is not None else Display().series
    widget.show_display(Display(frame, series))
    return widget


def _png(widget, tmp_path, name) -> QImage:
    path = tmp_path / f"{name}.png"
    widget.save_png(path)
    image = QImage(str(path))
    assert not image.isNull()
    return image


def _rgb(image: QImage, point) -> tuple[int, int, int]:
    c = image.pixelColor(point)
    return c.red(), c.green(), c.blue()


def _item_point(widget, panel, index):
    """Where item ``index`` of ``panel`` is drawn, in the widget's pixels (its centre)."""
    x, y, w, h = panel.layout.rect_of(index)
    scene = panel.image_item.mapToScene(QPointF(x + w / 2, y + h / 2))
    return widget.canvas.viewport().mapTo(widget, widget.canvas.mapFromScene(scene))


def test_sdr_view_lights_the_active_bits(qtbot, tmp_path, frames):
    streams, made = frames
    widget = _view(qtbot, "sdr", ["encoding"], streams, made[4])  # step 5: bits 5 and 6
    image = _png(widget, tmp_path, "sdr")
    panel = widget.panels[0]
    for bit in range(64):
        expected = palette.BIT_ON if bit in (5, 6) else palette.OFF
        assert _rgb(image, _item_point(widget, panel, bit)) == palette.rgb(expected), bit


def test_columns_view_colours_bursting_correct_and_false_predictions(qtbot, tmp_path, frames):
    streams, made = frames
    widget = _view(qtbot, "columns", {"active": "active", "predicted": "predicted"}, streams, made[4])
    image = _png(widget, tmp_path, "columns")
    expected = {5: palette.COLUMN_BURSTING, 6: palette.COLUMN_CORRECT, 7: palette.COLUMN_PREDICTED}
    for column in range(32):
        got = _rgb(image, _item_point(widget, widget.panels[0], column))
        assert got == palette.rgb(expected.get(column, palette.OFF)), column
    assert "2 active: 1 predicted, 1 bursting; 1 predicted but inactive" in widget.readout.text()


def test_cells_view_colours_active_winner_and_predictive_cells(qtbot, tmp_path, frames):
    streams, made = frames
    roles = {"active": "cells_active", "predictive": "cells_predictive", "winner": "cells_winner"}
    widget = _view(qtbot, "cells", roles, streams, made[4])
    image = _png(widget, tmp_path, "cells")
    # step 5: column 5 bursts (cells 20-23), cell 24 (column 6) is active; winners 21 and 24;
    # cell 30 (column 7) is predictive
    expected = {20: palette.CELL_ACTIVE, 21: palette.CELL_WINNER, 22: palette.CELL_ACTIVE,
                23: palette.CELL_ACTIVE, 24: palette.CELL_WINNER, 30: palette.CELL_PREDICTIVE}
    for cell in range(32 * CPC):
        got = _rgb(image, _item_point(widget, widget.panels[0], cell))
        assert got == palette.rgb(expected.get(cell, palette.OFF)), cell
    # the gap between bands of columns is drawn in the background colour
    layout = widget.cell_layout
    gap_row = CPC  # first row below the first band
    scene = widget.panels[0].image_item.mapToScene(QPointF(0.5, gap_row + 0.5))
    point = widget.canvas.viewport().mapTo(widget, widget.canvas.mapFromScene(scene))
    assert layout.item_at(0.5, gap_row + 0.5) == -1
    assert _rgb(image, point) == palette.rgb(palette.BACKGROUND)


def test_image_view_shows_the_digit_rows(qtbot, tmp_path, frames):
    streams, made = frames
    widget = _view(qtbot, "image", ["digit"], streams, made[2])  # step 3: row 3 is white
    image = _png(widget, tmp_path, "image")
    item = widget.items["digit"]
    for row in range(8):
        scene = item.mapToScene(QPointF(4.5, row + 0.5))
        point = widget.canvas.viewport().mapTo(widget, widget.canvas.mapFromScene(scene))
        assert _rgb(image, point) == ((255, 255, 255) if row == 3 else (0, 0, 0)), row


def _mask(image: QImage, colour: str, tolerance: int) -> np.ndarray:
    """Which pixels are within ``tolerance`` (sum of channel differences) of ``colour``."""
    ptr = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(ptr.constBits(), dtype=np.uint8).reshape(ptr.height(), ptr.bytesPerLine())
    arr = arr[:, : ptr.width() * 3].reshape(ptr.height(), ptr.width(), 3).astype(int)
    return np.abs(arr - np.array(palette.rgb(colour))).sum(axis=2) < tolerance


def _fill_columns(image: QImage, colour: str, tolerance: int = 60) -> np.ndarray:
    """Per x pixel, how many pixels in that column are close to ``colour``."""
    return _mask(image, colour, tolerance).sum(axis=0)


def test_histogram_view_draws_rising_counts(qtbot, tmp_path, frames):
    streams, made = frames
    widget = _view(qtbot, "histogram", ["perms"], streams, made[0])  # counts 1..10
    image = _png(widget, tmp_path, "histogram")
    heights = _fill_columns(image, palette.CURVE_COLOURS[0], tolerance=200)
    filled = np.flatnonzero(heights > 3)
    assert filled.size > 100
    left, right = heights[filled[: filled.size // 5]].mean(), heights[filled[-filled.size // 5:]].mean()
    assert right > 3 * left
    assert "55 in 10 bins" in widget.readout.text()


def test_vector_view_draws_bars_for_short_vectors(qtbot, tmp_path, frames):
    streams, made = frames
    widget = _view(qtbot, "vector", ["duty"], streams, made[3])  # step 4: 0..4 rising
    image = _png(widget, tmp_path, "vector")
    heights = _fill_columns(image, palette.CURVE_COLOURS[0])
    filled = np.flatnonzero(heights > 0)
    assert filled.size > 50
    assert heights[filled[-10:]].mean() > 5 * max(heights[filled[:10]].mean(), 1)
    assert "max 4" in widget.readout.text()


def test_curves_view_draws_each_stream_in_its_colour(qtbot, tmp_path, frames):
    streams, made = frames
    history = ScalarHistory(["anomaly", "likelihood"])
    for frame in made:
        history.append(frame)
    widget = _view(qtbot, "curves", ["anomaly", "likelihood"], streams, made[-1], history)
    image = _png(widget, tmp_path, "curves")
    anomaly = np.nonzero(_mask(image, palette.CURVE_COLOURS[0], 30))[0]
    likelihood = np.nonzero(_mask(image, palette.CURVE_COLOURS[1], 30))[0]
    assert anomaly.size > 20 and likelihood.size > 20
    assert anomaly.mean() < likelihood.mean()  # 0.5 is drawn above 0.25
    assert widget.readout.text() == "step 8   Anomaly = 0.5   Likelihood = 0.25"


def test_a_readout_wider_than_its_view_ends_in_an_ellipsis_with_the_whole_text_in_its_tooltip(
        qtbot, tmp_path, frames):
    """The readout keeps its size (a relayout every frame would resize the plot), so a long
    one is elided where it is cut, not cut mid-word, and drawn that way."""
    streams, made = frames
    history = ScalarHistory(["anomaly", "likelihood"])
    for frame in made:
        history.append(frame)
    whole = "step 8   Anomaly = 0.5   Likelihood = 0.25"
    wide = _view(qtbot, "curves", ["anomaly", "likelihood"], streams, made[-1], history,
                 size=(900, 300))
    narrow = _view(qtbot, "curves", ["anomaly", "likelihood"], streams, made[-1], history,
                   size=(150, 300))
    assert wide.readout.shown_text() == whole
    shown = narrow.readout.shown_text()
    assert narrow.readout.text() == narrow.readout.toolTip() == whole
    assert shown.endswith("\u2026") and whole.startswith(shown[:-1]) and len(shown) < len(whole)
    # drawn as a plain label showing the elided text would be
    label = narrow.readout
    reference = QLabel(shown, narrow)
    reference.setProperty("role", "muted")
    reference.setGeometry(label.geometry())
    reference.show()
    drawn, expected = label.grab().toImage(), reference.grab().toImage()
    assert drawn.size() == expected.size() and drawn == expected
    cut = QLabel(whole, narrow)  # what a plain label of the whole text draws: not the same
    cut.setProperty("role", "muted")
    cut.setGeometry(label.geometry())
    cut.show()
    assert cut.grab().toImage() != drawn


def test_vector_view_lists_each_stream_once_in_its_legend(qtbot):
    """Two short vectors side by side as bars: one legend entry each (a bar item with a name
    enters the legend as it is added to the plot)."""
    streams = {name: Stream(name, StreamKind.VECTOR, title)
               for name, title in (("sdr_p", "SDRClassifier"), ("mlp_p", "MLP"))}
    frame = Frame(1, {"sdr_p": np.linspace(0, 1, 10), "mlp_p": np.linspace(1, 0, 10)})
    widget = _view(qtbot, "vector", ["sdr_p", "mlp_p"], streams, frame)
    legend = widget.plot.getPlotItem().legend
    assert [label.text for _, label in legend.items] == ["SDRClassifier", "MLP"]


def test_text_view_shows_the_symbol_and_the_ones_before(qtbot, frames):
    streams, made = frames
    widget = _view(qtbot, "text", ["symbol"], streams, made[0])
    for frame in made[1:4]:
        widget.show_display(Display(frame))
    assert widget.labels["symbol"].text() == "A"     # step 4
    assert widget.readout.text() == "before: B C D"
    label = widget.labels["symbol"]  # a value wider than the view wraps onto more lines
    label.setText("episode 1234")
    one_line = label.fontMetrics().height()
    assert label.heightForWidth(label.fontMetrics().horizontalAdvance("episode 1234") - 10) >= 2 * one_line


def test_inspector_lays_a_columns_synapses_over_the_input(qtbot, tmp_path):
    inspector = InspectorView()
    qtbot.addWidget(inspector)
    inspector.resize(420, 480)
    inspector.show()
    qtbot.waitExposed(inspector)
    details = Everything().inspect("sp", 3)
    inspector.show_details("sp", 3, details, active=np.array([2, 40]))
    path = tmp_path / "inspector.png"
    assert inspector.grab().save(str(path))
    image = QImage(str(path))

    def colour(bit):
        x, y = bit % 8, bit // 8
        scene = inspector.image_item.mapToScene(QPointF(x + 0.5, y + 0.5))
        point = inspector.canvas.viewport().mapTo(inspector, inspector.canvas.mapFromScene(scene))
        return _rgb(image, point)

    assert colour(1) == palette.rgb(palette.OFF)                       # not in the pool
    assert colour(62) == palette.rgb(palette.SYNAPSE_CONNECTED)        # highest permanence
    assert colour(0) == tuple(palette.LUT[palette.CODE_POTENTIAL_RAMP, :3])  # permanence 0
    assert colour(30) == tuple(palette.LUT[palette.permanence_codes(np.array([15 / 31]), 0.5)[0], :3])
    assert "32 potential synapses, 16 connected" in inspector.header.text()
    assert "1 connected to an active input" in inspector.header.text()
