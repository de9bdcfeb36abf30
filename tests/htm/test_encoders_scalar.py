"""ScalarEncoder (HTM_SPEC.md "Encoders": Scalar) on hand-computed encodings."""

import math

import numpy as np
import pytest

from workbench.engine.htm.encoders import ScalarEncoder, ScalarEncoderParameters


def scalar(**kwargs) -> ScalarEncoder:
    return ScalarEncoder(ScalarEncoderParameters(**kwargs))


def bits(sdr) -> list[int]:
    return sdr.sparse.tolist()


def test_size_given_resolution_uses_nextafter_extent():
    encoder = scalar(minimum=0, maximum=100, size=100, active_bits=21)
    # extent = nextafter(100, inf) - 0 = 100.00000000000001; resolution = extent / (100 - 21)
    assert encoder.resolution == math.nextafter(100.0, math.inf) / 79 == 1.2658227848101267
    assert encoder.radius == pytest.approx(21 * 1.2658227848101267)
    assert encoder.size == 100
    assert bits(encoder.encode(0)) == list(range(0, 21))
    assert bits(encoder.encode(50)) == list(range(40, 61))  # 50 / 1.2658... = 39.5 -> 40
    assert bits(encoder.encode(100)) == list(range(79, 100))  # 100 / 1.2658... = 79.0
    assert bits(encoder.encode(99.9)) == list(range(79, 100))  # 78.92 -> 79
    assert bits(encoder.encode(1.9)) == list(range(2, 23))  # 1.50099... -> 2


def test_start_rounds_half_away_from_zero():
    encoder = scalar(minimum=0, maximum=10, resolution=0.5, active_bits=3)
    assert bits(encoder.encode(1.25)) == [3, 4, 5]  # 2.5 -> 3 (Python's round gives 2)
    assert bits(encoder.encode(1.75)) == [4, 5, 6]  # 3.5 -> 4


def test_resolution_given_sets_the_size():
    # extent = nextafter(10) - 0; 10.000000000000002 / 0.5 counts as 20 buckets, + 3 active bits.
    encoder = scalar(minimum=0, maximum=10, resolution=0.5, active_bits=3)
    assert (encoder.size, encoder.resolution, encoder.radius) == (23, 0.5, 1.5)
    assert bits(encoder.encode(10)) == [20, 21, 22]
    coarse = scalar(minimum=0, maximum=10, resolution=3, active_bits=3)  # 3.33 buckets -> 4
    assert coarse.size == 7
    assert bits(coarse.encode(10)) == [3, 4, 5]  # round(3.33) = 3


def test_radius_given_means_resolution_radius_over_active_bits():
    encoder = scalar(minimum=0, maximum=10, radius=1.5, active_bits=3)
    assert (encoder.resolution, encoder.size) == (0.5, 23)
    # inputs a radius apart share no bits, closer ones do
    assert encoder.encode(4).overlap(encoder.encode(5.5)) == 0
    assert encoder.encode(4).overlap(encoder.encode(5)) == 1


def test_sparsity_rounds_half_away():
    encoder = scalar(minimum=0, maximum=1, size=100, sparsity=0.205)  # 20.5 -> 21
    assert encoder.active_bits == 21
    assert encoder.encode(0.3).active_count == 21


def test_periodic_wraps_round_the_end():
    encoder = scalar(minimum=0, maximum=10, size=20, active_bits=5, periodic=True)
    assert encoder.resolution == 0.5  # periodic: extent / size
    assert bits(encoder.encode(0)) == [0, 1, 2, 3, 4]
    assert bits(encoder.encode(9.5)) == [0, 1, 2, 3, 19]
    assert encoder.encode(10) == encoder.encode(0)
    assert encoder.encode(-0.5) == encoder.encode(9.5)
    assert encoder.encode(23.5) == encoder.encode(3.5)
    assert bits(encoder.encode(1.25)) == [3, 4, 5, 6, 7]  # 2.5 -> 3


def test_periodic_resolution_stretches_to_close_the_circle():
    encoder = scalar(minimum=0, maximum=24, radius=4, active_bits=21, periodic=True)
    assert encoder.size == 126  # 24 / (4 / 21) = 126, float noise does not add a bucket
    assert encoder.resolution == 24 / 126
    coarse = scalar(minimum=0, maximum=10, resolution=3, active_bits=2, periodic=True)
    assert (coarse.size, coarse.resolution) == (4, 2.5)


