"""Property tests for every encoder: overlap falls as inputs move apart; any float is handled.

Scalar, grid cell (1-D), date and category encoders are exactly monotone over the distances
tested (their active sets slide). Hash-based encoders (RDSE, coordinate, 2-D grid cell, SimHash)
add chance overlaps of a bit or two, so there the distances tested are spaced wide enough for
the true fall to dominate; those tests run derandomized so a run never depends on luck.
"""

import datetime as dt
import math
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.engine.htm.encoders import (
    RDSE,
    CategoryEncoder,
    CategoryEncoderParameters,
    CoordinateEncoder,
    CoordinateEncoderParameters,
    DateEncoder,
    DateEncoderParameters,
    GridCellEncoder,
    GridCellEncoderParameters,
    RDSEParameters,
    ScalarEncoder,
    ScalarEncoderParameters,
    SimHashDocumentEncoder,
    SimHashDocumentEncoderParameters,
)
from workbench.engine.htm.sdr import SDR

exact = settings(deadline=None, max_examples=100)
hashed = settings(deadline=None, max_examples=100, derandomize=True)

SCALAR = ScalarEncoder(ScalarEncoderParameters(minimum=-50, maximum=150, size=400, active_bits=21))
PERIODIC = ScalarEncoder(ScalarEncoderParameters(minimum=0, maximum=360, size=300, active_bits=31, periodic=True))
CLIPPED = ScalarEncoder(ScalarEncoderParameters(minimum=0, maximum=1, resolution=0.01, active_bits=5, clip_input=True))
CATEGORY_SCALAR = ScalarEncoder(ScalarEncoderParameters(minimum=0, maximum=9, active_bits=3, category=True))
RANDOM_SCALAR = RDSE(RDSEParameters(size=1000, active_bits=21, radius=1.0, seed=1))
GRID_1D = GridCellEncoder(GridCellEncoderParameters(dimensions=1, periods=(5, 7, 11, 13), seed=1))
GRID_2D = GridCellEncoder(GridCellEncoderParameters(dimensions=2, periods=(5, 7, 11, 13), seed=1))
COORDINATE = CoordinateEncoder(CoordinateEncoderParameters(size=1000, dimensions=2, radius=5, active_bits=21, seed=1))
CATEGORY = CategoryEncoder(CategoryEncoderParameters(categories=tuple("abcdef") + (0.5, 2), active_bits=4))
DATE = DateEncoder(
    DateEncoderParameters(season=21, day_of_week=21, weekend=21, custom_days=(21, ("mon",)), holiday=21, time_of_day=21)
)
SIMHASH = SimHashDocumentEncoder(SimHashDocumentEncoderParameters(size=400, sparsity=0.25))

any_float = st.one_of(st.floats(), st.floats(width=32).map(np.float32))


def non_increasing(overlaps: list[int]) -> bool:
    return all(a >= b for a, b in zip(overlaps, overlaps[1:]))


# -- overlap falls with distance ----------------------------------------------------------------
@exact
@given(st.floats(-50, 150), st.floats(0, 1), st.floats(0, 1))
def test_scalar_overlap_falls_with_distance(x, f1, f2):
    room = 150 - x
    d1, d2 = sorted((f1 * room, f2 * room))
    here = SCALAR.encode(x)
    assert here.overlap(SCALAR.encode(x + d1)) >= here.overlap(SCALAR.encode(x + d2))


@exact
@given(st.floats(-1e4, 1e4), st.floats(0, 0.4 * 360), st.floats(0, 0.4 * 360))
def test_periodic_scalar_overlap_falls_with_distance_round_the_circle(x, a, b):
    d1, d2 = sorted((a, b))
    here = PERIODIC.encode(x)
    assert here.overlap(PERIODIC.encode(x + d1)) >= here.overlap(PERIODIC.encode(x + d2))
    assert here.overlap(PERIODIC.encode(x - d1)) >= here.overlap(PERIODIC.encode(x - d2))


