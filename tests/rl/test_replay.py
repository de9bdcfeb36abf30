"""The replay buffer: a ring of the last ``capacity`` transitions, uniform sampling, exact state."""

import numpy as np
import pytest

from workbench.engine.rl.replay import ReplayBuffer


def fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.add(np.full(buffer.observation_size, i, np.float32), i % 3, float(i),
                   np.full(buffer.observation_size, i + 0.5, np.float32), i % 2 == 0)


def test_ring_keeps_the_last_capacity_transitions():
    buffer = ReplayBuffer(4, 2)
    fill(buffer, 3)
    assert len(buffer) == 3 and buffer.position == 3
    fill(buffer, 3, start=3)  # transitions 0..5 into 4 slots: 4 and 5 overwrite 0 and 1
    assert len(buffer) == 4 and buffer.position == 2
    batch = buffer.gather(np.arange(4))
    assert batch.rewards.tolist() == [4.0, 5.0, 2.0, 3.0]
    assert batch.observations[:, 0].tolist() == [4.0, 5.0, 2.0, 3.0]
    assert batch.next_observations[:, 1].tolist() == [4.5, 5.5, 2.5, 3.5]
    assert batch.actions.tolist() == [1, 2, 2, 0]
    assert batch.terminated.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_sampling_draws_only_stored_transitions_uniformly():
    buffer = ReplayBuffer(100, 1)
    fill(buffer, 10)
    batch = buffer.sample(20_000, np.random.default_rng(0))
    counts = np.bincount(batch.rewards.astype(int), minlength=100)
    assert counts[10:].sum() == 0  # nothing beyond the 10 stored
    assert counts[:10].min() > 1_800 and counts[:10].max() < 2_200  # each about 2,000
    assert batch.observations.dtype == np.float32 and batch.actions.dtype == np.int32
    again = buffer.sample(20_000, np.random.default_rng(0))
    np.testing.assert_array_equal(batch.rewards, again.rewards)  # the rng decides everything


def test_state_round_trip_of_a_wrapped_buffer():
    buffer = ReplayBuffer(5, 3)
    fill(buffer, 7)
    state = buffer.state_dict()
    other = ReplayBuffer(5, 3)
    fill(other, 2, start=50)  # old content must not survive the load
    other.load_state_dict(state)
    assert (other.size, other.position) == (5, 2)
    for name in ("observations", "next_observations", "actions", "rewards", "terminated", "horizons"):
        np.testing.assert_array_equal(getattr(other.gather(np.arange(5)), name),
                                      getattr(buffer.gather(np.arange(5)), name))
    fill(buffer, 1, start=7)
    fill(other, 1, start=7)  # both overwrite the same slot next
    np.testing.assert_array_equal(other.gather(np.arange(5)).rewards, buffer.gather(np.arange(5)).rewards)


def test_partial_buffer_round_trip_and_mismatch():
    buffer = ReplayBuffer(10, 2)
    fill(buffer, 3)
    state = buffer.state_dict()
    assert state["observations"].shape == (3, 2)  # only the filled part is stored
    other = ReplayBuffer(10, 2)
    other.load_state_dict(state)
    assert len(other) == 3 and other.sample(5, np.random.default_rng(1)).rewards.max() <= 2
    with pytest.raises(ValueError, match="saved buffer holds 10 transitions of 2 floats; this one 10 of 3"):
        ReplayBuffer(10, 3).load_state_dict(state)


def test_errors():
    with pytest.raises(ValueError, match="capacity must be >= 1"):
        ReplayBuffer(0, 2)
    with pytest.raises(ValueError, match="empty replay buffer"):
        ReplayBuffer(3, 2).sample(1, np.random.default_rng(0))
