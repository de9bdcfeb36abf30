"""Observation encoders and scalers, against the project's encoders used one by one."""

import gymnasium
import numpy as np
import pytest

from workbench.engine.htm.encoders import (RDSE, CategoryEncoder, CategoryEncoderParameters,
                                           RDSEParameters, ScalarEncoder, ScalarEncoderParameters)
from workbench.engine.rl.encoding import EncoderSettings, ObservationEncoder
from workbench.engine.rl.spaces import ObservationScaler, box_bounds, parse_bounds

BOX = gymnasium.spaces.Box(np.array([-1.0, 0.0]), np.array([1.0, 10.0]), dtype=np.float64)


def scalar(lo, hi, size=64, active=21):
    return ScalarEncoder(ScalarEncoderParameters(minimum=lo, maximum=hi, size=size, active_bits=active,
                                                 clip_input=True))


def test_box_is_one_scalar_encoder_per_dimension_concatenated():
    encoder = ObservationEncoder(BOX, EncoderSettings(64, 21))
    sdr = encoder.encode(np.array([0.25, 7.0]))
    expected = np.concatenate([scalar(-1, 1).encode(0.25).sparse, scalar(0, 10).encode(7.0).sparse + 64])
    assert sdr.shape == (128,) and encoder.parts == [(0, 64), (64, 64)]
    np.testing.assert_array_equal(sdr.sparse, expected)


def test_values_beyond_the_bounds_are_clipped():
    encoder = ObservationEncoder(BOX, EncoderSettings(64, 21))
    assert encoder.encode(np.array([-5.0, 99.0])) == encoder.encode(np.array([-1.0, 10.0]))


def test_overlap_falls_with_distance_over_the_range():
    encoder = ObservationEncoder(gymnasium.spaces.Box(-1.0, 1.0, shape=(1,)), EncoderSettings(64, 21))
    base = encoder.encode(np.array([0.0]))
    overlaps = [base.overlap(encoder.encode(np.array([d]))) for d in (0.0, 0.1, 0.3, 0.6, 0.9)]
    assert overlaps[0] == 21 and all(a > b for a, b in zip(overlaps, overlaps[1:]))


def test_rdse_dimensions_have_the_scalar_radius_and_their_own_seeds():
    encoder = ObservationEncoder(BOX, EncoderSettings(64, 21, "rdse", seed=5))
    radius = 2.0 * 21 / 43  # range * active / (size - active), as the scalar encoder's
    first = RDSE(RDSEParameters(size=64, active_bits=21, radius=radius, seed=5))
    second = RDSE(RDSEParameters(size=64, active_bits=21, radius=10.0 * 21 / 43, seed=6))
    sdr = encoder.encode(np.array([0.3, 4.0]))
    np.testing.assert_array_equal(sdr.sparse, np.concatenate([first.encode(0.3).sparse,
                                                              second.encode(4.0).sparse + 64]))


def test_discrete_states_are_categories_or_grid_cells():
    space = gymnasium.spaces.Discrete(6)
    category = ObservationEncoder(space, EncoderSettings(64, 5))
    reference = CategoryEncoder(CategoryEncoderParameters(tuple(range(6)), 5))
    assert category.size == 30 and category.encode(4) == reference.encode(4)
    assert category.encode(1).overlap(category.encode(2)) == 0  # categories share nothing
    grid = ObservationEncoder(space, EncoderSettings(20, 10), grid=(2, 3))  # state 4 = row 1, col 1
    expected = np.concatenate([scalar(0, 1, 20, 10).encode(1.0).sparse,
                               scalar(0, 2, 20, 10).encode(1.0).sparse + 20])
    np.testing.assert_array_equal(grid.encode(4).sparse, expected)
    assert grid.labels == ["row", "column"]
    cell = grid.encode(4)  # (1, 2) and (1, 0) are one column from (1, 1); (0, 0) is further
    assert cell.overlap(grid.encode(5)) == cell.overlap(grid.encode(3)) > cell.overlap(grid.encode(0))
    with pytest.raises(ValueError, match="grid 2x2 has 4 cells but the space has 6 states"):
        ObservationEncoder(space, grid=(2, 2))


def test_bounds_known_given_or_refused():
    cartpole = gymnasium.make("CartPole-v1").observation_space
    assert box_bounds(cartpole, "CartPole-v1")[2] == (-0.21, 0.21)  # failure angle, not the Box's 0.42
    with pytest.raises(ValueError, match=r"dimensions \[1, 3\] of Other-v0 have infinite bounds; give "
                                         r"bounds for every dimension as low:high pairs"):
        box_bounds(cartpole, "Other-v0")
    given = parse_bounds("-1:1, -2:2, -3:3, -4:4", 4)
    assert box_bounds(cartpole, "Other-v0", given)[3] == (-4.0, 4.0)
    with pytest.raises(ValueError, match="expected low:high per dimension"):
        parse_bounds("-1:1, 2", 2)
    with pytest.raises(ValueError, match="the observation has 4 dimensions; got 1 low:high pairs"):
        parse_bounds("-1:1", 4)
    with pytest.raises(ValueError, match="need finite low < high"):
        parse_bounds("1:-1", 1)


def test_scaler_maps_bounds_to_plus_minus_one_and_states_to_one_hot():
    box = ObservationScaler(BOX)
    np.testing.assert_allclose(box(np.array([1.0, 0.0])), [1.0, -1.0])
    np.testing.assert_allclose(box(np.array([0.0, 7.5])), [0.0, 0.5])
    assert box(np.array([0.0, 0.0])).dtype == np.float32
    one_hot = ObservationScaler(gymnasium.spaces.Discrete(4, start=1))
    assert one_hot(3).tolist() == [0.0, 0.0, 1.0, 0.0]


def test_settings_are_checked():
    with pytest.raises(ValueError, match="need 1 <= active_bits < size"):
        EncoderSettings(10, 10)
    with pytest.raises(ValueError, match="encoder kind must be one of scalar, rdse"):
        EncoderSettings(kind="grid")