def test_category_blocks_never_overlap():
    encoder = scalar(minimum=0, maximum=3, active_bits=5, category=True)
    assert encoder.size == 20
    assert [bits(encoder.encode(c))[0] for c in range(4)] == [0, 5, 10, 15]
    assert encoder.encode(1).overlap(encoder.encode(2)) == 0
    with pytest.raises(ValueError, match="category 1.5 is not a whole number"):
        encoder.encode(1.5)


def test_nan_encodes_to_all_zeros():
    for periodic in (False, True):
        encoder = scalar(minimum=0, maximum=10, size=20, active_bits=5, periodic=periodic)
        sdr = encoder.encode(float("nan"))
        assert sdr.shape == (20,) and sdr.active_count == 0
    assert scalar(minimum=0, maximum=1, size=9, active_bits=2).encode(np.float32("nan")).active_count == 0


def test_out_of_range_is_an_error_unless_clipped():
    encoder = scalar(minimum=0, maximum=100, size=100, active_bits=21)
    with pytest.raises(ValueError, match="value 100.5 is outside \\[0, 100\\]; pass clip_input=True to clamp it"):
        encoder.encode(100.5)
    with pytest.raises(ValueError, match="value -inf is outside"):
        encoder.encode(-math.inf)
    clipped = scalar(minimum=0, maximum=100, size=100, active_bits=21, clip_input=True)
    assert clipped.encode(150) == clipped.encode(100)
    assert clipped.encode(-math.inf) == clipped.encode(0)


def test_periodic_infinity_is_an_error():
    encoder = scalar(minimum=0, maximum=10, size=20, active_bits=5, periodic=True)
    with pytest.raises(ValueError, match="cannot place inf on a periodic scale"):
        encoder.encode(math.inf)
    tiny = scalar(minimum=0, maximum=1e-300, size=20, active_bits=5, periodic=True)
    with pytest.raises(ValueError, match="cannot place 1e\\+300"):
        tiny.encode(1e300)  # the bucket number itself overflows


def test_non_numbers_are_a_type_error():
    with pytest.raises(TypeError, match="encodes numbers \\(got str\\)"):
        scalar(minimum=0, maximum=1, size=9, active_bits=2).encode("0.5")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(minimum=1, maximum=1, size=10, active_bits=2), "minimum must be < maximum \\(got 1 >= 1\\)"),
        (dict(minimum=math.nan, maximum=1, size=10, active_bits=2), "minimum must be a finite number"),
        (dict(minimum=0, maximum=math.inf, size=10, active_bits=2), "maximum must be a finite number"),
        (dict(minimum=0, maximum=100, size=10, active_bits=21), "size must be > active_bits \\(got 10 <= 21\\)"),
        (dict(minimum=0, maximum=1, active_bits=2), "exactly one of size, radius, resolution, category \\(got none\\)"),
        (dict(minimum=0, maximum=1, size=10, radius=1, active_bits=2), "\\(got size, radius\\)"),
        (dict(minimum=0, maximum=1, size=10), "exactly one of active_bits, sparsity \\(got none\\)"),
        (dict(minimum=0, maximum=1, size=10, active_bits=2, sparsity=0.2), "\\(got active_bits, sparsity\\)"),
        (dict(minimum=0, maximum=1, radius=1, sparsity=0.2), "sparsity needs size"),
        (dict(minimum=0, maximum=1, size=10, sparsity=0.01), "rounds to 0 active bits"),
        (dict(minimum=0, maximum=1, size=10, sparsity=1.5), "sparsity must be in \\(0, 1\\) \\(got 1.5\\)"),
        (dict(minimum=0, maximum=1, size=10, active_bits=0), "active_bits must be a whole number >= 1 \\(got 0\\)"),
        (dict(minimum=0, maximum=1, size=10.5, active_bits=2), "size must be a whole number >= 1 \\(got 10.5\\)"),
        (dict(minimum=0, maximum=1, resolution=0, active_bits=2), "resolution must be a finite number > 0 \\(got 0\\)"),
        (dict(minimum=0, maximum=1, radius=-1, active_bits=2), "radius must be a finite number > 0 \\(got -1\\)"),
        (dict(minimum=0, maximum=1, size=10, active_bits=2, periodic=True, clip_input=True), "clip_input has no meaning"),
        (dict(minimum=0, maximum=1, active_bits=2, periodic=True, category=True), "cannot be periodic"),
        (dict(minimum=0, maximum=1, resolution=1e-12, active_bits=2), "needs 1000000000002 bits"),
        (dict(minimum=0, maximum=1, resolution=0.5, active_bits=3, periodic=True), "gives only 2 bits"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        scalar(**kwargs)
