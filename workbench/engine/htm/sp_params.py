"""Spatial Pooler parameters: validation and the float32 constants derived from them.

HTM_SPEC.md ("Spatial Pooler") lists the parameters and their defaults. Permanences, duty cycles,
densities and boost factors are float32 ("Numbers and randomness"), so every constant that meets
them (increments, thresholds, the bump) is rounded to float32 once, here, and both backends use
exactly these values: that is half of what makes numpy and OpenCL agree bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .sp_storage import PermanenceStorage, permanence_storage

_EPSILON = np.float32(1e-6)  # the spec's 1e-6 in "connected means perm >= connected - 1e-6"


def _is_whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def _shape(value: int | Sequence[int], name: str) -> tuple[int, ...]:
    dims = (value,) if _is_whole(value) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if not dims or any(not _is_whole(d) or d < 1 for d in dims):
        raise ValueError(f"{name} must be a positive integer or a non-empty sequence of positive "
                         f"integers (got {value!r})")
    dims = tuple(int(d) for d in dims)
    if math.prod(dims) > 2**32:
        raise ValueError(f"{name} has {math.prod(dims)} elements; at most 2**32 fit uint32 indices")
    return dims


def _whole(value: object, name: str, minimum: int) -> int:
    if not _is_whole(value) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    return int(value)


def _real(value: object, name: str, low: float, high: float | None = None, *,
          low_open: bool = False) -> float:
    ok = _is_real(value) and (float(value) > low if low_open else float(value) >= low) \
        and (high is None or float(value) <= high)
    if not ok:
        bracket = "(" if low_open else "["
        upper = "inf)" if high is None else f"{high:g}]"
        raise ValueError(f"{name} must be a finite number in {bracket}{low:g}, {upper} (got {value!r})")
    return float(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False (got {value!r})")
    return bool(value)


@dataclass(frozen=True)
class SpatialPoolerParams:
    """The Spatial Pooler's parameters, validated on construction (defaults as in the spec)."""

    input_shape: tuple[int, ...]
    column_shape: tuple[int, ...]
    potential_radius: int = 16
    potential_pct: float = 0.5
    global_inhibition: bool = True
    local_area_density: float = 0.05
    num_active_columns_per_inh_area: int = 0
    stimulus_threshold: int = 0
    syn_perm_inactive_dec: float = 0.008
    syn_perm_active_inc: float = 0.05
    syn_perm_connected: float = 0.1
    min_pct_overlap_duty_cycle: float = 0.001
    duty_cycle_period: int = 1000
    boost_strength: float = 0.0
    wrap_around: bool = True
    seed: int = 1
    permanence_dtype: str = "float32"  # not in the spec: see sp_storage.py

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "input_shape", _shape(self.input_shape, "input_shape"))
        put(self, "column_shape", _shape(self.column_shape, "column_shape"))
        if len(self.input_shape) != len(self.column_shape):
            raise ValueError(
                "input_shape and column_shape must have the same number of dimensions (got "
                f"{len(self.input_shape)} and {len(self.column_shape)}); give both the same rank, "
                "e.g. flatten the input to 1-D")
        put(self, "potential_radius", _whole(self.potential_radius, "potential_radius", 0))
        put(self, "potential_pct", _real(self.potential_pct, "potential_pct", 0, 1, low_open=True))
        put(self, "global_inhibition", _flag(self.global_inhibition, "global_inhibition"))
        put(self, "local_area_density", _real(self.local_area_density, "local_area_density", 0, 1))
        put(self, "num_active_columns_per_inh_area",
            _whole(self.num_active_columns_per_inh_area, "num_active_columns_per_inh_area", 0))
        if (self.local_area_density > 0) == (self.num_active_columns_per_inh_area > 0):
            raise ValueError(
                "exactly one of local_area_density and num_active_columns_per_inh_area must be > 0 "
                f"(got {self.local_area_density:g} and {self.num_active_columns_per_inh_area}); "
                "set the one you do not use to 0")
        put(self, "stimulus_threshold", _whole(self.stimulus_threshold, "stimulus_threshold", 0))
        for name in ("syn_perm_inactive_dec", "syn_perm_active_inc", "syn_perm_connected",
                     "min_pct_overlap_duty_cycle"):
            put(self, name, _real(getattr(self, name), name, 0, 1))
        put(self, "duty_cycle_period", _whole(self.duty_cycle_period, "duty_cycle_period", 1))
        put(self, "boost_strength", _real(self.boost_strength, "boost_strength", 0))
        put(self, "wrap_around", _flag(self.wrap_around, "wrap_around"))
        put(self, "seed", _whole(self.seed, "seed", 0))
        if self.seed >= 2**32:
            raise ValueError(f"seed must be < 2**32 (got {self.seed})")
        permanence_storage(self.permanence_dtype)  # raises for an unknown name

    # -- sizes --------------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return math.prod(self.input_shape)

    @property
    def num_columns(self) -> int:
        return math.prod(self.column_shape)

    # -- float32 constants (computed once, shared by both backends) ------------------------------
    @property
    def connected(self) -> np.float32:
        """syn_perm_connected in float32."""
        return np.float32(self.syn_perm_connected)

    @property
    def connected_threshold(self) -> np.float32:
        """A synapse is connected when perm >= this: connected - 1e-6 in float32."""
        return np.float32(self.connected - _EPSILON)

    @property
    def storage(self) -> PermanenceStorage:
        """How the permanences are stored (:mod:`.sp_storage`)."""
        return permanence_storage(self.permanence_dtype)

    @property
    def raise_target(self) -> np.float32:
        """Where raise to threshold puts the k-th largest permanence: the smallest stored value
        that is connected (the connected threshold itself in float32)."""
        return self.storage.lowest_at_least(self.connected_threshold)

    @property
    def span_threshold(self) -> np.float32:
        """Synapses counted in a connected span have perm >= connected + 1e-6 (spec: "plus")."""
        return np.float32(self.connected + _EPSILON)

    @property
    def active_inc(self) -> np.float32:
        return np.float32(self.syn_perm_active_inc)

    @property
    def inactive_dec(self) -> np.float32:
        return np.float32(self.syn_perm_inactive_dec)

    @property
    def bump(self) -> np.float32:
        """What a weak column adds to every permanence: connected / 10 in float32."""
        return np.float32(self.connected / np.float32(10))

    @property
    def boosting(self) -> bool:
        """Boosted overlaps are used only when boost_strength >= 1e-6 (spec step 2)."""
        return self.boost_strength >= 1e-6
