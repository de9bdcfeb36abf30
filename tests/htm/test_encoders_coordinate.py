"""CoordinateEncoder (HTM_SPEC.md "Encoders": Coordinate), against a plain-Python reference."""

import math

import numpy as np
import pytest

from workbench.engine.htm.encoders import CoordinateEncoder, CoordinateEncoderParameters, murmur3_32


def coordinate(**kwargs) -> CoordinateEncoder:
    return CoordinateEncoder(CoordinateEncoderParameters(**kwargs))


def reference(position, radius, active_bits, size, seed):
    """Neighbours in offset order (last axis fastest), top active_bits by order hash."""
    offsets = [()]
    for _ in position:
        offsets = [o + (d,) for o in offsets for d in range(-radius, radius + 1)]
    points = [tuple(p + d for p, d in zip(position, o)) for o in offsets]

    def key(point):
        return b"".join(c.to_bytes(8, "little", signed=True) for c in point)

    ranked = sorted(range(len(points)), key=lambda i: (-murmur3_32(key(points[i]), seed), i))
    return sorted({murmur3_32(key(points[i]), seed ^ 0x9E3779B9) % size for i in ranked[:active_bits]})


@pytest.mark.parametrize("position", [(0,), (-3,), (2**40,)])
def test_1d_matches_reference(position):
    encoder = coordinate(size=64, dimensions=1, radius=3, active_bits=4, seed=5)
    assert encoder.encode(position).sparse.tolist() == reference(position, 3, 4, 64, 5)


def test_2d_matches_reference():
    encoder = coordinate(size=500, dimensions=2, radius=2, active_bits=6, seed=11)
    for position in ((0, 0), (7, -9), (-100000, 3)):
        assert encoder.encode(position).sparse.tolist() == reference(position, 2, 6, 500, 11)
    assert encoder.encode(np.array([7, -9])) == encoder.encode((7.0, -9.0))


def test_overlap_falls_with_distance_to_none():
    encoder = coordinate(size=2000, dimensions=1, radius=20, active_bits=21, seed=0)
    here = encoder.encode(100)
    assert here.overlap(encoder.encode(101)) >= 17
    assert here.overlap(encoder.encode(141)) <= 2  # no shared neighbour: hash collisions only
    assert encoder.encode(5) == coordinate(size=2000, dimensions=1, radius=20, active_bits=21).encode((5,))


@pytest.mark.parametrize(
    "position, message",
    [
        ((1.5, 0), "coordinate 1.5 must be a whole number"),
        ((math.nan, 0), "coordinate nan must be a whole number"),
        ((math.inf, 0), "coordinate inf must be a whole number"),
        ((2**62, 0), "of magnitude < 2\\*\\*62"),
        ((1,), "position must be 2 whole number\\(s\\) \\(got \\(1,\\)\\)"),
        ("ab", "position must be 2 whole number"),
        (3, "position must be 2 whole number"),
    ],
)
def test_bad_positions_are_errors(position, message):
    encoder = coordinate(size=100, dimensions=2, radius=1, active_bits=3)
    with pytest.raises(ValueError, match=message):
        encoder.encode(position)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=100, dimensions=1, radius=1, active_bits=4), "only 3 neighbours, fewer than active_bits = 4"),
        (dict(size=100, dimensions=3, radius=50, active_bits=4), "gives 1030301 neighbours"),
        (dict(size=4, dimensions=1, radius=5, active_bits=4), "size must be > active_bits"),
        (dict(size=100, dimensions=0, radius=1, active_bits=1), "dimensions must be a whole number >= 1"),
        (dict(size=100, dimensions=1, radius=-1, active_bits=1), "radius must be a whole number >= 0"),
        (dict(size=100, dimensions=1, radius=1, active_bits=1, seed=2**32), "seed must be < 2\\*\\*32"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        coordinate(**kwargs)
