"""GridCellEncoder (HTM_SPEC.md "Encoders": Grid cell), against brute-force references."""

import math

import numpy as np
import pytest

from workbench.engine.htm.encoders import GridCellEncoder, GridCellEncoderParameters
from workbench.engine.htm.rng import CompatRNG


def grid(**kwargs) -> GridCellEncoder:
    return GridCellEncoder(GridCellEncoderParameters(**kwargs))


def test_1d_single_module_activates_the_cells_nearest_in_phase():
    encoder = grid(dimensions=1, periods=(10.0,), module_size=10, sparsity=0.3, seed=4)
    phases = [d / 4294967295.0 for d in CompatRNG(4).draws(10).tolist()]
    for x in (0.0, 3.3, -17.25, 1234.5):
        phase = (x / 10.0) % 1.0
        gaps = [min(abs(p - phase), 1 - abs(p - phase)) for p in phases]
        expected = sorted(sorted(range(10), key=lambda c: gaps[c])[:3])
        assert encoder.encode(x).sparse.tolist() == expected


def test_2d_matches_a_brute_force_search_over_lattice_images():
    encoder = grid(dimensions=2, periods=(6.0, 9.0), module_size=40, sparsity=0.1, seed=8)
    rng = CompatRNG(8)
    modules = []
    for period in (6.0, 9.0):
        angle = 2 * math.pi * rng.real()
        phases = (rng.draws(80).astype(np.float64) / 4294967295.0).reshape(40, 2)
        modules.append((period, angle, phases))
    a1, a2 = np.array([1.0, 0.0]), np.array([0.5, math.sqrt(3) / 2])
    for location in ((0.0, 0.0), (2.5, -1.0), (40.2, 13.7)):
        expected = []
        for m, (period, angle, phases) in enumerate(modules):
            rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
            shifts = np.stack(np.meshgrid(np.arange(-12, 13), np.arange(-12, 13)), axis=-1).reshape(-1, 2)
            distances = []
            for cell in phases:  # every image of the cell within 12 lattice steps, in space
                lattice = (cell[0] + shifts[:, :1]) * a1 + (cell[1] + shifts[:, 1:]) * a2
                points = period * lattice @ rotation.T
                distances.append(np.hypot(*(points - np.array(location)).T).min())
            expected += [m * 40 + c for c in np.argsort(distances, kind="stable")[:4]]
        assert encoder.encode(location).sparse.tolist() == sorted(expected)


def test_every_module_has_its_share_of_active_cells():
    encoder = grid(dimensions=2, periods=(4, 5.5, 7, 10), module_size=50, sparsity=0.2, seed=1)
    assert (encoder.size, encoder.active_per_module) == (200, 10)
    sdr = encoder.encode((3.0, -8.0))
    assert np.bincount(sdr.sparse // 50, minlength=4).tolist() == [10, 10, 10, 10]


def test_seeded_and_periodic_in_each_module():
    a = grid(dimensions=1, periods=(4, 6), seed=3)
    assert a.encode(2.0) == grid(dimensions=1, periods=(4, 6), seed=3).encode(2.0)
    assert a.encode(2.0) != grid(dimensions=1, periods=(4, 6), seed=4).encode(2.0)
    assert a.encode(1.0) == a.encode(13.0)  # 12 is a whole number of both periods
    assert a.encode(1.0) != a.encode(5.0)


def test_nearby_locations_share_cells_and_far_ones_few():
    encoder = grid(dimensions=2, periods=(5, 7, 11, 13, 17), module_size=100, sparsity=0.1, seed=2)
    here = encoder.encode((10.0, 10.0))
    assert here.overlap(encoder.encode((10.1, 10.0))) >= 40
    far = np.random.default_rng(0).uniform(-1000, 1000, size=(100, 2))
    # chance level: 5 modules x 10 active x 10 / 100 = 5 shared cells on average
    assert np.mean([here.overlap(encoder.encode(tuple(p))) for p in far]) <= 7


def test_nan_is_empty_and_bad_locations_are_errors():
    one, two = grid(dimensions=1, periods=(5,)), grid(dimensions=2, periods=(5,))
    assert one.encode(math.nan).active_count == 0
    assert two.encode((1.0, math.nan)).active_count == 0
    with pytest.raises(ValueError, match="cannot encode location inf"):
        one.encode(math.inf)
    with pytest.raises(ValueError, match="location must be 2 number\\(s\\) \\(got 1.0\\)"):
        two.encode(1.0)
    with pytest.raises(ValueError, match="location must be 1 number"):
        one.encode("x")
    assert two.encode((1.7e308, -1.7e308)).active_count == 10  # huge but finite: still placed


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dimensions=3, periods=(5,)), "dimensions must be 1 or 2 \\(got 3\\)"),
        (dict(dimensions=1, periods=()), "at least one module period"),
        (dict(dimensions=1, periods=(3.9,)), "every period must be a finite number >= 4"),
        (dict(dimensions=1, periods=(5,), module_size=1), "module_size must be a whole number >= 2"),
        (dict(dimensions=1, periods=(5,), sparsity=0.0), "sparsity must be in \\(0, 1\\)"),
        (dict(dimensions=1, periods=(5,), module_size=10, sparsity=0.01), "gives 0 active cells per module"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        grid(**kwargs)
