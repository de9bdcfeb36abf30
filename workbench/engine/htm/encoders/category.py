"""The category encoder (HTM_SPEC.md, "Encoders": Category).

Each category owns its own block of ``active_bits`` bits, in the order the categories are
listed, so two different categories never share a bit and equal ones always match fully.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import numpy as np

from ..sdr import SDR
from .base import Encoder, require, require_whole


@dataclass(frozen=True)
class CategoryEncoderParameters:
    """The known ``categories`` (any hashable values, each once) and bits per category."""

    categories: tuple[Hashable, ...]
    active_bits: int


class CategoryEncoder(Encoder):
    """Category i sets bits [i * active_bits, (i + 1) * active_bits); an unknown one is an error."""

    def __init__(self, parameters: CategoryEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "CategoryEncoder"
        categories = tuple(p.categories)
        require(len(categories) >= 1, f"{owner}: give at least one category")
        require_whole(owner, "active_bits", p.active_bits, minimum=1)
        self._index = {category: i for i, category in enumerate(categories)}
        require(
            len(self._index) == len(categories),
            f"{owner}: categories must be distinct (got {list(categories)!r})",
        )
        self.active_bits = int(p.active_bits)
        self._size = len(categories) * self.active_bits
        self._block = np.arange(self.active_bits, dtype=np.uint32)

    @property
    def size(self) -> int:
        return self._size

    def encode(self, value: Hashable) -> SDR:
        index = self._index.get(value)
        if index is None:
            known = list(self._index)
            shown = ", ".join(repr(c) for c in known[:10]) + (", ..." if len(known) > 10 else "")
            raise ValueError(f"CategoryEncoder: unknown category {value!r} (known: {shown})")
        bits = self._block + np.uint32(index * self.active_bits)
        return SDR.from_sparse(self.shape, bits, validate=False)
