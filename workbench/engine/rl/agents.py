"""What every agent shares: the act / learn interface, epsilon-greedy exploration, and the
random policy that every agent is measured against.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Transition:
    """One environment step: ``observation``, the ``action`` taken, the ``reward``, the
    ``next_observation``, and whether the episode ``terminated`` (a terminal state: no future
    reward) or was ``truncated`` (a time limit: the future still counts)."""

    observation: Any
    action: int
    reward: float
    next_observation: Any
    terminated: bool
    truncated: bool


@dataclass(frozen=True)
class EpsilonSchedule:
    """Epsilon-greedy exploration: epsilon falls linearly from ``start`` to ``end`` over
    ``decay_steps`` environment steps, then stays at ``end``."""

    start: float = 1.0
    end: float = 0.01
    decay_steps: int = 10_000

    def __post_init__(self) -> None:
        if not (0.0 <= self.end <= 1.0 and 0.0 <= self.start <= 1.0):
            raise ValueError(f"epsilon start and end must be in [0, 1] (got {self.start}, {self.end})")
        if self.decay_steps < 0:
            raise ValueError(f"epsilon decay_steps must be >= 0 (got {self.decay_steps})")

    def value(self, step: int) -> float:
        if step >= self.decay_steps:
            return self.end
        return self.start + (self.end - self.start) * step / self.decay_steps


def make_rng(seed: int, stream: int) -> np.random.Generator:
    """An agent's own generator: independent streams for one seed (weights, exploration...)."""
    return np.random.Generator(np.random.PCG64([int(seed), int(stream)]))


class Agent(abc.ABC):
    """An agent picks discrete actions and learns from transitions.

    ``act(observation, explore)`` returns an action (``explore`` False: the greedy policy, as
    when learning is off); ``learn(transition)`` updates the agent online; ``steps`` counts the
    transitions it learned from, which drives its exploration schedule.
    """

    name = ""

    def __init__(self, action_count: int, seed: int, exploration: EpsilonSchedule) -> None:
        if action_count < 1:
            raise ValueError(f"an agent needs at least one action (got {action_count})")
        self.action_count = int(action_count)
        self.seed = int(seed)
        self.exploration = exploration
        self.rng = make_rng(seed, 0)
        self.steps = 0

    @property
    def epsilon(self) -> float:
        return self.exploration.value(self.steps)

    def explores(self, explore: bool) -> bool:
        """Whether this step's action is random (one draw per call when ``explore``, so a run's
        random stream does not depend on what the agent computes)."""
        return explore and self.rng.random() < self.epsilon

    def random_action(self) -> int:
        return int(self.rng.integers(self.action_count))

    def break_ties(self, scores: np.ndarray) -> int:
        """The index of the highest score, a random one among equals."""
        best = np.flatnonzero(scores == scores.max())
        return int(best[0]) if best.size == 1 else int(best[self.rng.integers(best.size)])

    @abc.abstractmethod
    def act(self, observation: Any, explore: bool = True) -> int:
        """The action for ``observation``."""

    @abc.abstractmethod
    def learn(self, transition: Transition) -> None:
        """Learn from one real transition."""

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.steps = int(state["steps"])


class RandomAgent(Agent):
    """Uniformly random actions: the baseline every agent must beat."""

    name = "random"

    def __init__(self, action_count: int, seed: int) -> None:
        super().__init__(action_count, seed, EpsilonSchedule(1.0, 1.0, 0))

    def act(self, observation: Any, explore: bool = True) -> int:
        return self.random_action()

    def learn(self, transition: Transition) -> None:
        self.steps += 1
