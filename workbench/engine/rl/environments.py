"""Environments: gymnasium's, made by id, stepped one action at a time, restorable exactly.

Students already know gymnasium's API (``reset`` / ``step`` and its spaces), and it ships the
classic control tasks (CartPole, MountainCar, Acrobot) and the toy-text grids (FrozenLake,
CliffWalking). :func:`make_env` turns gymnasium's errors into one clear message listing ids
that work. :class:`Environment` adds what a workbench run needs on top: a seeded reset per
episode and a state that a session checkpoint can store.

Why a state is (episode seed, actions so far) and not the simulator's variables: gymnasium
environments keep their state in env-specific attributes (and wrappers keep counters such as
the time limit's), so no single generic copy exists. Every gymnasium environment is, however,
deterministic given the seed of its ``reset`` and the actions since: replaying them restores
the exact state of any environment, wrappers included, at the cost of at most one episode of
steps.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np

SUGGESTED_IDS = ("CartPole-v1", "MountainCar-v0", "Acrobot-v1", "FrozenLake-v1", "CliffWalking-v1",
                 "workbench/GridWorld-v0")
GRIDWORLD_ID = "workbench/GridWorld-v0"


class EnvironmentSetupError(ValueError):
    """An environment could not be made or used; the message says what to change."""


def make_env(env_id: str, **kwargs: Any):
    """``gymnasium.make(env_id, **kwargs)`` with clear errors.

    An unknown id lists close matches and a few ids that work; an environment whose optional
    dependency is missing says which; an environment without discrete actions is refused, since
    the agents here choose among a finite set of actions.
    """
    import gymnasium  # noqa: PLC0415 - imported on demand: only RL needs it

    if GRIDWORLD_ID not in gymnasium.envs.registry:  # ours, made on demand like gymnasium's own
        gymnasium.register(id=GRIDWORLD_ID, entry_point="workbench.engine.rl.gridworld:GridWorldEnv")
    env_id = str(env_id).strip()
    if not env_id:
        raise EnvironmentSetupError(f"give a gymnasium environment id, e.g. {', '.join(SUGGESTED_IDS[:3])}")
    try:
        env = gymnasium.make(env_id, **kwargs)
    except gymnasium.error.DependencyNotInstalled as exc:
        raise EnvironmentSetupError(f"environment {env_id!r} needs a package that is not installed ({exc}); "
                                f"try one of {', '.join(SUGGESTED_IDS)}") from None
    except gymnasium.error.Error as exc:
        close = difflib.get_close_matches(env_id, list(gymnasium.envs.registry), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise EnvironmentSetupError(f"unknown gymnasium environment {env_id!r} ({exc}); {hint}"
                                f"valid ids include {', '.join(SUGGESTED_IDS)}") from None
    if not isinstance(env.action_space, gymnasium.spaces.Discrete):
        env.close()
        raise EnvironmentSetupError(
            f"environment {env_id!r} has a {type(env.action_space).__name__} action space; the agents "
            f"here choose among discrete actions: use an environment with Discrete actions, e.g. "
            f"{', '.join(SUGGESTED_IDS)}")
    return env


def grid_shape(env: Any) -> tuple[int, int] | None:
    """(rows, columns) of a grid world whose Discrete state is ``row * columns + column``
    (FrozenLake, CliffWalking), or None for any other environment."""
    inner = env.unwrapped
    rows, cols = getattr(inner, "nrow", None), getattr(inner, "ncol", None)
    if rows is None and isinstance(getattr(inner, "shape", None), tuple) and len(inner.shape) == 2:
        rows, cols = inner.shape
    if rows is None or cols is None:
        return None
    return int(rows), int(cols)


class Environment:
    """A gymnasium environment with seeded episodes and an exact, storable state.

    Episode ``k`` is reset with a seed drawn from a generator seeded by ``seed``, so a run is
    reproducible. :meth:`state_dict` holds that generator, the current episode's seed and the
    actions taken since its reset; :meth:`load_state_dict` replays them.
    """

    def __init__(self, env_id: str, seed: int, **kwargs: Any) -> None:
        self.env_id = str(env_id).strip()
        self.kwargs = dict(kwargs)
        self.env = make_env(self.env_id, **kwargs)
        self.seed = int(seed)
        self._seeds = np.random.Generator(np.random.PCG64(self.seed))
        self.episode_seed: int | None = None
        self.actions: list[int] = []
        self.observation: Any = None
        self.done = True  # no episode yet: the first step resets

    @property
    def observation_space(self):
        return self.env.observation_space

    @property
    def action_count(self) -> int:
        return int(self.env.action_space.n)

    @property
    def unwrapped(self):
        return self.env.unwrapped

    def reset(self) -> Any:
        """Start the next episode (with the next seed); returns its first observation."""
        self.episode_seed = int(self._seeds.integers(2**31 - 1))
        self.observation, _ = self.env.reset(seed=self.episode_seed)
        self.actions = []
        self.done = False
        return self.observation

    def step(self, action: int) -> tuple[Any, float, bool, bool]:
        """(observation, reward, terminated, truncated) after ``action``; ``terminated`` means
        the task ended (no future reward to bootstrap), ``truncated`` a time limit cut it."""
        if self.done:
            raise RuntimeError("the episode is over; call reset() first")
        observation, reward, terminated, truncated, _ = self.env.step(int(action))
        self.actions.append(int(action))
        self.observation = observation
        self.done = bool(terminated or truncated)
        return observation, float(reward), bool(terminated), bool(truncated)

    def state_dict(self) -> dict:
        return {"env_id": self.env_id, "seeds": self._seeds.bit_generator.state,
                "episode_seed": self.episode_seed, "actions": np.asarray(self.actions, dtype=np.int64),
                "done": self.done}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state of the same environment id, replaying the episode's actions."""
        if state["env_id"] != self.env_id:
            raise ValueError(f"the saved state is of {state['env_id']!r}, this environment is "
                             f"{self.env_id!r}")
        self._seeds.bit_generator.state = state["seeds"]
        self.episode_seed = None if state["episode_seed"] is None else int(state["episode_seed"])
        self.actions, self.observation = [], None
        if self.episode_seed is not None:
            self.observation, _ = self.env.reset(seed=self.episode_seed)
            for action in np.asarray(state["actions"]).tolist():
                self.observation = self.env.step(int(action))[0]
                self.actions.append(int(action))
        self.done = bool(state["done"])

    def close(self) -> None:
        self.env.close()
