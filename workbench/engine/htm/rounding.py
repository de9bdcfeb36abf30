"""Rounding half away from zero, the only "round" of HTM_SPEC.md ("Numbers and randomness").

htm.core rounds with C's ``round`` (16.5 -> 17, -16.5 -> -17). Python's ``round`` and
``numpy.round`` round half to even (16.5 -> 16), which moves encoder buckets and sample sizes
and breaks bit-for-bit reproduction, so every HTM module rounds through this one helper.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np


@overload
def round_half_away(x: float) -> int: ...


@overload
def round_half_away(x: np.ndarray) -> np.ndarray: ...


def round_half_away(x: float | np.ndarray) -> int | np.ndarray:
    """Round to the nearest whole number, halves away from zero (C's ``round``).

    A scalar gives a Python ``int`` (ValueError for NaN or infinity: they have no nearest
    integer); an array gives an array of the same float dtype holding whole values (NaN and
    infinities pass through). ``x - trunc(x)`` is exact in binary floating point, so the
    half-way test never suffers the ``floor(x + 0.5)`` error at 0.49999999999999994.
    """
    if isinstance(x, np.ndarray):
        whole = np.trunc(x)
        return np.where(np.abs(x - whole) >= 0.5, whole + np.sign(x), whole)
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"cannot round {value} to a whole number")
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return whole