@hashed
@given(st.floats(-1e6, 1e6))
def test_rdse_overlap_falls_over_quarter_radius_steps(x):
    here = RANDOM_SCALAR.encode(x)
    overlaps = [here.overlap(RANDOM_SCALAR.encode(x + d)) for d in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert overlaps[0] == here.active_count
    assert non_increasing(overlaps)


@exact
@given(st.floats(-1e4, 1e4), st.floats(0, 1.25), st.floats(0, 1.25))
def test_grid_1d_overlap_falls_within_a_quarter_of_the_smallest_period(x, a, b):
    d1, d2 = sorted((a, b))
    here = GRID_1D.encode(x)
    assert here.overlap(GRID_1D.encode(x + d1)) >= here.overlap(GRID_1D.encode(x + d2))


@hashed
@given(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4), st.floats(0, 2 * math.pi))
def test_grid_2d_overlap_falls_over_tenth_period_steps(x, y, angle):
    here = GRID_2D.encode((x, y))
    step = (math.cos(angle), math.sin(angle))
    overlaps = [here.overlap(GRID_2D.encode((x + d * step[0], y + d * step[1]))) for d in (0.0, 0.5, 1.0)]
    assert non_increasing(overlaps)


@hashed
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.sampled_from([(1, 0), (0, -1), (1, 1), (-1, 1)]))
def test_coordinate_overlap_falls_to_chance_beyond_twice_the_radius(x, y, direction):
    here = COORDINATE.encode((x, y))
    overlaps = [here.overlap(COORDINATE.encode((x + d * direction[0], y + d * direction[1]))) for d in (0, 3, 11)]
    assert non_increasing(overlaps)


@exact
@given(st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2100, 1, 1)), st.integers(0, 360), st.integers(0, 360))
def test_date_overlap_falls_over_six_hours(moment, a, b):
    m1, m2 = sorted((a, b))
    here = DATE.encode(moment)
    near = here.overlap(DATE.encode(moment + dt.timedelta(minutes=m1)))
    assert near >= here.overlap(DATE.encode(moment + dt.timedelta(minutes=m2)))


@exact
@given(st.sampled_from(CATEGORY.parameters.categories), st.sampled_from(CATEGORY.parameters.categories))
def test_categories_match_fully_or_not_at_all(a, b):
    assert CATEGORY.encode(a).overlap(CATEGORY.encode(b)) == (4 if a == b else 0)


words = st.text(string.ascii_lowercase, min_size=1, max_size=8)


@hashed
@given(st.lists(words, min_size=20, max_size=20, unique=True))
def test_simhash_overlap_falls_as_tokens_are_replaced(tokens):
    fresh = ["#" + t for t in tokens]  # new tokens, never in the document
    here = SIMHASH.encode(tokens)
    overlaps = [here.overlap(SIMHASH.encode(fresh[:k] + tokens[k:])) for k in (0, 10, 20)]
    assert non_increasing(overlaps)


# -- any float: a valid SDR or a clear ValueError -----------------------------------------------
def valid_or_value_error(encoder, value) -> None:
    try:
        sdr = encoder.encode(value)
    except ValueError as error:
        assert str(error)
        return
    assert isinstance(sdr, SDR)
    assert sdr.shape == (encoder.size,)
    assert sdr.sparse.dtype == np.uint32
    assert np.all(np.diff(sdr.sparse.astype(np.int64)) > 0)
    assert sdr.active_count == 0 or sdr.sparse[-1] < encoder.size


@pytest.mark.parametrize(
    "encoder", [SCALAR, PERIODIC, CLIPPED, CATEGORY_SCALAR, RANDOM_SCALAR, GRID_1D, CATEGORY],
    ids=["scalar", "periodic", "clipped", "category-scalar", "rdse", "grid-1d", "category"],
)
@exact
@given(value=any_float)
def test_any_float_gives_an_sdr_or_a_value_error(encoder, value):
    valid_or_value_error(encoder, value)


@pytest.mark.parametrize("encoder", [GRID_2D, COORDINATE], ids=["grid-2d", "coordinate"])
@exact
@given(x=any_float, y=any_float)
def test_any_float_pair_gives_an_sdr_or_a_value_error(encoder, x, y):
    valid_or_value_error(encoder, (x, y))


@exact
@given(any_float)
def test_nan_is_empty_and_finite_in_range_values_are_encoded(value):
    if math.isnan(value):
        for encoder in (SCALAR, PERIODIC, RANDOM_SCALAR, GRID_1D):
            assert encoder.encode(value).active_count == 0
    elif math.isfinite(value):
        assert PERIODIC.encode(value).active_count == 31
        assert CLIPPED.encode(value).active_count == 5
        assert GRID_1D.encode(value).active_count == 4 * 10
