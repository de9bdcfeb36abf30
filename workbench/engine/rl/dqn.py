"""A DQN agent on the engine's autograd (Mnih et al. 2015, with van Hasselt et al.'s Double DQN).

An MLP maps an observation to one value per action, Q(s, a): the discounted reward expected
after taking ``a`` in ``s`` and acting greedily from then on. Each update draws a batch of past
transitions from a replay buffer and moves Q(s, a) towards the target
``r + gamma * Q_target(s', argmax_a' Q(s', a'))`` (nothing after ``r`` when ``s'`` is terminal;
a time-limit truncation is not terminal, the future is only cut off). The target network is a
slowly updated copy of the online one, so the target does not move with every update.

With ``n_step`` > 1 a stored transition spans n steps: its reward is the discounted sum of the
n rewards and the next observation is n steps on, so one bootstrap looks n steps ahead. A value
then travels back n steps per target-network update instead of one (the target net holds it
back otherwise), which speeds learning when reward arrives late (CartPole's failure to come).

Double DQN picks the next action with the online network but values it with the target one,
which removes most of plain DQN's overestimation. The Huber loss (quadratic near 0, linear
beyond 1) keeps a single surprising transition from producing a huge gradient, and gradient
clipping by global norm bounds what is left. Why DQN rather than an actor-critic: docs/rl.md.

Each update is one batched forward/backward pass of a few Tensor ops, so the cost per update
is mostly Python overhead per op, not arithmetic; everything stays on the chosen backend, and
only the gradient norm (for clipping), greedy actions' Q-values and the loss (when asked for)
come back to the host.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..autograd import no_grad
from ..nn import MLP, Adam, Module
from ..state import state_array
from ..tensor import Tensor
from .agents import Agent, EpsilonSchedule, Transition, make_rng
from .replay import ReplayBuffer
from .spaces import ObservationScaler


@dataclass(frozen=True)
class DQNConfig:
    """Hyper-parameters (defaults: tuned on CartPole-v1, see docs/rl.md).

    One update every ``train_every`` env steps, from ``learning_starts`` transitions on; every
    ``target_every`` env steps the target network moves ``tau`` of the way to the online one
    (1.0: a copy); ``grad_clip`` bounds the global gradient norm (0: off).
    """

    hidden: tuple[int, ...] = (128, 128)
    learning_rate: float = 1e-3
    gamma: float = 0.99
    n_step: int = 3
    batch_size: int = 64
    buffer_size: int = 100_000
    learning_starts: int = 1_000
    train_every: int = 1
    target_every: int = 500
    tau: float = 1.0
    double: bool = True
    grad_clip: float = 10.0
    exploration: EpsilonSchedule = EpsilonSchedule(1.0, 0.01, 10_000)

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1] (got {self.gamma})")
        if not 0.0 < self.tau <= 1.0:
            raise ValueError(f"tau must be in (0, 1] (got {self.tau})")
        for name in ("n_step", "batch_size", "buffer_size", "train_every", "target_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 (got {getattr(self, name)})")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0 (got {self.learning_rate})")
        if self.learning_starts < 0 or self.grad_clip < 0:
            raise ValueError(f"learning_starts and grad_clip must be >= 0 (got {self.learning_starts}, "
                             f"{self.grad_clip})")


def huber_loss(error: Tensor, delta: float = 1.0) -> Tensor:
    """Mean Huber loss of ``error``: 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond.

    Composed as ``0.5 q^2 + delta (|e| - q)`` with ``q = min(|e|, delta)``: the same function,
    from ops whose gradients autograd already has.
    """
    size = error.abs()
    quadratic = size.minimum(delta)
    return (quadratic * quadratic * 0.5 + (size - quadratic) * delta).mean()


def update_target(target: Module, online: Module, tau: float = 1.0) -> None:
    """Move every target parameter ``tau`` of the way to the online one (Polyak averaging:
    ``t = (1 - tau) t + tau o``); ``tau`` = 1 copies."""
    with no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t[...] = o if tau == 1.0 else t * (1.0 - tau) + o * tau


def clip_grad_norm(parameters: Sequence[Tensor], max_norm: float) -> float:
    """Scale all gradients down together when their global L2 norm exceeds ``max_norm``;
    returns the norm before clipping."""
    grads = [p for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    with no_grad():
        total = None
        for p in grads:
            squares = (p.grad * p.grad).sum()
            total = squares if total is None else total + squares
        norm = float(total.item()) ** 0.5
        if norm > max_norm:
            scale = max_norm / (norm + 1e-6)
            for p in grads:
                p.grad = p.grad * scale
    return norm


class DQNAgent(Agent):
    """Double DQN with a replay buffer, a target network, Huber loss and gradient clipping."""

    name = "dqn"

    def __init__(self, observation_space: Any, action_count: int, config: DQNConfig = DQNConfig(),
                 seed: int = 0, backend: object = "numpy", env_id: str = "",
                 bounds: Sequence[tuple[float, float]] | None = None) -> None:
        super().__init__(action_count, seed, config.exploration)
        self.config = c = config
        self.scaler = ObservationScaler(observation_space, env_id, bounds)
        sizes = [self.scaler.size, *c.hidden, self.action_count]
        self.online = MLP(sizes, "relu", seed=seed, backend=backend)
        self.target = MLP(sizes, "relu", seed=seed, backend=backend)
        update_target(self.target, self.online)
        self.backend = self.online[0].weight.backend
        self.optimizer = Adam(self.online.parameters(), lr=c.learning_rate)
        self.buffer = ReplayBuffer(c.buffer_size, self.scaler.size)
        self.sample_rng = make_rng(seed, 1)
        self.pending: deque[tuple[np.ndarray, int, float]] = deque()  # steps of an n-step transition
        self.updates = 0
        self.q_values = np.zeros(self.action_count, dtype=np.float32)
        self._loss: Tensor | None = None

    # -- acting ----------------------------------------------------------------------------------
    def predict(self, observations: np.ndarray) -> np.ndarray:
        """Q-values (n, actions) of scaled observations (n, d), without a graph."""
        with no_grad():
            return self.online(Tensor(observations, backend=self.backend)).numpy()

    def act(self, observation: Any, explore: bool = True) -> int:
        if self.explores(explore):
            return self.random_action()
        self.q_values = self.predict(self.scaler(observation)[None, :])[0]
        return self.break_ties(self.q_values)

    # -- learning --------------------------------------------------------------------------------
    def learn(self, transition: Transition) -> None:
        c = self.config
        self.pending.append((self.scaler(transition.observation), int(transition.action),
                             float(transition.reward)))
        next_observation = self.scaler(transition.next_observation)
        if len(self.pending) == c.n_step:
            self._store_oldest(next_observation, transition.terminated)
        if transition.terminated or transition.truncated:  # the episode's last, shorter returns
            while self.pending:
                self._store_oldest(next_observation, transition.terminated)
        self.steps += 1
        if self.steps >= c.learning_starts and self.steps % c.train_every == 0:
            self.update()
        if self.steps % c.target_every == 0:
            update_target(self.target, self.online, c.tau)

    def _store_oldest(self, next_observation: np.ndarray, terminated: bool) -> None:
        """Store the transition from the oldest pending step to ``next_observation``."""
        gamma = self.config.gamma
        reward = sum(r * gamma ** k for k, (_, _, r) in enumerate(self.pending))
        observation, action, _ = self.pending[0]
        self.buffer.add(observation, action, reward, next_observation, terminated, len(self.pending))
        self.pending.popleft()

    def update(self) -> None:
        """One gradient step on a batch drawn from the replay buffer."""
        c = self.config
        batch = self.buffer.sample(c.batch_size, self.sample_rng)
        n, be = len(batch), self.backend
        next_obs = Tensor(batch.next_observations, backend=be)
        with no_grad():
            next_target = self.target(next_obs)
            if c.double:
                best = self.online(next_obs).argmax(axis=1, keepdims=True)
                next_value = next_target.take_along_axis(best, axis=1).reshape(n)
            else:
                next_value = next_target.max(axis=1)
            discount = (1.0 - batch.terminated) * c.gamma ** batch.horizons.astype(np.float32)
            keep = Tensor(discount, backend=be)
            y = Tensor(batch.rewards, backend=be) + keep * next_value
        q = self.online(Tensor(batch.observations, backend=be))
        chosen = q.take_along_axis(Tensor(batch.actions.reshape(n, 1), backend=be), axis=1).reshape(n)
        loss = huber_loss(chosen - y)
        self.optimizer.zero_grad()
        loss.backward()
        if c.grad_clip:
            clip_grad_norm(self.online.parameters(), c.grad_clip)
        self.optimizer.step()
        self.updates += 1
        self._loss = loss.detach()

    @property
    def last_loss(self) -> float:
        """The loss of the latest update (NaN before the first); reading it waits for the device."""
        return float("nan") if self._loss is None else float(self._loss.item())

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {**super().state_dict(), "online": self.online.state_dict(),
                "target": self.target.state_dict(), "optimizer": self.optimizer.state_dict(),
                "buffer": self.buffer.state_dict(), "sample_rng": self.sample_rng.bit_generator.state,
                "pending": [{"observation": o, "action": a, "reward": r} for o, a, r in self.pending],
                "updates": self.updates, "q_values": state_array(self.q_values), "loss": self.last_loss}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.online.load_state_dict(state["online"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.buffer.load_state_dict(state["buffer"])
        self.sample_rng.bit_generator.state = state["sample_rng"]
        self.pending = deque((np.asarray(p["observation"], dtype=np.float32), int(p["action"]),
                              float(p["reward"])) for p in state["pending"])
        self.updates = int(state["updates"])
        self.q_values = np.asarray(state["q_values"], dtype=np.float32)
        loss = float(state["loss"])
        self._loss = None if np.isnan(loss) else Tensor(np.float32(loss), backend=self.backend)
