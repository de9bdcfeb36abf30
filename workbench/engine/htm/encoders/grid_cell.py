"""The grid cell encoder (HTM_SPEC.md, "Encoders": Grid cell).

Entorhinal grid cells fire on a periodic lattice over space. Each module here has a period, a
random rotation (2-D) and a random phase per cell; a location activates, in every module, the
cells whose phases are nearest to the location's phase. Locations close together share cells;
far ones look unrelated, yet the modules together tell apart a range far beyond any period.
Written from that description (as in htm.core's GridCellEncoder), not bit-compatible with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..rng import CompatRNG
from ..rounding import round_half_away
from ..sdr import SDR
from .base import Encoder, is_number, require, require_whole

_SQRT3_2 = math.sqrt(3.0) / 2.0
# Lattice corners of the unit rhombus (basis (1, 0), (1/2, sqrt 3 / 2)). Both of its triangles
# are equilateral, so the lattice point nearest any point of it is one of these four.
_CORNERS = np.array([[0.0, 0.0], [-1.0, 0.0], [0.0, -1.0], [-1.0, -1.0]])


@dataclass(frozen=True)
class GridCellEncoderParameters:
    """``dimensions`` (1 or 2); one module per entry of ``periods`` (each >= 4, in input units);
    ``module_size`` cells per module, of which round(sparsity * module_size) are active."""

    dimensions: int
    periods: tuple[float, ...]
    module_size: int = 100
    sparsity: float = 0.1
    seed: int = 0


class GridCellEncoder(Encoder):
    """Grid cell encoder for 1-D and 2-D locations.

    The module's phase of a location is (location / period) mod 1 in 1-D; in 2-D the location
    is rotated by the module's angle and expressed in the coordinates of a hexagonal lattice of
    the module's period, mod 1. A cell's distance to that phase is measured on the torus (in
    2-D, in space, to the nearest lattice image); the ``active_per_module`` nearest cells win,
    the lowest index on ties. The RNG (a CompatRNG of ``seed``) draws, module by module, the
    rotation (2-D only) and then every cell's phase. Any NaN coordinate encodes to all zeros.
    """

    def __init__(self, parameters: GridCellEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "GridCellEncoder"
        require(p.dimensions in (1, 2), f"{owner}: dimensions must be 1 or 2 (got {p.dimensions!r})")
        periods = np.asarray(p.periods, dtype=np.float64).reshape(-1)
        require(periods.size >= 1, f"{owner}: give at least one module period")
        require(
            bool(np.all(np.isfinite(periods)) and np.all(periods >= 4.0)),
            f"{owner}: every period must be a finite number >= 4 (got {list(p.periods)})",
        )
        require_whole(owner, "module_size", p.module_size, minimum=2)
        require(is_number(p.sparsity) and 0 < p.sparsity < 1, f"{owner}: sparsity must be in (0, 1) (got {p.sparsity!r})")
        active = round_half_away(p.sparsity * p.module_size)
        require(
            1 <= active < p.module_size,
            f"{owner}: sparsity {p.sparsity} of {p.module_size} cells gives {active} active cells per "
            "module; need at least 1 and fewer than module_size",
        )
        rng = CompatRNG(p.seed)
        angles, phases = [], []
        for _ in periods:
            if p.dimensions == 2:
                angles.append(2.0 * math.pi * rng.real())
            draws = rng.draws(p.module_size * p.dimensions).astype(np.float64) / 4294967295.0
            phases.append(draws.reshape(p.module_size, p.dimensions) % 1.0)
        self.active_per_module = active
        self._periods = periods
        self._phases = np.stack(phases)  # (modules, cells, dimensions)
        if p.dimensions == 2:
            a = np.asarray(angles)
            # Row m maps a location to module m's rotated frame in period units.
            self._frames = np.stack(
                [np.stack([np.cos(a), np.sin(a)], axis=1), np.stack([-np.sin(a), np.cos(a)], axis=1)], axis=1
            ) / periods[:, None, None]
        self._offsets = (np.arange(periods.size) * p.module_size)[:, None]
        self._size = int(periods.size * p.module_size)

    @property
    def size(self) -> int:
        return self._size

    def _location(self, value: float | Sequence[float]) -> np.ndarray:
        dims = self.parameters.dimensions
        if dims == 1 and is_number(value):
            value = (value,)
        try:
            location = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ValueError(f"GridCellEncoder: location must be {dims} number(s) (got {value!r})") from None
        require(location.size == dims, f"GridCellEncoder: location must be {dims} number(s) (got {value!r})")
        return location

    def _distances(self, location: np.ndarray) -> np.ndarray:
        """(modules, cells) distance of each cell's phase to the location's phase."""
        if self.parameters.dimensions == 1:
            phase = (location[0] / self._periods) % 1.0
            gap = np.abs(self._phases[:, :, 0] - phase[:, None])
            return np.minimum(gap, 1.0 - gap)
        rotated = self._frames @ location  # (modules, 2), in periods
        v = rotated[:, 1] / _SQRT3_2
        lattice = np.stack([rotated[:, 0] - 0.5 * v, v], axis=1) % 1.0
        gap = (self._phases - lattice[:, None, :]) % 1.0  # (modules, cells, 2) in [0, 1)
        images = gap[:, :, None, :] + _CORNERS  # (modules, cells, 4, 2)
        x = images[..., 0] + 0.5 * images[..., 1]
        y = _SQRT3_2 * images[..., 1]
        return np.sqrt(np.min(x * x + y * y, axis=2))

    def encode(self, value: float | Sequence[float]) -> SDR:
        location = self._location(value)
        if np.isnan(location).any():
            return SDR(self.shape)
        require(bool(np.all(np.isfinite(location))), f"GridCellEncoder: cannot encode location {value!r}")
        nearest = np.argsort(self._distances(location), axis=1, kind="stable")[:, : self.active_per_module]
        bits = np.sort((nearest + self._offsets).reshape(-1)).astype(np.uint32)
        return SDR.from_sparse(self.shape, bits, validate=False)
