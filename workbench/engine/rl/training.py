"""The agent-environment loop, one environment step at a time, with episode statistics.

Experiments, benchmarks and tests all drive agents through :class:`Trainer`, so an episode's
reward, a moving average and "solved" mean the same everywhere. Stepping one environment step
per call (not one episode) is what lets a workbench run show every step and checkpoint anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .agents import Agent, Transition
from .environments import Environment

SOLVE_WINDOW = 100  # episodes in the moving average ("solved" criteria are stated over 100)


class EpisodeStats:
    """Rewards and lengths of finished episodes, and their moving average over ``window``."""

    def __init__(self, window: int = SOLVE_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1 (got {window})")
        self.window = int(window)
        self.rewards: list[float] = []
        self.lengths: list[int] = []

    def __len__(self) -> int:
        return len(self.rewards)

    def add(self, reward: float, length: int) -> None:
        self.rewards.append(float(reward))
        self.lengths.append(int(length))

    @property
    def moving_average(self) -> float:
        """Mean reward of the last ``window`` episodes (fewer at the start; NaN before any)."""
        if not self.rewards:
            return math.nan
        return float(np.mean(self.rewards[-self.window:]))

    def solved_at(self, threshold: float) -> int | None:
        """The first episode (counted from 1) that completes a full window of ``window``
        consecutive episodes whose mean reward is >= ``threshold``; None if none has."""
        if len(self.rewards) < self.window:
            return None
        sums = np.convolve(np.asarray(self.rewards), np.ones(self.window), mode="valid")
        hits = np.flatnonzero(sums >= threshold * self.window - 1e-9)
        return int(hits[0]) + self.window if hits.size else None

    def state_dict(self) -> dict:
        return {"window": self.window, "rewards": np.asarray(self.rewards, dtype=np.float64),
                "lengths": np.asarray(self.lengths, dtype=np.int64)}

    def load_state_dict(self, state: dict) -> None:
        self.window = int(state["window"])
        self.rewards = np.asarray(state["rewards"], dtype=np.float64).tolist()
        self.lengths = np.asarray(state["lengths"], dtype=np.int64).tolist()


@dataclass(frozen=True)
class StepResult(Transition):
    """What one environment step did: its transition and, when the episode ended here, the
    episode's total reward and length (so far, otherwise)."""

    episode_return: float
    episode_length: int

    @property
    def episode_ended(self) -> bool:
        return self.terminated or self.truncated


class Trainer:
    """Steps an :class:`Environment` with an :class:`Agent`: reset when an episode is over, act,
    step, learn (when ``learn`` is on), and count episodes."""

    def __init__(self, env: Environment, agent: Agent, window: int = SOLVE_WINDOW) -> None:
        self.env = env
        self.agent = agent
        self.stats = EpisodeStats(window)
        self.episode_return = 0.0
        self.episode_length = 0

    @property
    def episodes(self) -> int:
        return len(self.stats)

    def step(self, learn: bool = True) -> StepResult:
        """One environment step; with ``learn`` off the agent acts greedily and does not learn."""
        if self.env.done:
            self.env.reset()
            self.episode_return, self.episode_length = 0.0, 0
        observation = self.env.observation
        action = self.agent.act(observation, explore=learn)
        next_observation, reward, terminated, truncated = self.env.step(action)
        self.episode_return += reward
        self.episode_length += 1
        result = StepResult(observation, action, reward, next_observation, terminated, truncated,
                            self.episode_return, self.episode_length)
        if learn:
            self.agent.learn(result)
        if result.episode_ended:
            self.stats.add(self.episode_return, self.episode_length)
        return result

    def run_episode(self, learn: bool = True) -> float:
        """Step until the current (or next) episode ends; returns its total reward."""
        while True:
            result = self.step(learn)
            if result.episode_ended:
                return result.episode_return

    def state_dict(self) -> dict:
        return {"env": self.env.state_dict(), "agent": self.agent.state_dict(),
                "stats": self.stats.state_dict(), "episode_return": self.episode_return,
                "episode_length": self.episode_length}

    def load_state_dict(self, state: dict) -> None:
        self.env.load_state_dict(state["env"])
        self.agent.load_state_dict(state["agent"])
        self.stats.load_state_dict(state["stats"])
        self.episode_return = float(state["episode_return"])
        self.episode_length = int(state["episode_length"])
