"""The replay buffer of DQN (Mnih et al. 2015): the last ``capacity`` transitions, sampled
uniformly at random for each update.

A stored transition may span several steps (an n-step return, Sutton and Barto 7.1): its reward
is the discounted sum over those steps and ``horizon`` says how many there were, so that the
learner discounts the value of the next observation by ``gamma ** horizon``.

Sampling old transitions breaks the correlation between consecutive steps, which a network
trained online on a trajectory would otherwise chase. Storage is one preallocated numpy array
per field, written as a ring, so adding a transition costs no allocation and a batch is one
fancy-indexing gather per field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..state import state_array


@dataclass(frozen=True)
class Batch:
    """Transitions as arrays: observations (n, d) float32, actions (n,) int32, rewards (n,)
    float32, next observations (n, d), terminated (n,) float32 (1 where the episode ended in a
    terminal state, so nothing may be bootstrapped from the next observation), and horizons
    (n,) int32 (steps from the observation to the next observation)."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray
    horizons: np.ndarray

    def __len__(self) -> int:
        return int(self.actions.shape[0])


class ReplayBuffer:
    """A ring of the last ``capacity`` transitions of ``observation_size``-float observations."""

    def __init__(self, capacity: int, observation_size: int) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1 (got {capacity})")
        if observation_size < 1:
            raise ValueError(f"observation_size must be >= 1 (got {observation_size})")
        self.capacity = int(capacity)
        self.observation_size = int(observation_size)
        self._obs = np.zeros((self.capacity, self.observation_size), dtype=np.float32)
        self._next = np.zeros_like(self._obs)
        self._actions = np.zeros(self.capacity, dtype=np.int32)
        self._rewards = np.zeros(self.capacity, dtype=np.float32)
        self._terminated = np.zeros(self.capacity, dtype=np.float32)
        self._horizons = np.zeros(self.capacity, dtype=np.int32)
        self.position = 0  # where the next transition goes
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, observation: np.ndarray, action: int, reward: float, next_observation: np.ndarray,
            terminated: bool, horizon: int = 1) -> None:
        """Store one transition, overwriting the oldest once full."""
        i = self.position
        self._obs[i] = observation
        self._next[i] = next_observation
        self._actions[i] = action
        self._rewards[i] = reward
        self._terminated[i] = float(terminated)
        self._horizons[i] = horizon
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """``batch_size`` transitions drawn uniformly with replacement (as DQN does)."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        return self.gather(rng.integers(0, self.size, size=int(batch_size)))

    def gather(self, index: np.ndarray) -> Batch:
        """The transitions at ``index`` (positions in storage order)."""
        return Batch(self._obs[index], self._actions[index], self._rewards[index], self._next[index],
                     self._terminated[index], self._horizons[index])

    def state_dict(self) -> dict:
        """The stored transitions (only the filled part) and the ring position."""
        n = self.size
        return {"capacity": self.capacity, "observation_size": self.observation_size,
                "position": self.position, "size": n,
                "observations": state_array(self._obs[:n]), "next_observations": state_array(self._next[:n]),
                "actions": state_array(self._actions[:n]), "rewards": state_array(self._rewards[:n]),
                "terminated": state_array(self._terminated[:n]), "horizons": state_array(self._horizons[:n])}

    def load_state_dict(self, state: dict) -> None:
        if (int(state["capacity"]), int(state["observation_size"])) != (self.capacity, self.observation_size):
            raise ValueError(f"saved buffer holds {state['capacity']} transitions of "
                             f"{state['observation_size']} floats; this one {self.capacity} of "
                             f"{self.observation_size}")
        n = int(state["size"])
        for name, array in (("observations", self._obs), ("next_observations", self._next),
                            ("actions", self._actions), ("rewards", self._rewards),
                            ("terminated", self._terminated), ("horizons", self._horizons)):
            saved = np.asarray(state[name])
            if saved.shape[0] != n:
                raise ValueError(f"saved buffer field {name!r} has {saved.shape[0]} rows, expected {n}")
            array[:n] = saved
            array[n:] = 0
        self.size, self.position = n, int(state["position"])
