"""Reverse-mode automatic differentiation over :class:`~workbench.engine.tensor.Tensor` ops.

Each differentiable op records a :class:`Node`: the tensors it read and a function from the
output's gradient to theirs, written with Tensor ops themselves (so gradients run on whatever
backend the forward ran on). :func:`backward` walks the graph once in reverse topological order
and accumulates into leaves' ``.grad``. Recording is skipped inside :func:`no_grad` and when no
input requires a gradient, which keeps inference free of bookkeeping.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops record the graph on this thread."""
    return getattr(_state, "enabled", True)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Run ops without recording a graph (inference, optimiser updates)."""
    previous = is_grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous


class Node:
    """How one op's output gradient flows back to its inputs."""

    __slots__ = ("parents", "backward_fn")

    def __init__(self, parents: Sequence["Tensor"], backward_fn: Callable[["Tensor"], Sequence]):
        self.parents = tuple(parents)
        self.backward_fn = backward_fn


def _topological_order(root: "Tensor") -> list["Tensor"]:
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._node is not None:
            for p in t._node.parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
    return order


def backward(root: "Tensor", grad: "Tensor | None" = None) -> None:
    """Accumulate d(root)/d(leaf) into every leaf that requires a gradient."""
    from .tensor import Tensor  # noqa: PLC0415 - cycle: tensor imports this module

    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: "
                           "set requires_grad=True on an input first")
    if grad is None:
        if root.size != 1:
            raise RuntimeError(f"backward() without a gradient needs a scalar output (got shape "
                               f"{root.shape}); pass grad= of the same shape")
        grad = Tensor.full(root.shape, 1.0, dtype=root.dtype, backend=root.backend)
    elif tuple(grad.shape) != tuple(root.shape):
        raise ValueError(f"gradient shape {grad.shape} does not match output shape {root.shape}")
    grads: dict[int, Tensor] = {id(root): grad}
    with no_grad():
        for t in reversed(_topological_order(root)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._node is None:
                t.grad = g if t.grad is None else t.grad + g
                continue
            for parent, pg in zip(t._node.parents, t._node.backward_fn(g)):
                if pg is None or not parent.requires_grad:
                    continue
                key = id(parent)
                grads[key] = pg if key not in grads else grads[key] + pg
