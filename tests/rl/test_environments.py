"""Environments: clear errors, seeded episodes, exact restore by replay, the workbench grid."""

import numpy as np
import pytest

from workbench.engine.rl.environments import (GRIDWORLD_ID, Environment, EnvironmentSetupError, grid_shape,
                                              make_env)
from workbench.engine.rl.gridmaps import MAPS, check_map


def test_unknown_id_lists_close_matches_and_valid_ids():
    with pytest.raises(EnvironmentSetupError) as info:
        make_env("CartPol-v1")
    message = str(info.value)
    assert "unknown gymnasium environment 'CartPol-v1'" in message
    assert "did you mean CartPole-v1" in message
    assert "valid ids include CartPole-v1, MountainCar-v0, Acrobot-v1, FrozenLake-v1" in message


def test_continuous_actions_are_refused():
    with pytest.raises(EnvironmentSetupError, match="'Pendulum-v1' has a Box action space; the agents "
                                                   "here choose among discrete actions"):
        make_env("Pendulum-v1")


def test_episodes_are_seeded_and_state_restores_by_replay():
    env = Environment("CartPole-v1", 7)
    first = env.reset().copy()
    assert not np.array_equal(first, Environment("CartPole-v1", 8).reset())  # seed matters
    np.testing.assert_array_equal(first, Environment("CartPole-v1", 7).reset())
    for a in (0, 1, 1, 0, 1):
        env.step(a)
    state = env.state_dict()
    expected = [env.step(a) for a in (1, 1, 0)]
    other = Environment("CartPole-v1", 7)
    other.load_state_dict(state)
    for a, (obs, reward, terminated, truncated) in zip((1, 1, 0), expected):
        got = other.step(a)
        np.testing.assert_array_equal(got[0], obs)
        assert got[1:] == (reward, terminated, truncated)
    while not env.done:  # the next episode's seed comes from the restored generator too
        env.step(0)
    while not other.done:
        other.step(0)
    np.testing.assert_array_equal(env.reset(), other.reset())


def test_time_limit_counter_is_restored_with_the_episode():
    env = Environment("FrozenLake-v1", 0, is_slippery=False)  # 100-step limit
    env.reset()
    for _ in range(98):
        env.step(0)  # left into the wall, forever
    other = Environment("FrozenLake-v1", 0, is_slippery=False)
    other.load_state_dict(env.state_dict())
    assert other.step(0)[3] is False and other.step(0)[3] is True  # truncated at step 100


def test_state_of_another_environment_is_refused():
    state = Environment("CartPole-v1", 0).state_dict()
    with pytest.raises(ValueError, match="the saved state is of 'CartPole-v1', this environment is "
                                         "'Acrobot-v1'"):
        Environment("Acrobot-v1", 0).load_state_dict(state)


def test_stepping_a_finished_episode_is_an_error():
    env = Environment("CartPole-v1", 0)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)


def test_gridworld_walls_block_and_reward_favours_speed():
    env = Environment(GRIDWORLD_ID, 0, map_name="walls-5x5")  # S.... / .##.. / ...#. / .#... / ...#G
    assert grid_shape(env.env) == (5, 5) and env.action_count == 4
    assert env.reset() == 0
    assert env.step(2)[0] == 1  # right
    assert env.step(1)[0] == 1  # down into a wall: stays
    path = [2, 2, 1, 1, 2, 1, 1]  # to (0,3), down to (1,3), down blocked by (2,3), round by (1,4)
    positions = [env.step(a)[0] for a in path]
    assert positions == [2, 3, 8, 8, 9, 14, 19]
    obs, reward, terminated, truncated = env.step(1)
    assert (obs, terminated, truncated) == (24, True, False)
    assert reward == pytest.approx(1 - 0.9 * 10 / 40)  # 10 steps of a 40-step limit


def test_gridworld_truncates_at_its_limit():
    env = Environment(GRIDWORLD_ID, 0, map_name="open-5x5", limit=3)
    env.reset()
    assert [env.step(3)[2:] for _ in range(3)] == [(False, False), (False, False), (False, True)]


def test_maps_are_valid_and_bad_maps_are_refused():
    for rows in MAPS.values():
        assert check_map(rows).shape == (len(rows), len(rows[0]))
    with pytest.raises(ValueError, match="exactly one G"):
        check_map(("S..", "..."))
    with pytest.raises(ValueError, match=r"only S, G, # and \. \(got \['x'\]\)"):
        check_map(("Sx", ".G"))
    with pytest.raises(ValueError, match="unknown grid map 'maze'"):
        make_env(GRIDWORLD_ID, map_name="maze")
