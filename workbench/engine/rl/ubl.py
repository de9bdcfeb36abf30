"""The UBL agent: "Unsupervised Behavioral Learning", after the Etaler author's proof of concept.

Idea: an agent that knows which action explains a transition from one state to another can act
by asking which action explains a transition from where it is *to where it wants to be*.

- Learning. Every real transition (s, a, s') is encoded as the SDR pair [enc(s), enc(s')] (two
  rows of one SDR) and fed to a Spatial Pooler (HTM_SPEC.md, "Spatial Pooler"). An SDRClassifier
  (HTM_SPEC.md, "Classifiers") learns online, from every step, which action ``a`` goes with the
  active columns. The pooler itself learns only when ``learn_pooler`` is on: measured on
  CartPole, a learning pooler specialises its columns on the most frequent transitions, which
  differ in everything but the small effect of the action, and the action can then be read from
  its columns for 61 % of held-out transitions instead of 93 % (docs/rl.md).
- Acting. The next state is replaced by the goal: [enc(s), enc(goal)] goes through the pooler
  (without learning: the goal pair is not a transition that happened) and the classifier's most
  probable action is taken. Epsilon-greedy exploration keeps the transitions varied.

Why this can work at all: the encoders preserve similarity. Two values ``d`` apart share bits
in proportion to how close they are, so when the goal is out of one step's reach, the pair
[s, goal] still overlaps most with the pair [s, s'] whose s' lies towards the goal, and the
pooler's columns (an overlap-preserving map) and the classifier's vote follow that overlap. With
a category encoding (states that share no bits) there is no "towards", and the agent can only
repeat transitions straight into the goal: grid worlds are encoded by row and column.
The design, its limits and measured results are in docs/rl.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..htm.classifiers import SDRClassifier
from ..htm.sdr import SDR
from ..htm.spatial_pooler import SpatialPooler
from ..state import state_array
from .agents import Agent, EpsilonSchedule, Transition
from .encoding import ObservationEncoder
from .rendering import grid_desc
from .spaces import family, parse_numbers

# Goal observations of environments whose reward says where to be: CartPole's reward is for
# staying up, most surely from upright and centred (angle, velocities and position 0);
# MountainCar's flag is at 0.5; Acrobot's tip is highest with both links pointing up.
KNOWN_GOALS: dict[str, tuple[float, ...]] = {
    "CartPole": (0.0, 0.0, 0.0, 0.0),
    "MountainCar": (0.5, 0.0),
    "Acrobot": (-1.0, 0.0, 1.0, 0.0, 0.0, 0.0),
}


def parse_goal(text: str, space: Any) -> Any:
    """A goal observation from text: numbers for a Box, one state number for a Discrete."""
    if hasattr(space, "n"):
        values = parse_numbers(text, "goal", 1)
        state = int(values[0])
        if not (values[0] == state and space.contains(state)):
            raise ValueError(f"goal: {text!r} is not a state of {space}")
        return state
    return np.asarray(parse_numbers(text, "goal", int(space.shape[0])), dtype=np.float64)


def default_goal(env_id: str, unwrapped: Any, space: Any) -> Any:
    """The goal of a known environment: the ``G`` cell of a grid map, or :data:`KNOWN_GOALS`."""
    desc = grid_desc(unwrapped)
    if desc is not None and hasattr(space, "n") and desc.size == space.n:  # one state per cell
        return int(np.flatnonzero(desc.reshape(-1) == b"G")[0])
    known = KNOWN_GOALS.get(family(env_id))
    if known is None or getattr(space, "shape", None) != (len(known),):
        raise ValueError(f"the UBL agent needs a goal state for {env_id}: give one as the goal "
                         f"parameter (an observation, comma-separated)")
    return np.asarray(known, dtype=np.float64)


@dataclass(frozen=True)
class UBLConfig:
    """The pooler (``columns``, ``sparsity`` of active columns, ``potential_pct`` of the input
    each column may connect to, permanence increments, boosting), whether it keeps learning
    (``learn_pooler``), the classifier's learning rate ``decoder_alpha``, and exploration."""

    columns: int = 1024
    sparsity: float = 0.04
    potential_pct: float = 0.5
    syn_perm_active_inc: float = 0.04
    syn_perm_inactive_dec: float = 0.008
    syn_perm_connected: float = 0.1
    boost_strength: float = 0.0
    learn_pooler: bool = False
    decoder_alpha: float = 0.05
    exploration: EpsilonSchedule = EpsilonSchedule(1.0, 0.05, 2_000)


