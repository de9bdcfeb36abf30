"""The UBL agent: its input layout, goals, and acting towards a goal on a tiny corridor."""

import gymnasium
import numpy as np
import pytest

from workbench.engine.rl.agents import EpsilonSchedule, RandomAgent, Transition
from workbench.engine.rl.encoding import EncoderSettings, ObservationEncoder
from workbench.engine.rl.environments import GRIDWORLD_ID, Environment
from workbench.engine.rl.training import Trainer
from workbench.engine.rl.ubl import UBLAgent, UBLConfig, default_goal, parse_goal

LINE = gymnasium.spaces.Box(0.0, 5.0, shape=(1,))


def make_agent(seed=0, backend="numpy", **config):
    encoder = ObservationEncoder(LINE, EncoderSettings(64, 21))
    config.setdefault("exploration", EpsilonSchedule(1.0, 0.0, 100))
    return UBLAgent(encoder, 2, np.array([5.0]), UBLConfig(columns=256, **config), seed, backend)


def test_pooler_input_is_previous_and_next_state_as_two_rows():
    agent = make_agent()
    before, after = np.array([1.0]), np.array([2.0])
    agent.learn(Transition(before, 1, 0.0, after, False, False))
    encoder = agent.encoder
    assert agent.transition_input.shape == (2, 64)
    dense = agent.transition_input.dense
    np.testing.assert_array_equal(np.flatnonzero(dense[0]), encoder.encode(before).sparse)
    np.testing.assert_array_equal(np.flatnonzero(dense[1]), encoder.encode(after).sparse)
    assert len(agent.transition_columns) == round(256 * 0.04)
    assert agent.steps == 1


def test_classifier_learns_the_action_of_each_transition():
    agent = make_agent()
    rng = np.random.default_rng(0)
    for _ in range(300):
        x = float(rng.integers(1, 5))
        a = int(rng.integers(2))
        agent.learn(Transition(np.array([x]), a, 0.0, np.array([x + (1 if a else -1)]), False, False))
    for x in (1.0, 2.0, 3.0):
        for a, x2 in ((1, x + 1), (0, x - 1)):
            columns = agent.pooler.compute(agent.pair(agent.encoder.encode(np.array([x])),
                                                      agent.encoder.encode(np.array([x2]))), learn=False)
            assert int(np.argmax(agent.decoder.infer(columns))) == a
    # the goal (x = 5) lies to the right of every state: the decoded action is "right"
    assert all(int(np.argmax(agent.action_probabilities(np.array([x])))) == 1 for x in (0.0, 1.0, 2.0, 3.0))


def test_ubl_beats_random_on_a_corridor(corridor_id):
    env = Environment(corridor_id, 0)
    agent = make_agent()
    trainer = Trainer(env, agent)
    for _ in range(30):
        trainer.run_episode()
    random = Trainer(Environment(corridor_id, 0), RandomAgent(2, 0))
    baseline = np.mean([random.run_episode() for _ in range(200)])
    assert np.mean(trainer.stats.rewards[-10:]) == 1.0 and trainer.stats.lengths[-10:] == [5] * 10
    assert baseline < 0.3


def test_state_round_trip_continues_identically(corridor_id, backend_name):
    trainer = Trainer(Environment(corridor_id, 2), make_agent(seed=2, backend=backend_name))
    for _ in range(25):
        trainer.step()
    state = trainer.state_dict()
    expected = [(trainer.step().action, trainer.agent.probabilities.copy()) for _ in range(20)]
    other = Trainer(Environment(corridor_id, 2), make_agent(seed=2, backend=backend_name))
    other.load_state_dict(state)
    for action, probabilities in expected:
        assert other.step().action == action
        np.testing.assert_array_equal(other.agent.probabilities, probabilities)


def test_goals_known_parsed_or_asked_for():
    cartpole = Environment("CartPole-v1", 0)
    np.testing.assert_array_equal(default_goal("CartPole-v1", cartpole.unwrapped, cartpole.observation_space),
                                  [0, 0, 0, 0])
    grid = Environment(GRIDWORLD_ID, 0, map_name="rooms-7x7")
    assert default_goal(GRIDWORLD_ID, grid.unwrapped, grid.observation_space) == 5 * 7 + 6
    lake = Environment("FrozenLake-v1", 0)
    assert default_goal("FrozenLake-v1", lake.unwrapped, lake.observation_space) == 15
    with pytest.raises(ValueError, match="the UBL agent needs a goal state for tests/Other: give one"):
        default_goal("tests/Other", object(), LINE)
    np.testing.assert_array_equal(parse_goal("0.5, 0", gymnasium.spaces.Box(-1, 1, shape=(2,))), [0.5, 0.0])
    assert parse_goal("7", gymnasium.spaces.Discrete(9)) == 7
    with pytest.raises(ValueError, match="is not a state of Discrete"):
        parse_goal("9", gymnasium.spaces.Discrete(9))
    with pytest.raises(ValueError, match="expected 2 numbers, one per observation dimension"):
        parse_goal("1", gymnasium.spaces.Box(-1, 1, shape=(2,)))
