"""round_half_away: C's round, as HTM_SPEC.md "Numbers and randomness" requires."""

import numpy as np
import pytest

from workbench.engine.htm.rounding import round_half_away


@pytest.mark.parametrize(
    "x, expected",
    [(16.5, 17), (-16.5, -17), (0.5, 1), (-0.5, -1), (2.5, 3), (2.4999999, 2), (0.49999999999999994, 0),
     (-0.49999999999999994, 0), (3.0, 3), (-3.7, -4), (0.0, 0), (float(2**60), 2**60), (np.float32(1.5), 2)],
)
def test_scalar_rounds_half_away_from_zero(x, expected):
    result = round_half_away(x)
    assert type(result) is int
    assert result == expected


def test_differs_from_python_round_on_even_halves():
    assert round(16.5) == 16 and round_half_away(16.5) == 17


@pytest.mark.parametrize("x", [float("nan"), float("inf"), float("-inf")])
def test_scalar_non_finite_is_an_error(x):
    with pytest.raises(ValueError, match="cannot round"):
        round_half_away(x)


def test_array_rounds_elementwise_keeping_dtype():
    x = np.array([16.5, -16.5, 0.49999999999999994, 1.25, -2.5, np.nan])
    result = round_half_away(x)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [17.0, -17.0, 0.0, 1.0, -3.0, np.nan])
    assert round_half_away(np.array([0.5, 1.5], dtype=np.float32)).dtype == np.float32