class UBLAgent(Agent):
    """Acts by decoding [current state, goal] through a pooler trained on [state, next state]."""

    name = "ubl"

    def __init__(self, encoder: ObservationEncoder, action_count: int, goal: Any,
                 config: UBLConfig = UBLConfig(), seed: int = 0, backend: object = "numpy") -> None:
        super().__init__(action_count, seed, config.exploration)
        self.config = c = config
        self.encoder = encoder
        self.goal = goal
        self.goal_sdr = encoder.encode(goal)
        width = encoder.size
        self.pooler = SpatialPooler(
            (2, width), (1, c.columns), potential_radius=width, potential_pct=c.potential_pct,
            global_inhibition=True, local_area_density=c.sparsity,
            syn_perm_active_inc=c.syn_perm_active_inc, syn_perm_inactive_dec=c.syn_perm_inactive_dec,
            syn_perm_connected=c.syn_perm_connected, boost_strength=c.boost_strength,
            wrap_around=False, seed=seed, backend=backend)
        self.decoder = SDRClassifier(alpha=c.decoder_alpha)
        self.input_shape = (2, width)
        self.column_shape = (c.columns,)
        # what the views show: the last transition and the last goal query
        self.transition_input = SDR(self.input_shape)
        self.transition_columns = np.empty(0, dtype=np.uint32)
        self.goal_columns = np.empty(0, dtype=np.uint32)
        self.probabilities = np.full(self.action_count, 1.0 / self.action_count)

    def pair(self, first: SDR, second: SDR) -> SDR:
        """Two states as the rows of one (2, size) SDR."""
        return SDR.from_sparse(self.input_shape, np.concatenate(
            [first.sparse, second.sparse + np.uint32(self.encoder.size)]), validate=False)

    def action_probabilities(self, observation: Any) -> np.ndarray:
        """P(action | [observation, goal]) by the classifier (uniform before any learning);
        also sets :attr:`goal_columns`."""
        self.goal_columns = self.pooler.compute(self.pair(self.encoder.encode(observation), self.goal_sdr),
                                                learn=False)
        probabilities = np.zeros(self.action_count)
        known = self.decoder.infer(self.goal_columns)
        probabilities[:known.size] = known
        if not known.size:
            probabilities[:] = 1.0 / self.action_count
        return probabilities

    def act(self, observation: Any, explore: bool = True) -> int:
        random = self.explores(explore)
        self.probabilities = self.action_probabilities(observation)
        return self.random_action() if random else self.break_ties(self.probabilities)

    def learn(self, transition: Transition) -> None:
        self.transition_input = self.pair(self.encoder.encode(transition.observation),
                                          self.encoder.encode(transition.next_observation))
        self.transition_columns = self.pooler.compute(self.transition_input, learn=self.config.learn_pooler)
        self.decoder.learn(self.transition_columns, int(transition.action))
        self.steps += 1

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pooler": self.pooler.state_dict(),
                "decoder": self.decoder.state_dict(),
                "transition_input": state_array(self.transition_input.sparse),
                "transition_columns": state_array(np.asarray(self.transition_columns)),
                "goal_columns": state_array(np.asarray(self.goal_columns)),
                "probabilities": state_array(self.probabilities)}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.pooler.load_state_dict(state["pooler"])
        self.decoder.load_state_dict(state["decoder"])
        self.transition_input = SDR.from_sparse(self.input_shape,
                                                np.asarray(state["transition_input"], dtype=np.uint32))
        self.transition_columns = np.asarray(state["transition_columns"], dtype=np.uint32)
        self.goal_columns = np.asarray(state["goal_columns"], dtype=np.uint32)
        self.probabilities = np.asarray(state["probabilities"], dtype=np.float64)
