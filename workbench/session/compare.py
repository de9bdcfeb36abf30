"""Exact comparison of frames, saying where two frames first differ.

Determinism (ARCHITECTURE.md, "Determinism") means a re-simulated step reproduces the recorded
frame bit for bit on the same backend; forks and tests check that with this one function.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from workbench.engine.htm.sdr import SDR

from .frames import Frame, Stream, StreamKind

_MISSING = object()


def frame_difference(expected: Frame, actual: Frame, streams: Iterable[Stream]) -> tuple[str, str] | None:
    """(stream name, what differs) for the first stream in ``streams`` whose values differ,
    or None when the frames agree exactly (NaN equals NaN)."""
    for stream in streams:
        want = expected.values.get(stream.name, _MISSING)
        got = actual.values.get(stream.name, _MISSING)
        if want is _MISSING or got is _MISSING:
            if want is not got:
                return stream.name, "expected no value" if want is _MISSING else "no value"
            continue
        problem = _value_difference(stream.kind, want, got)
        if problem is not None:
            return stream.name, problem
    return None


def _value_difference(kind: StreamKind, want: Any, got: Any) -> str | None:
    if kind is StreamKind.SDR:
        if not isinstance(got, SDR):
            return f"expected an SDR, got {type(got).__name__}"
        if want.shape != got.shape:
            return f"shape {got.shape} instead of {want.shape}"
        if want == got:
            return None
        common = int(np.intersect1d(want.sparse, got.sparse, assume_unique=True).size)
        return (f"{got.active_count} active bits instead of {want.active_count}, "
                f"{common} in common")
    if kind is StreamKind.SCALAR:
        if want == got or (math.isnan(want) and math.isnan(got)):
            return None
        return f"{got!r} instead of {want!r}"
    if kind is StreamKind.TEXT:
        return None if want == got else f"{got!r} instead of {want!r}"
    want, got = np.asarray(want), np.asarray(got)
    if want.dtype != got.dtype or want.shape != got.shape:
        return f"{got.dtype} {got.shape} instead of {want.dtype} {want.shape}"
    if np.array_equal(want, got, equal_nan=want.dtype.kind in "fc"):
        return None
    return f"{int(np.count_nonzero(want != got))} of {want.size} entries differ"
