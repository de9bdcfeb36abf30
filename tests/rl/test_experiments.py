"""The cartpole and gridworld experiments: streams, errors, and exact continuation from a saved
state (through the session checkpoint codec, as a fork would load it)."""

import math

import numpy as np
import pytest

from tests.plugins.test_builtin import frames_equal
from workbench.plugins.params import ParamError
from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run, RunError
from workbench.session.state_codec import decode_state, encode_state


@pytest.fixture(scope="module")
def registry():
    return Registry.discover(entry_points=False, user_dir=False)


# few DQN updates (from step 25, every 5th step): enough to test the optimiser's state, and
# quick on an OpenCL device too, where each small op costs a kernel launch
CASES = [
    ("cartpole", {"agent": "dqn", "learning_starts": 25, "train_every": 5, "batch_size": 8, "hidden": "16"}),
    ("cartpole", {"agent": "ubl", "columns": 128}),
    ("gridworld", {"agent": "dqn", "learning_starts": 25, "train_every": 5, "map": "frozenlake-4x4"}),
    ("gridworld", {"agent": "ubl", "map": "frozenlake-4x4", "slippery": True, "columns": 128}),
]


@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}-{p['agent']}" for n, p in CASES])
def test_checkpoint_round_trip_continues_identically(registry, name, params, backend_name):
    run = Run(registry.get(name), params, backend=backend_name, seed=3)
    for _ in range(30):
        run.step()
    structure, blob = encode_state(run.experiment.state_dict())
    expected = [run.step() for _ in range(25)]
    assert any("ended" in f["episode"] for f in expected)  # continues across an episode boundary
    other = Run(registry.get(name), params, backend=backend_name, seed=3)
    other.build()
    other.experiment.load_state_dict(decode_state(structure, blob))  # blob: a snapshot, not views
    for want in expected:
        frames_equal(want, other.step())


def test_cartpole_streams_and_episode_boundaries(registry):
    run = Run(registry.get("cartpole"), {"agent": "random"}, seed=0)
    frames = [run.step() for _ in range(60)]
    assert frames[0]["env"].shape == (120, 240, 3) and frames[0]["env"].dtype == np.uint8
    assert math.isnan(frames[0]["episode_reward"]) and frames[0]["episode"] == "episode 1, step 1"
    first_end = next(i for i, f in enumerate(frames) if "ended" in f["episode"])
    end = frames[first_end]
    assert end["episode"].startswith(f"episode 1 ended (terminated) after {first_end + 1} steps: reward")
    assert end["episode_reward"] == end["episode_length"] == first_end + 1  # +1 per step in CartPole
    assert frames[first_end + 1]["episode"] == "episode 2, step 1" and end["episodes"] == 1.0
    assert set(run.streams) >= {"env", "episode_reward", "reward_average", "episode_length", "epsilon"}
    assert "loss" not in run.streams and "ubl.columns" not in run.streams


def test_ubl_streams_show_its_sdrs(registry):
    run = Run(registry.get("gridworld"), {"agent": "ubl"}, seed=0)
    frame = run.step()
    agent = run.experiment.agent
    # row and column of the grid cell, 40 bits each: one row each, previous state's rows on top
    assert frame["ubl.state"].shape == (2, 40) and frame["ubl.transition"].shape == (4, 40)
    np.testing.assert_array_equal(frame["ubl.transition"].sparse, agent.transition_input.sparse)
    assert frame["ubl.columns"].shape == (512,) and len(frame["ubl.columns"].sparse) == round(512 * 0.04)
    np.testing.assert_array_equal(frame["ubl.goal"].sparse, agent.encoder.encode(24).sparse)  # open-5x5's G
    assert frame["probabilities"].shape == (4,)
    kinds = {v.kind for v in run.experiment.views()}
    assert {"image", "curves", "sdr", "vector", "text"} <= kinds


def test_learning_off_means_greedy_and_no_updates(registry):
    run = Run(registry.get("cartpole"), {"agent": "dqn", "learning_starts": 0}, seed=0)
    run.set_learning(False)
    frames = [run.step() for _ in range(30)]
    assert all(f["epsilon"] == 0.0 for f in frames)
    assert run.experiment.agent.updates == 0 and len(run.experiment.agent.buffer) == 0


def test_bad_environment_or_parameters_are_clear(registry):
    with pytest.raises(RunError, match="unknown gymnasium environment 'CartPol-v1'.*did you mean "
                                       "CartPole-v1"):
        Run(registry.get("cartpole"), {"env": "CartPol-v1"}).build()
    with pytest.raises(RunError, match="needs a goal state for Taxi-v4: give one as the goal parameter"):
        Run(registry.get("cartpole"), {"env": "Taxi-v4", "agent": "ubl"}).build()
    with pytest.raises(RunError, match="hidden: expected comma-separated layer sizes"):
        Run(registry.get("cartpole"), {"hidden": "big"}).build()
    with pytest.raises(RunError, match="bounds: the observation has 6 dimensions; got 1 low:high pairs"):
        Run(registry.get("cartpole"), {"env": "Acrobot-v1", "bounds": "1:2"}).build()
    with pytest.raises(ParamError, match="map: must be one of"):
        Run(registry.get("gridworld"), {"map": "maze"})


def test_any_discrete_action_environment_runs(registry):
    run = Run(registry.get("cartpole"), {"env": "MountainCar-v0", "agent": "ubl", "columns": 128}, seed=1)
    frame = run.step()
    assert frame["env"].shape == (120, 240, 3) and frame["ubl.state"].shape == (2, 128)
    acrobot = Run(registry.get("cartpole"), {"env": "Acrobot-v1", "agent": "dqn", "hidden": "8"}, seed=1)
    assert acrobot.step()["q_values"].shape == (3,)
