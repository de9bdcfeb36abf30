"""Observations as SDRs, with the project's encoders (HTM_SPEC.md, "Encoders").

A ``Box`` observation gets one encoder per dimension (a ScalarEncoder over the dimension's
bounds, clipping values beyond them, or an RDSE with the same radius) and the SDRs are
concatenated. A ``Discrete`` observation is a category (CategoryEncoder: states share no bits),
or, for a grid world whose state is ``row * columns + column``, its row and column as two
scalars, so that neighbouring cells share bits. That sharing is what lets an agent that compares
SDRs (the UBL agent) judge which next cell is closer to a goal cell.

Within one encoder, nearby values share bits: two values ``d`` apart share
``max(0, active_bits - d / resolution)`` bits (Scalar), where the radius is ``resolution *
active_bits``. With ``active_bits`` close to half of ``size`` the radius is about the whole
range, so overlap falls steadily with distance over the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..htm.encoders import (RDSE, CategoryEncoder, CategoryEncoderParameters, RDSEParameters,
                            ScalarEncoder, ScalarEncoderParameters)
from ..htm.sdr import SDR
from .spaces import box_bounds

KINDS = ("scalar", "rdse")


@dataclass(frozen=True)
class EncoderSettings:
    """Bits per observation dimension: ``size`` in all, ``active_bits`` on; ``kind`` scalar or
    rdse for Box dimensions; ``seed`` for the RDSE's hash."""

    size: int = 64
    active_bits: int = 21
    kind: str = "scalar"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"encoder kind must be one of {', '.join(KINDS)} (got {self.kind!r})")
        if not 1 <= self.active_bits < self.size:
            raise ValueError(f"encoder: need 1 <= active_bits < size (got {self.active_bits} and "
                             f"{self.size})")


class ObservationEncoder:
    """One observation -> one SDR, built from a gymnasium observation space.

    ``bounds`` (one (low, high) per Box dimension) overrides the space's own; ``grid`` (rows,
    columns) encodes a Discrete state as its row and column. ``labels`` names each part, and
    ``parts`` gives each part's (start, size) in the SDR, for views.
    """

    def __init__(self, space: Any, settings: EncoderSettings = EncoderSettings(), env_id: str = "",
                 bounds: Sequence[tuple[float, float]] | None = None,
                 grid: tuple[int, int] | None = None) -> None:
        import gymnasium  # noqa: PLC0415

        self.settings = s = settings
        self.space = space
        self._discrete = isinstance(space, gymnasium.spaces.Discrete)
        if self._discrete:
            self._start = int(space.start)
            if grid is not None:
                rows, cols = int(grid[0]), int(grid[1])
                if rows * cols != int(space.n):
                    raise ValueError(f"grid {rows}x{cols} has {rows * cols} cells but the space has "
                                     f"{space.n} states")
                self._grid = (rows, cols)
                self.encoders = [self._scalar(0.0, max(rows - 1, 1)), self._scalar(0.0, max(cols - 1, 1))]
                self.labels = ["row", "column"]
            else:
                self._grid = None
                states = tuple(range(self._start, self._start + int(space.n)))
                self.encoders = [CategoryEncoder(CategoryEncoderParameters(states, s.active_bits))]
                self.labels = ["state"]
        elif isinstance(space, gymnasium.spaces.Box):
            self.bounds = box_bounds(space, env_id, bounds)
            self.encoders = [self._rdse(lo, hi, i) if s.kind == "rdse" else self._scalar(lo, hi)
                             for i, (lo, hi) in enumerate(self.bounds)]
            self.labels = [f"dim {i}" for i in range(len(self.encoders))]
        else:
            raise ValueError(f"observations of type {type(space).__name__} cannot be encoded; use "
                             "an environment with a Box or Discrete observation space")
        starts = np.cumsum([0] + [e.size for e in self.encoders])
        self.parts = [(int(a), e.size) for a, e in zip(starts, self.encoders)]
        self.size = int(starts[-1])

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    @property
    def view_shape(self) -> tuple[int, ...]:
        """A shape to draw the SDR in: one row per part when there are several of one size (each
        observation dimension on its own row), else the flat shape."""
        sizes = {size for _, size in self.parts}
        if len(self.parts) > 1 and len(sizes) == 1:
            return (len(self.parts), sizes.pop())
        return self.shape

    def _scalar(self, low: float, high: float) -> ScalarEncoder:
        s = self.settings
        return ScalarEncoder(ScalarEncoderParameters(minimum=low, maximum=high, size=s.size,
                                                     active_bits=s.active_bits, clip_input=True))

    def _rdse(self, low: float, high: float, dimension: int) -> RDSE:
        """An RDSE whose radius equals the scalar encoder's over the same range (and bits), each
        dimension hashed with its own seed so that two dimensions do not pick the same bits."""
        s = self.settings
        radius = (high - low) * s.active_bits / (s.size - s.active_bits)
        return RDSE(RDSEParameters(size=s.size, active_bits=s.active_bits, radius=radius,
                                   seed=s.seed + dimension))

    def values(self, observation: Any) -> list[float]:
        """What each part encodes: the Box values, the row and column, or the state."""
        if not self._discrete:
            values = np.asarray(observation, dtype=np.float64).reshape(-1)
            if values.size != len(self.encoders):
                raise ValueError(f"observation has {values.size} values, the space {len(self.encoders)}")
            return [float(np.clip(v, lo, hi)) for v, (lo, hi) in zip(values, self.bounds)]
        state = int(observation)
        if self._grid is None:
            return [float(state)]
        return [float(divmod(state - self._start, self._grid[1])[0]),
                float(divmod(state - self._start, self._grid[1])[1])]

    def encode(self, observation: Any) -> SDR:
        if self._discrete and self._grid is None:
            return self.encoders[0].encode(int(observation))
        return SDR.concatenate([e.encode(v) for e, v in zip(self.encoders, self.values(observation))])
