"""What every encoder shares: a size, ``encode(value) -> SDR``, and parameter checks.

Encoders run on the host (numpy): they turn one input per step into an SDR that the layers
then move wherever they compute. Each encoder takes a frozen dataclass of parameters, checked
when it is made, so a model's configuration can be stored and shown as plain data.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..rounding import round_half_away
from ..sdr import SDR


class Encoder(ABC):
    """Turns a value into an SDR of ``size`` bits (shape ``(size,)``)."""

    parameters: Any

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of output bits."""

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    @abstractmethod
    def encode(self, value: Any) -> SDR:
        """The SDR for ``value``; a ValueError says why a value cannot be encoded."""


class EncodingCache:
    """Encodings already made, by a key that determines them, so that a value seen again costs a
    dict lookup instead of the hashing or arithmetic (streams such as hourly readings repeat a
    few hundred buckets). An SDR is immutable, so handing out the same object again is safe.
    At most ``limit`` encodings are kept; a full cache starts over.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = int(limit)
        self._sdrs: dict[Any, SDR] = {}

    def get(self, key: Any) -> SDR | None:
        return self._sdrs.get(key)

    def put(self, key: Any, sdr: SDR) -> SDR:
        """Keep ``sdr`` as the encoding of ``key`` and return it."""
        if len(self._sdrs) >= self.limit:
            self._sdrs.clear()
        self._sdrs[key] = sdr
        return sdr


def require(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless ``condition``: the one shape of a parameter check."""
    if not condition:
        raise ValueError(message)


def exactly_one(owner: str, **given: Any) -> str:
    """The name of the single argument that is not None, or a ValueError naming the choices."""
    named = [name for name, value in given.items() if value is not None]
    require(
        len(named) == 1,
        f"{owner} needs exactly one of {', '.join(given)} (got {', '.join(named) or 'none'})",
    )
    return named[0]


def resolve_active_bits(owner: str, active_bits: int | None, sparsity: float | None, size: int | None) -> int:
    """``active_bits`` as given, or round(size * sparsity) (spec rounding); checked to be >= 1."""
    choice = exactly_one(owner, active_bits=active_bits, sparsity=sparsity)
    if choice == "sparsity":
        require(is_number(sparsity) and 0.0 < sparsity < 1.0, f"{owner}: sparsity must be in (0, 1) (got {sparsity!r})")
        require(size is not None, f"{owner}: sparsity needs size to be given")
        require_whole(owner, "size", size, minimum=1)
        active_bits = round_half_away(size * sparsity)
        require(active_bits >= 1, f"{owner}: size * sparsity = {size * sparsity} rounds to 0 active bits")
    require_whole(owner, "active_bits", active_bits, minimum=1)
    return int(active_bits)


def require_whole(owner: str, name: str, value: Any, minimum: int) -> None:
    require(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum,
        f"{owner}: {name} must be a whole number >= {minimum} (got {value!r})",
    )


def is_number(value: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def require_finite(owner: str, name: str, value: Any) -> None:
    require(is_number(value) and math.isfinite(value), f"{owner}: {name} must be a finite number (got {value!r})")


def require_positive_finite(owner: str, name: str, value: Any) -> None:
    require(
        is_number(value) and math.isfinite(value) and value > 0,
        f"{owner}: {name} must be a finite number > 0 (got {value!r})",
    )
