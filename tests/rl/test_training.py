"""Episode statistics and the agent-environment loop."""

import math

import numpy as np
import pytest

from workbench.engine.rl.agents import EpsilonSchedule, RandomAgent
from workbench.engine.rl.environments import Environment
from workbench.engine.rl.training import EpisodeStats, Trainer


def test_moving_average_and_solved_at_by_hand():
    stats = EpisodeStats(window=3)
    assert math.isnan(stats.moving_average) and stats.solved_at(1.0) is None
    for r in (1, 2, 9, 9, 3, 9):
        stats.add(r, int(r))
    assert stats.moving_average == pytest.approx(7.0)  # (9 + 3 + 9) / 3
    # windows: (1,2,9)=4, (2,9,9)=6.67, (9,9,3)=7, (9,3,9)=7 -> first >= 7 ends at episode 5
    assert stats.solved_at(7.0) == 5
    assert stats.solved_at(6.5) == 4
    assert stats.solved_at(7.5) is None


def test_epsilon_schedule_is_linear_then_flat():
    schedule = EpsilonSchedule(1.0, 0.1, 10)
    assert [schedule.value(s) for s in (0, 5, 10, 50)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    assert EpsilonSchedule(0.5, 0.2, 0).value(0) == 0.2
    with pytest.raises(ValueError, match="must be in \\[0, 1\\]"):
        EpsilonSchedule(1.5, 0.1, 10)


def test_trainer_counts_episodes_and_resets_between_them(corridor_id):
    trainer = Trainer(Environment(corridor_id, 0), RandomAgent(2, 0))
    results = [trainer.step() for _ in range(60)]
    ended = [r for r in results if r.episode_ended]
    assert len(ended) == trainer.episodes == len(trainer.stats.rewards)
    assert [r.episode_length for r in ended] == trainer.stats.lengths
    assert all(r.episode_return == (1.0 if r.terminated else 0.0) for r in ended)
    assert all(r.episode_length == 10 for r in ended if r.truncated)  # the corridor's limit
    assert trainer.agent.steps == 60


def test_trainer_state_round_trip(corridor_id):
    trainer = Trainer(Environment(corridor_id, 1), RandomAgent(2, 1))
    for _ in range(37):
        trainer.step()
    state = trainer.state_dict()
    expected = [trainer.step() for _ in range(30)]
    other = Trainer(Environment(corridor_id, 1), RandomAgent(2, 1))
    other.load_state_dict(state)
    for want in expected:
        got = other.step()
        assert (got.action, got.reward, got.episode_return, got.episode_length) == \
            (want.action, want.reward, want.episode_return, want.episode_length)
        np.testing.assert_array_equal(got.next_observation, want.next_observation)
    assert other.stats.rewards == trainer.stats.rewards
