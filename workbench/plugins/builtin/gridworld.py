"""``gridworld``: an agent learns to reach a goal cell, on the workbench's grid maps (walls
only block) or gymnasium's FrozenLake (holes end the episode, and the ice may be slippery).

The grid is drawn cell by cell each step. The grid position is encoded for UBL as its row and
column (so that neighbouring cells share bits), and for DQN as a one-hot state. On an open grid
UBL heads straight for the goal; behind a wall it can get stuck, since it knows only which way
the goal lies, not how to get round (docs/rl.md has the measurements).
"""

from __future__ import annotations

from workbench.engine.rl.agents import EpsilonSchedule
from workbench.engine.rl.dqn import DQNConfig
from workbench.engine.rl.encoding import EncoderSettings
from workbench.engine.rl.environments import GRIDWORLD_ID, Environment
from workbench.engine.rl.gridmaps import MAPS
from workbench.engine.rl.ubl import UBLConfig
from workbench.plugins.params import Param

from .cartpole import RLExperiment, agent_params

FROZEN_LAKE = {"frozenlake-4x4": "4x4", "frozenlake-8x8": "8x8"}

GRID_DQN = DQNConfig(hidden=(64,), learning_rate=1e-3, gamma=0.95, batch_size=32, buffer_size=10_000,
                     learning_starts=200, target_every=100, exploration=EpsilonSchedule(1.0, 0.05, 2_000))
GRID_UBL = UBLConfig(columns=512)
GRID_ENCODER = EncoderSettings(size=40, active_bits=20)


class GridWorld(RLExperiment):
    name = "gridworld"
    title = "Grid world (reinforcement learning)"
    description = ("Reach the goal cell of a small grid (walls block; reward 1 - 0.9 x steps / "
                   "limit) or of gymnasium's FrozenLake (holes end the episode), with a DQN or the "
                   "HTM UBL agent. Compare UBL on the open grid and behind walls.")
    version = "1"
    default_steps = 5_000
    params = (
        Param("map", "choice", "open-5x5", "the workbench grids (walls block moves) or FrozenLake "
              "(holes end the episode)", choices=(*MAPS, *FROZEN_LAKE)),
        Param("slippery", "bool", False, "FrozenLake only: the ice moves you sideways 2 times in 3"),
        *agent_params(GRID_DQN, GRID_UBL, GRID_ENCODER),
    )

    def make_environment(self, ctx):
        name = self.p["map"]
        if name in FROZEN_LAKE:
            return Environment("FrozenLake-v1", ctx.seed, map_name=FROZEN_LAKE[name],
                               is_slippery=self.p["slippery"])
        return Environment(GRIDWORLD_ID, ctx.seed, map_name=name)
