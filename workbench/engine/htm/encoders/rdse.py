"""The random distributed scalar encoder, RDSE (HTM_SPEC.md, "Encoders": RDSE).

A number becomes ``active_bits`` bits chosen by hashing consecutive bucket keys: numbers less
than ``radius`` apart share keys and so bits, at any magnitude, with no range to declare and no
state to keep (the hashing form of htm.core, reproduced bit for bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..sdr import SDR
from .base import (
    Encoder,
    EncodingCache,
    exactly_one,
    is_number,
    require,
    require_positive_finite,
    require_whole,
    resolve_active_bits,
)
from .murmur import murmur3_32_words

_WRAP = 2**32
_X86_INVALID = 2**63  # |quotient| from here on: x86-64's float-to-int conversion gives 2**63


@dataclass(frozen=True)
class RDSEParameters:
    """``size`` bits; ``active_bits`` or ``sparsity``; ``radius`` or ``resolution``; hash ``seed``."""

    size: int
    active_bits: int | None = None
    sparsity: float | None = None
    radius: float | None = None
    resolution: float | None = None
    seed: int = 0


class RDSE(Encoder):
    """RDSE per HTM_SPEC.md.

    resolution = radius / active_bits in float32 unless given (then rounded to float32).
    key = trunc(x / resolution), the quotient in float64, wrapped to uint32 as two's complement
    (an x86-64 build converts a quotient of magnitude >= 2**63 to 2**63, whose low 32 bits are
    0: so do we). Bit k = MurmurHash3_x86_32(key + k mod 2**32, seed) % size for k < active_bits;
    colliding hashes leave fewer bits on. NaN encodes to all zeros (missing data, as the scalar
    encoder does).
    """

    def __init__(self, parameters: RDSEParameters) -> None:
        p = self.parameters = parameters
        owner = "RDSE"
        require_whole(owner, "size", p.size, minimum=2)
        active_bits = resolve_active_bits(owner, p.active_bits, p.sparsity, p.size)
        require(active_bits < p.size, f"{owner}: size must be > active_bits (got {p.size} <= {active_bits})")
        require_whole(owner, "seed", p.seed, minimum=0)
        require(p.seed < _WRAP, f"{owner}: seed must be < 2**32 (got {p.seed})")
        if exactly_one(owner, radius=p.radius, resolution=p.resolution) == "radius":
            require_positive_finite(owner, "radius", p.radius)
            resolution = np.float32(p.radius) / np.float32(active_bits)
        else:
            require_positive_finite(owner, "resolution", p.resolution)
            resolution = np.float32(p.resolution)
        require(resolution > 0, f"{owner}: resolution {resolution} is 0 in float32; use a larger radius")
        self.active_bits = active_bits
        self.resolution = float(resolution)
        self.radius = float(np.float32(resolution * np.float32(active_bits)))
        self._size = int(p.size)
        self._offsets = np.arange(active_bits, dtype=np.uint64)
        self._cache = EncodingCache()  # by bucket key: the key alone decides the bits

    @property
    def size(self) -> int:
        return self._size

    def encode(self, value: float) -> SDR:
        if not is_number(value):
            raise TypeError(f"RDSE encodes numbers (got {type(value).__name__})")
        x = float(value)
        if math.isnan(x):
            return SDR(self.shape)
        if math.isinf(x):
            raise ValueError(f"RDSE: cannot encode {x}")
        quotient = x / self.resolution
        key = 0 if abs(quotient) >= _X86_INVALID else math.trunc(quotient) % _WRAP
        known = self._cache.get(key)
        if known is not None:
            return known
        keys = ((self._offsets + np.uint64(key)) % np.uint64(_WRAP)).astype(np.uint32)
        bits = murmur3_32_words(keys, self.parameters.seed) % np.uint32(self._size)
        return self._cache.put(key, SDR.from_sparse(self.shape, np.unique(bits), validate=False))
