"""Module and Parameter: the containers every network in the engine is built from.

A :class:`Module` finds its parameters and sub-modules by attribute assignment (PyTorch's
convention, which students already know), so a layer only declares its tensors. Its state is a
flat ``{dotted name: numpy array}`` dict: easy to write into a session checkpoint and identical
on every backend, because parameters are copied to the host to save and back to load.
"""

from __future__ import annotations

import abc
from typing import Iterator, Mapping

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor a module learns: it always requires grad, and modules collect it."""

    __slots__ = ()

    def __init__(self, data: Tensor) -> None:
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter wraps a Tensor (got {type(data).__name__})")
        for slot in Tensor.__slots__:  # share the data; a leaf of no graph, with no gradient yet
            if slot != "__weakref__":
                setattr(self, slot, getattr(data, slot))
        self.grad = None
        self._node = None
        self.requires_grad_(True)


class Module(abc.ABC):
    """A piece of a network: parameters, sub-modules, a ``forward`` and a training flag."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: object) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning {name!r}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    @abc.abstractmethod
    def forward(self, *args, **kwargs):
        """The layer's computation (every Module defines it)."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- traversal ----------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        yield from self._modules.items()

    def children(self) -> Iterator["Module"]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted path (``"layers.0.weight"``), in definition order."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # -- modes --------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set the training flag here and in every sub-module (layers such as dropout read it)."""
        object.__setattr__(self, "training", bool(mode))
        for m in self._modules.values():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A host copy of every parameter, keyed by dotted name."""
        return {name: p.numpy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy saved values into the existing parameters (optimisers keep their references).

        Keys and shapes must match exactly: a partial or mismatched load would silently leave a
        model half-initialised.
        """
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise KeyError(f"state_dict does not match {type(self).__name__}: missing {missing}, "
                           f"unexpected {unexpected}")
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(f"state_dict[{name!r}] has shape {value.shape}, the parameter has "
                                 f"{p.shape}")
        with no_grad():
            for name, p in params.items():
                p[...] = Tensor.from_numpy(np.asarray(state[name]), backend=p.backend, dtype=p.dtype)

    def __repr__(self) -> str:
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        inner = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}({inner}\n" + "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""
