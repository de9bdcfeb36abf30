"""The GUI's numpy parts, checked against hand-computed cases: layouts, codes, palette, histories,
smoothing, layout presets and pacing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.session.frames import Frame
from workbench.ui import palette
from workbench.ui.grids import CellLayout, GridLayout, cell_codes, column_codes, near_square
from workbench.ui.history import FrameBuffer, ScalarHistory
from workbench.ui.layouts import LayoutStore
from workbench.ui.pacing import DUTY, MAX_INTERVAL_S, MIN_INTERVAL_S, FramePacer
from workbench.ui.views.curves import moving_average


def test_near_square():
    assert near_square(1) == (1, 1)
    assert near_square(64) == (8, 8)
    assert near_square(1000) == (32, 32)
    assert near_square(2048) == (45, 46)


def test_grid_layout_round_trips_and_marks_the_unused_pixels():
    layout = GridLayout((10,))                    # 3 x 4 grid, two pixels unused
    assert layout.image_shape == (3, 4)
    image = layout.image(np.array([0, 9]), palette.CODE_BIT_ON)
    assert image.tolist() == [[2, 0, 0, 0], [0, 0, 0, 0], [0, 2, 1, 1]]
    assert [layout.item_at(x + 0.5, y + 0.5) for y in range(3) for x in range(4)] == \
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1]
    assert layout.item_at(-0.1, 0) == -1 and layout.item_at(4.0, 0) == -1
    assert GridLayout((6, 7)).image_shape == (6, 7)
    assert GridLayout((2, 3, 4)).image_shape == (6, 4)


def test_cell_layout_puts_each_column_in_a_vertical_strip():
    layout = CellLayout(num_columns=5, cells_per_column=3)   # width round(sqrt(5*4)) = 4
    assert layout.band_width == 4 and layout.image_shape == (7, 4)
    codes = np.arange(15, dtype=np.uint8) + 20
    image = layout.image_of_codes(codes)
    g = palette.CODE_GAP
    assert image.tolist() == [[20, 23, 26, 29], [21, 24, 27, 30], [22, 25, 28, 31], [g, g, g, g],
                              [32, g, g, g], [33, g, g, g], [34, g, g, g]]
    assert layout.item_at(1.5, 2.5) == 5 and layout.item_at(0.5, 3.5) == -1
    assert layout.column_rect(4) == (0, 4, 1, 3)


def test_2048_columns_of_32_cells_make_a_square_image():
    layout = CellLayout(2048, 32)
    rows, cols = layout.image_shape
    assert cols == 260 and rows == 8 * 33 - 1 and abs(rows - cols) < 20 and layout.pixel.size == 65536
    assert np.unique(layout.pixel).size == 65536


def test_column_and_cell_codes():
    codes = column_codes(6, active=np.array([1, 2]), predicted=np.array([2, 3]))
    assert codes.tolist() == [palette.CODE_OFF, palette.CODE_COLUMN_BURSTING, palette.CODE_COLUMN_CORRECT,
                              palette.CODE_COLUMN_PREDICTED, palette.CODE_OFF, palette.CODE_OFF]
    codes = cell_codes(5, active=np.array([0, 1, 2]), winner=np.array([1]), predictive=np.array([2, 3]))
    assert codes.tolist() == [palette.CODE_CELL_ACTIVE, palette.CODE_CELL_WINNER,
                              palette.CODE_CELL_ACTIVE_PREDICTIVE, palette.CODE_CELL_PREDICTIVE,
                              palette.CODE_OFF]


def test_palette_lut_and_permanence_ramps():
    lut = palette.LUT
    assert lut.shape == (256, 4) and lut.dtype == np.uint8 and (lut[:, 3] == 255).all()
    assert tuple(lut[palette.CODE_COLUMN_BURSTING, :3]) == palette.rgb(palette.COLUMN_BURSTING)
    codes = palette.permanence_codes(np.array([0.0, 0.49, 0.5, 1.0]), connected=0.5)
    # shades span each side of the threshold: 0.49 is 98 % of the way to 0.5
    assert codes.tolist() == [palette.CODE_POTENTIAL_RAMP, palette.CODE_POTENTIAL_RAMP + 98,
                              palette.CODE_CONNECTED_RAMP, palette.CODE_CONNECTED_RAMP + 99]
    assert tuple(lut[palette.CODE_CONNECTED_RAMP + 99, :3]) == palette.rgb(palette.SYNAPSE_CONNECTED)
    entries = palette.legend_entries()
    colours = [e.colour for e in entries]
    assert len({(e.group, e.label) for e in entries}) == len(entries)
    # one colour, one meaning: only "predicted" (columns) and "predictive" (cells) share a hue
    assert len(colours) - len(set(colours)) == 1


def test_scalar_history_grows_and_snapshots_stay_valid():
    history = ScalarHistory(["a", "b"], capacity=2)
    first = history.snapshot()
    for step in range(1, 6):
        history.append(Frame(step, {"a": float(step)} if step != 3 else {"b": 7.0}))
    snap = history.snapshot()
    assert len(first) == 0
    assert snap.steps.tolist() == [1, 2, 3, 4, 5]
    assert np.array_equal(snap.values["a"], [1, 2, np.nan, 4, 5], equal_nan=True)
    assert snap.value_at("b", 3) == 7.0 and math.isnan(snap.value_at("b", 4))
    assert math.isnan(snap.value_at("zzz", 1)) and snap.revision == 5
    history.append(Frame(6, {"a": 6.0}))
    assert len(snap) == 5  # an older snapshot does not change


def test_frame_buffer_keeps_the_newest_and_starts_over_on_reset():
    buffer = FrameBuffer(capacity=3)
    assert buffer.span() is None and buffer.latest() is None
    for step in range(1, 6):
        buffer.append(Frame(step))
    assert buffer.span() == (3, 5) and buffer.get(4).step == 4 and buffer.get(2) is None
    buffer.append(Frame(1))
    assert buffer.span() == (1, 1)


def test_moving_average_ignores_nans():
    values = np.array([1.0, np.nan, 3.0, 5.0, np.nan, np.nan, np.nan])
    out = moving_average(values, 2)
    assert np.allclose(out[:5], [1.0, 1.0, 3.0, 4.0, 5.0])
    assert math.isnan(out[6])
    assert moving_average(values, 1) is values


def test_layout_store_round_trip(tmp_path):
    store = LayoutStore(tmp_path)
    assert store.names("sine") == [] and store.load("sine", "x") is None
    store.save("sine", "wide", b"\x00\x01state")
    store.save("a/b", "x", b"1")
    assert store.load("sine", "wide") == b"\x00\x01state"
    assert store.names("sine") == ["wide"] and (tmp_path / "layouts" / "a_b.json").is_file()
    store.delete("sine", "wide")
    assert store.names("sine") == []
    (tmp_path / "layouts" / "sine.json").write_text("not json")
    assert store.names("sine") == []


@pytest.mark.parametrize("cost", [0.001, 0.01, 0.03, 0.2])
def test_pacer_keeps_drawing_to_its_duty(cost):
    pacer = FramePacer()
    interval = pacer.measured(cost, 2)
    assert interval == min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, cost / DUTY))
    assert pacer.views_per_tick(10) >= 1 and pacer.views_per_tick(1) == 1
