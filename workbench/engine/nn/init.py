"""Weight initialisation, always from an explicit seed.

Uniform Kaiming (He) keeps the variance of ReLU activations constant from layer to layer;
uniform Xavier (Glorot) does the same for tanh and sigmoid. Values are drawn on the host by the
engine's :class:`~workbench.engine.random.Generator`, so a seed gives the same network on every
backend.
"""

from __future__ import annotations

import math

from ..dtypes import DEFAULT_FLOAT
from ..random import Generator
from ..tensor import Tensor

SCHEMES = ("kaiming", "xavier")


def as_generator(seed: int | Generator) -> Generator:
    """A generator from a seed, or the generator itself (so layers of one model share a stream)."""
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int or a Generator (got {type(seed).__name__})")
    return Generator(seed)


def kaiming_uniform(shape: tuple[int, ...], fan_in: int, seed: int | Generator,
                    dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> Tensor:
    """U(-b, b) with b = sqrt(6 / fan_in): He et al. 2015 with the ReLU gain sqrt(2)."""
    bound = math.sqrt(6.0 / _positive(fan_in, "fan_in"))
    return as_generator(seed).uniform(shape, -bound, bound, dtype=dtype, backend=backend)


def xavier_uniform(shape: tuple[int, ...], fan_in: int, fan_out: int, seed: int | Generator,
                   dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> Tensor:
    """U(-b, b) with b = sqrt(6 / (fan_in + fan_out)): Glorot and Bengio 2010."""
    bound = math.sqrt(6.0 / (_positive(fan_in, "fan_in") + _positive(fan_out, "fan_out")))
    return as_generator(seed).uniform(shape, -bound, bound, dtype=dtype, backend=backend)


def weight(scheme: str, fan_in: int, fan_out: int, seed: int | Generator,
           dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> Tensor:
    """A (fan_in, fan_out) weight matrix initialised by ``scheme`` ("kaiming" or "xavier")."""
    if scheme == "kaiming":
        return kaiming_uniform((fan_in, fan_out), fan_in, seed, dtype, backend)
    if scheme == "xavier":
        return xavier_uniform((fan_in, fan_out), fan_in, fan_out, seed, dtype, backend)
    raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(SCHEMES)}")


def _positive(n: int, name: str) -> int:
    if n < 1:
        raise ValueError(f"{name} must be >= 1 (got {n})")
    return n
