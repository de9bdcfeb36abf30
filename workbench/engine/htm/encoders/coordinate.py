"""The coordinate encoder (HTM_SPEC.md, "Encoders": Coordinate).

An integer position in N dimensions is encoded by its neighbourhood: every integer point within
``radius`` (per axis, a hypercube) gets a hash-derived order value and a hash-derived bit, and
the ``active_bits`` points of highest order set their bits. Positions close together share most
of their neighbourhood and so most winners; overlap falls smoothly to none beyond 2 * radius.
Written from that description (NuPIC's CoordinateEncoder idea), not bit-compatible with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..sdr import SDR
from .base import Encoder, is_number, require, require_whole, resolve_active_bits
from .murmur import murmur3_32_words

_LIMIT = 2**62  # coordinates plus offsets must stay inside int64
_MAX_NEIGHBOURS = 1_000_000
_BIT_SEED_SALT = 0x9E3779B9  # the bit hash uses another seed than the order hash


@dataclass(frozen=True)
class CoordinateEncoderParameters:
    """``size`` bits, ``active_bits`` (or ``sparsity``), neighbourhood ``radius`` (whole, >= 0),
    number of ``dimensions``, hash ``seed``."""

    size: int
    dimensions: int
    radius: int
    active_bits: int | None = None
    sparsity: float | None = None
    seed: int = 0


class CoordinateEncoder(Encoder):
    """Coordinate encoder: winners are the neighbours of highest MurmurHash3 order.

    A point is hashed as its coordinates, each an int64 in two little-endian uint32 words; order
    = hash with ``seed``, bit = hash with ``seed ^ 0x9E3779B9`` mod size. Ties in order go to
    the neighbour first in offset order (last axis fastest). Colliding bits leave fewer bits on.
    """

    def __init__(self, parameters: CoordinateEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "CoordinateEncoder"
        require_whole(owner, "size", p.size, minimum=2)
        require_whole(owner, "dimensions", p.dimensions, minimum=1)
        require_whole(owner, "radius", p.radius, minimum=0)
        require_whole(owner, "seed", p.seed, minimum=0)
        require(p.seed < 2**32, f"{owner}: seed must be < 2**32 (got {p.seed})")
        active_bits = resolve_active_bits(owner, p.active_bits, p.sparsity, p.size)
        require(active_bits < p.size, f"{owner}: size must be > active_bits (got {p.size} <= {active_bits})")
        span = 2 * p.radius + 1
        require(
            span**p.dimensions <= _MAX_NEIGHBOURS,
            f"{owner}: radius {p.radius} in {p.dimensions} dimensions gives {span ** p.dimensions} "
            f"neighbours (at most {_MAX_NEIGHBOURS}); use a smaller radius",
        )
        require(
            span**p.dimensions >= active_bits,
            f"{owner}: radius {p.radius} gives only {span ** p.dimensions} neighbours, fewer than "
            f"active_bits = {active_bits}; use a larger radius",
        )
        grid = np.indices((span,) * p.dimensions).reshape(p.dimensions, -1).T
        self._offsets = (grid - p.radius).astype(np.int64)  # (neighbours, dimensions)
        self.active_bits = active_bits
        self._size = int(p.size)

    @property
    def size(self) -> int:
        return self._size

    def _position(self, value: Sequence[int]) -> np.ndarray:
        dims = self.parameters.dimensions
        items = [value] if dims == 1 and is_number(value) else list(value) if isinstance(value, (Sequence, np.ndarray)) else None
        require(
            items is not None and len(items) == dims and all(is_number(v) for v in items),
            f"CoordinateEncoder: position must be {dims} whole number(s) (got {value!r})",
        )
        for v in items:
            require(
                math.isfinite(v) and float(v).is_integer() and abs(int(v)) < _LIMIT,
                f"CoordinateEncoder: coordinate {v!r} must be a whole number of magnitude < 2**62",
            )
        return np.array([int(v) for v in items], dtype=np.int64)

    def encode(self, value: Sequence[int]) -> SDR:
        neighbours = self._position(value) + self._offsets
        words = np.ascontiguousarray(neighbours.astype("<i8")).view("<u4")
        seed = self.parameters.seed
        order = murmur3_32_words(words, seed).astype(np.int64)
        winners = np.argsort(-order, kind="stable")[: self.active_bits]
        bits = murmur3_32_words(words[winners], seed ^ _BIT_SEED_SALT) % np.uint32(self._size)
        return SDR.from_sparse(self.shape, np.unique(bits), validate=False)
