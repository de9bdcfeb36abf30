"""Neighbourhoods and the column -> input mapping (HTM_SPEC.md, Spatial Pooler init 1-2).

Every expected list below is worked out by hand from the spec's wording: offsets -r..+r, the
last dimension fastest, wrap-around mod dim without visiting a coordinate twice (the walk starts
at centre - r and takes min(2r + 1, dim) steps), clipping at the edges without wrap-around.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.htm.topology import (
    coordinates,
    flat_index,
    map_columns_to_inputs,
    neighbourhood,
    neighbourhoods,
)


@pytest.mark.parametrize(("centre", "radius", "wrap", "expected"), [
    (0, 2, True, [8, 9, 0, 1, 2]),
    (9, 2, True, [7, 8, 9, 0, 1]),
    (5, 2, True, [3, 4, 5, 6, 7]),
    (0, 2, False, [0, 1, 2]),
    (9, 2, False, [7, 8, 9]),
    (4, 0, True, [4]),
    (4, 0, False, [4]),
    # 2r + 1 = 13 > 10: the walk starts at 3 - 6 = -3 -> 7 and stops after 10 coordinates.
    (3, 6, True, [7, 8, 9, 0, 1, 2, 3, 4, 5, 6]),
    (3, 6, False, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
])
def test_one_dimension(centre, radius, wrap, expected):
    assert neighbourhood(centre, radius, (10,), wrap).tolist() == expected


def test_two_dimensions_wrap_last_dimension_fastest():
    # shape (3, 4), centre (0, 0), r = 1: rows 2, 0, 1 and columns 3, 0, 1.
    rows, cols = [2, 0, 1], [3, 0, 1]
    expected = [r * 4 + c for r in rows for c in cols]
    assert expected == [11, 8, 9, 3, 0, 1, 7, 4, 5]
    assert neighbourhood((0, 0), 1, (3, 4), True).tolist() == expected
    assert neighbourhood(0, 1, (3, 4), True).tolist() == expected


def test_two_dimensions_clipped():
    assert neighbourhood((0, 0), 1, (3, 4), False).tolist() == [0, 1, 4, 5]
    assert neighbourhood((2, 3), 1, (3, 4), False).tolist() == [6, 7, 10, 11]
    # radius 2 in a (3, 4) grid with wrap: rows take all 3 starting at -2 -> 1; columns 4 from 3.
    assert neighbourhood((1, 1), 2, (3, 4), True).tolist() == [
        r * 4 + c for r in (2, 0, 1) for c in (3, 0, 1, 2)]


def test_three_dimensions_order():
    got = neighbourhood((1, 1, 1), 1, (3, 3, 3), False)
    assert got.tolist() == list(range(27))


@pytest.mark.parametrize("wrap", [True, False])
@pytest.mark.parametrize(("shape", "radius"), [((10,), 3), ((7, 5), 2), ((4, 3, 5), 1), ((6,), 9)])
def test_table_rows_match_single_walks(shape, radius, wrap):
    size = int(np.prod(shape))
    table, counts = neighbourhoods(np.arange(size), radius, shape, wrap)
    for centre in range(size):
        single = neighbourhood(centre, radius, shape, wrap)
        assert counts[centre] == len(single)
        assert table[centre, : counts[centre]].tolist() == single.tolist()
        assert (table[centre, counts[centre]:] == -1).all()
        assert len(set(single.tolist())) == len(single)  # no coordinate twice


def test_coordinates_round_trip():
    shape = (3, 4, 5)
    idx = np.arange(60)
    assert (flat_index(coordinates(idx, shape), shape) == idx).all()
    assert coordinates(23, shape).tolist() == [1, 0, 3]


def test_column_to_input_centre():
    # floor((c + 0.5) * 1000 / 2048)
    centres = map_columns_to_inputs((2048,), (1000,))[:, 0]
    assert centres[0] == 0 and centres[1] == 0 and centres[2] == 1  # 2.5 * 0.488 = 1.22
    assert centres[2047] == 999  # 2047.5 * 1000 / 2048 = 999.76
    assert centres[1024] == 500  # 1024.5 * 1000 / 2048 = 500.24
    # 2-D: per dimension; (c + 0.5) * in / col lands exactly on 49 for c = 62, in 784, col 1000.
    centres = map_columns_to_inputs((1000, 4), (784, 8))
    assert centres[62 * 4 + 3].tolist() == [49, 7]
    assert centres[0].tolist() == [0, 1]
