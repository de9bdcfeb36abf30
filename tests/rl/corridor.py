"""A tiny deterministic environment for agent tests: a corridor of ``length`` cells.

The agent starts in cell 0; action 1 moves right, action 0 left (walls at both ends). Reaching
the last cell gives reward 1 and ends the episode; every other step gives 0, and the episode is
cut after ``limit`` steps. The observation is the position as a 1-D Box over [0, length - 1],
so both agents read it through their usual encoders. A random walk reaches the end within the
limit in about 18 % of episodes (length 6, limit 10); always moving right takes 5 steps.
"""

import gymnasium
import numpy as np

CORRIDOR_ID = "tests/Corridor-v0"


class Corridor(gymnasium.Env):
    metadata = {"render_modes": []}

    def __init__(self, length: int = 6, limit: int = 10) -> None:
        self.length, self.limit = length, limit
        self.observation_space = gymnasium.spaces.Box(0.0, float(length - 1), shape=(1,), dtype=np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.position = self.steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.steps = 0
        return np.array([self.position], dtype=np.float32), {}

    def step(self, action):
        self.position = min(max(self.position + (1 if int(action) == 1 else -1), 0), self.length - 1)
        self.steps += 1
        terminated = self.position == self.length - 1
        truncated = not terminated and self.steps >= self.limit
        return np.array([self.position], dtype=np.float32), float(terminated), terminated, truncated, {}


def register() -> str:
    if CORRIDOR_ID not in gymnasium.envs.registry:
        gymnasium.register(id=CORRIDOR_ID, entry_point=Corridor)
    return CORRIDOR_ID
