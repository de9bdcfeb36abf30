"""Environment pictures: shapes, and pixels where the state says things are."""

import numpy as np

from workbench.engine.rl.environments import GRIDWORLD_ID, Environment
from workbench.engine.rl.rendering import (ACCENT, AGENT, CELL_COLOURS, draw_bars, draw_cartpole, draw_grid,
                                           render)


def colour_at(image, y, x):
    return tuple(int(v) for v in image[y, x])


def test_pole_leans_the_way_of_its_angle():
    upright, right = draw_cartpole(0.0, 0.0), draw_cartpole(0.0, 0.5)
    # in the upright picture the pole is above the cart's centre; leaning right it is not there
    assert colour_at(upright, 40, 120) == ACCENT and colour_at(right, 40, 120) != ACCENT
    pole = np.argwhere(np.all(right == ACCENT, axis=2))
    assert pole[:, 1].max() > 140  # the pole's top is right of the centre
    moved = np.argwhere(np.all(draw_cartpole(1.2, 0.0) == ACCENT, axis=2))
    assert abs(moved[:, 1].mean() - (120 + 1.2 * 220 / 4.8)) < 2  # the cart moves with x


def test_grid_cells_and_agent():
    desc = np.array([[b"S", b"."], [b"#", b"G"]], dtype="S1")
    image = draw_grid(desc, 1, cell=10)
    assert image.shape == (20, 20, 3)
    assert colour_at(image, 5, 15) == AGENT  # state 1 = row 0, column 1
    assert colour_at(image, 15, 5) == CELL_COLOURS[b"#"] and colour_at(image, 15, 15) == CELL_COLOURS[b"G"]
    assert colour_at(image, 2, 2) == CELL_COLOURS[b"S"]


def test_render_picks_a_picture_per_environment():
    grid = Environment(GRIDWORLD_ID, 0, map_name="rooms-7x7")
    assert render(GRIDWORLD_ID, grid.unwrapped, grid.reset()).shape == (140, 140, 3)
    taxi = Environment("Taxi-v4", 0)  # a map, but states are not its cells: bars
    bars = render("Taxi-v4", taxi.unwrapped, taxi.reset(), scaled=np.array([0.5]))
    np.testing.assert_array_equal(bars, draw_bars([0.5]))
    column = np.all(draw_bars([1.0, -0.5], height=100) == ACCENT, axis=2).sum(axis=0)
    assert column[12] == 46 and column[36] == 23  # 46 px up for 1.0, 23 down for -0.5
