"""The scalar encoder (HTM_SPEC.md, "Encoders": Scalar).

A number becomes a contiguous block of ``active_bits`` ones whose start moves one bit per
``resolution`` of input, so nearby numbers share bits and numbers more than ``radius`` apart
share none. A periodic encoder is a circle: the block wraps around the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..rounding import round_half_away
from ..sdr import SDR
from .base import (
    Encoder,
    exactly_one,
    is_number,
    require,
    require_finite,
    require_positive_finite,
    require_whole,
    resolve_active_bits,
)

_LARGEST_SIZE = 2**31


@dataclass(frozen=True)
class ScalarEncoderParameters:
    """Inputs span [minimum, maximum]. Give ``active_bits`` or ``sparsity`` (with ``size``),
    and one of ``size``, ``radius``, ``resolution`` or ``category=True``.

    - ``radius``: inputs this far apart (or more) share no bits; resolution = radius / active_bits.
    - ``category``: whole-number categories that never share bits (radius 1).
    - ``periodic``: maximum wraps round to minimum; any finite input has a place on the circle.
    - ``clip_input``: clamp out-of-range input (non-periodic only) instead of raising.
    """

    minimum: float
    maximum: float
    active_bits: int | None = None
    sparsity: float | None = None
    size: int | None = None
    radius: float | None = None
    resolution: float | None = None
    category: bool = False
    periodic: bool = False
    clip_input: bool = False


def whole_buckets(quotient: float) -> int:
    """ceil(quotient), except that float noise just above a whole number does not add a bucket
    (24 / (4 / 21) must give 126, not 127)."""
    nearest = round_half_away(quotient)
    if abs(quotient - nearest) <= 1e-9 * max(1.0, abs(quotient)):
        return nearest
    return math.ceil(quotient)


class ScalarEncoder(Encoder):
    """Scalar encoder per HTM_SPEC.md: start = round((x - minimum) / resolution), clamped to
    size - active_bits (periodic: wrapped mod size); NaN encodes to all zeros.

    Non-periodic extent = nextafter(maximum, +inf) - minimum, so that ``maximum`` itself lands in
    the last bucket; periodic extent = maximum - minimum. With ``size`` given, resolution =
    extent / (size - active_bits) (periodic: extent / size). With a resolution (or radius, or
    category) given, size is the number of buckets the extent needs, plus active_bits when not
    periodic; a periodic encoder then stretches its resolution to extent / size so that the
    circle closes exactly.
    """

    def __init__(self, parameters: ScalarEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "ScalarEncoder"
        require_finite(owner, "minimum", p.minimum)
        require_finite(owner, "maximum", p.maximum)
        require(p.minimum < p.maximum, f"{owner}: minimum must be < maximum (got {p.minimum} >= {p.maximum})")
        spacing = exactly_one(
            owner, size=p.size, radius=p.radius, resolution=p.resolution, category=p.category or None
        )
        require(not (p.periodic and p.category), f"{owner}: a category encoder cannot be periodic")
        require(
            not (p.periodic and p.clip_input),
            f"{owner}: clip_input has no meaning for a periodic encoder (every input wraps)",
        )
        active_bits = resolve_active_bits(owner, p.active_bits, p.sparsity, p.size)
        extent = p.maximum - p.minimum if p.periodic else np.nextafter(p.maximum, np.inf) - p.minimum
        if spacing == "size":
            require_whole(owner, "size", p.size, minimum=1)
            size = int(p.size)
            require(size > active_bits, f"{owner}: size must be > active_bits (got {size} <= {active_bits})")
            resolution = extent / (size if p.periodic else size - active_bits)
        else:
            if spacing == "radius":
                require_positive_finite(owner, "radius", p.radius)
                resolution = p.radius / active_bits
            elif spacing == "resolution":
                require_positive_finite(owner, "resolution", p.resolution)
                resolution = p.resolution
            else:
                resolution = 1.0 / active_bits
            buckets = whole_buckets(extent / resolution)
            size = buckets if p.periodic else buckets + active_bits
            require(
                size < _LARGEST_SIZE,
                f"{owner}: resolution {resolution} over [{p.minimum}, {p.maximum}] needs {size} bits; "
                "use a coarser resolution",
            )
            require(
                size > active_bits,
                f"{owner}: a periodic range of {extent} at resolution {resolution} gives only {size} "
                f"bits, not more than active_bits = {active_bits}; use a finer resolution",
            )
            if p.periodic:
                resolution = extent / size
        self.active_bits = active_bits
        self.resolution = float(resolution)
        self.radius = self.resolution * active_bits
        self._size = int(size)
        self._block = np.arange(active_bits, dtype=np.int64)

    @property
    def size(self) -> int:
        return self._size

    def encode(self, value: float) -> SDR:
        p = self.parameters
        if not is_number(value):
            raise TypeError(f"ScalarEncoder encodes numbers (got {type(value).__name__})")
        x = float(value)
        if math.isnan(x):
            return SDR(self.shape)
        if p.periodic:
            position = (x - p.minimum) / self.resolution
            if not math.isfinite(position):
                raise ValueError(f"ScalarEncoder: cannot place {x} on a periodic scale")
            start = round_half_away(position) % self._size
            bits = (self._block + start) % self._size
            bits.sort()
        else:
            if not p.minimum <= x <= p.maximum:
                if not p.clip_input:
                    raise ValueError(
                        f"ScalarEncoder: value {x} is outside [{p.minimum}, {p.maximum}]; "
                        "pass clip_input=True to clamp it"
                    )
                x = min(max(x, p.minimum), p.maximum)
            if p.category and not x.is_integer():
                raise ValueError(f"ScalarEncoder: category {x} is not a whole number")
            start = min(round_half_away((x - p.minimum) / self.resolution), self._size - self.active_bits)
            bits = self._block + start
        return SDR.from_sparse(self.shape, bits.astype(np.uint32), validate=False)
