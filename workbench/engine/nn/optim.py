"""Optimisers: SGD (momentum, weight decay) and Adam.

Updates run under ``no_grad`` (an update is not part of any graph) and write into the existing
parameter tensors, so modules and optimisers keep sharing them. The per-parameter state
(momentum, moments) lives on the parameters' backend; only ``state_dict`` copies it to the host.
Each parameter's new value and new state are written in one pass (``Tensor.assign_``): on
OpenCL with fusion, the whole update of a parameter is one generated kernel, and the state is
computed every step rather than left as an expression that grows from step to step.
"""

from __future__ import annotations

import abc
import math
from typing import Iterable, Mapping

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .module import Parameter


class Optimizer(abc.ABC):
    """Holds the parameters to update and their per-parameter state."""

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = []
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError("an optimiser updates tensors that require grad (e.g. model.parameters())")
            if all(p is not q for q in self.params):
                self.params.append(p)
        if not self.params:
            raise ValueError("the optimiser got no parameters")
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0 (got {lr})")
        self.lr = float(lr)
        self.steps = 0
        self.state: list[dict[str, Tensor]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        self.steps += 1
        with no_grad():
            for p, state in zip(self.params, self.state):
                if p.grad is not None:
                    p.assign_(self._update(p, p.grad, state), together=list(state.values()))

    @abc.abstractmethod
    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Tensor]) -> Tensor:
        """The new value of ``p`` given its gradient and its per-parameter state."""

    def state_dict(self) -> dict:
        return {"lr": self.lr, "steps": self.steps,
                "state": [{k: v.numpy() for k, v in s.items()} for s in self.state]}

    def load_state_dict(self, state: Mapping) -> None:
        saved = state["state"]
        if len(saved) != len(self.params):
            raise ValueError(f"optimiser state holds {len(saved)} parameters, this optimiser has "
                             f"{len(self.params)}")
        for i, (p, s) in enumerate(zip(self.params, saved)):
            unknown = set(s) - set(self.state_names)
            if unknown:
                raise KeyError(f"parameter {i}: unknown optimiser state {sorted(unknown)}")
            for name, value in s.items():
                if np.shape(value) != p.shape:
                    raise ValueError(f"parameter {i}: saved {name} has shape {np.shape(value)}, the "
                                     f"parameter {p.shape}")
        self.lr = float(state["lr"])
        self.steps = int(state["steps"])
        self.state = [{k: Tensor.from_numpy(np.asarray(v), backend=p.backend, dtype=p.dtype)
                       for k, v in s.items()} for p, s in zip(self.params, saved)]


class SGD(Optimizer):
    """``buf = momentum * buf + g`` (``g`` plus ``weight_decay * p``), then ``p -= lr * buf``.

    With momentum 0 this is plain gradient descent; the first step with momentum uses ``g``
    itself as the buffer (the PyTorch convention, so results can be compared with it).
    """

    state_names = ("momentum",)

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1) (got {momentum})")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0 (got {weight_decay})")
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Tensor]) -> Tensor:
        if self.weight_decay:
            grad = grad + p * self.weight_decay
        if self.momentum:
            buf = state.get("momentum")
            grad = grad if buf is None else buf * self.momentum + grad
            state["momentum"] = grad
        return p - grad * self.lr


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015) with bias correction; ``weight_decay`` adds ``wd * p`` to the
    gradient (classic L2, not AdamW's decoupled decay)."""

    state_names = ("m", "v")

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1) (got {betas})")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"eps must be > 0 and weight_decay >= 0 (got {eps}, {weight_decay})")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Tensor]) -> Tensor:
        b1, b2 = self.betas
        if self.weight_decay:
            grad = grad + p * self.weight_decay
        m, v = state.get("m"), state.get("v")
        m = grad * (1.0 - b1) if m is None else m * b1 + grad * (1.0 - b1)
        g2 = grad * grad
        v = g2 * (1.0 - b2) if v is None else v * b2 + g2 * (1.0 - b2)
        state["m"], state["v"] = m, v
        step_size = self.lr / (1.0 - b1 ** self.steps)
        inv_sqrt_bc2 = 1.0 / math.sqrt(1.0 - b2 ** self.steps)
        return p - m * step_size / (v.sqrt() * inv_sqrt_bc2 + self.eps)
