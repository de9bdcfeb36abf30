"""A small grid world, gymnasium-compatible, registered as ``workbench/GridWorld-v0``.

Why another grid when gymnasium has FrozenLake: FrozenLake's holes end an episode, so an agent
must learn which cells to avoid from a reward it rarely sees; walls here only block, so the task
is purely "reach the goal, quickly". That isolates what a goal-directed agent such as UBL can
do, and a random walk still reaches the goal often enough to be a fair baseline.

It follows FrozenLake's conventions so that views and encoders treat both alike: state
``row * columns + column``, actions 0 left, 1 down, 2 right, 3 up, and ``desc``, ``nrow`` and
``ncol`` attributes. Reaching the goal ends the episode with reward ``1 - 0.9 * steps / limit``
(MiniGrid's rule: faster is better, any success beats none); other steps give 0, and the episode
is truncated after ``limit`` steps (default: 4 x (rows + columns)).
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from .gridmaps import MAPS, check_map

MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # left, down, right, up (FrozenLake's order)


class GridWorldEnv(gymnasium.Env):
    """Reach ``G`` from ``S`` on a map of :data:`.gridmaps.MAPS`, walls blocking moves."""

    metadata = {"render_modes": []}

    def __init__(self, map_name: str = "walls-5x5", limit: int | None = None) -> None:
        if map_name not in MAPS:
            raise ValueError(f"unknown grid map {map_name!r}; choose one of {', '.join(MAPS)}")
        self.map_name = map_name
        self.desc = check_map(MAPS[map_name])
        self.nrow, self.ncol = self.desc.shape
        self.limit = int(limit) if limit is not None else 4 * (self.nrow + self.ncol)
        if self.limit < 1:
            raise ValueError(f"limit must be >= 1 step (got {self.limit})")
        flat = self.desc.reshape(-1)
        self.start = int(np.flatnonzero(flat == b"S")[0])
        self.goal = int(np.flatnonzero(flat == b"G")[0])
        self.observation_space = gymnasium.spaces.Discrete(self.nrow * self.ncol)
        self.action_space = gymnasium.spaces.Discrete(4)
        self.s = self.start
        self.steps = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.s, self.steps = self.start, 0
        return self.s, {}

    def step(self, action: Any):
        row, col = divmod(self.s, self.ncol)
        dr, dc = MOVES[int(action)]
        r, c = row + dr, col + dc
        if 0 <= r < self.nrow and 0 <= c < self.ncol and self.desc[r, c] != b"#":
            self.s = r * self.ncol + c
        self.steps += 1
        terminated = self.s == self.goal
        reward = 1.0 - 0.9 * self.steps / self.limit if terminated else 0.0
        truncated = not terminated and self.steps >= self.limit
        return self.s, reward, terminated, truncated, {}
