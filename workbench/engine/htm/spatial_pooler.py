"""The Spatial Pooler (HTM_SPEC.md, "Spatial Pooler"), on numpy or on an OpenCL device.

A Spatial Pooler turns an input SDR into a sparse set of active columns, each column learning to
respond to a recurring part of its input. This class is the one public face: it validates the
parameters, initialises the model (:mod:`.sp_init`, shared by both backends), counts iterations,
and runs each step's rules in the spec's order. The per-step data-parallel work lives in an
engine, :class:`.sp_numpy.NumpySpatialEngine` or :class:`.sp_opencl.OpenCLSpatialEngine`; the
rare or ``exp``-based rules (boost factors, the every-50-iterations updates) run here on the host
(:mod:`.sp_rules`), which is why both backends agree bit for bit.

The iteration counter counts every compute call, learning or not (spec step 4e). The inhibition
mode may be switched after construction (:attr:`global_inhibition`); the inhibition radius then
keeps its value until the next 50-iteration update, as htm.core's HelloSPTP example relies on.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Sequence

import numpy as np

from ..backend import BackendFallbackWarning, get_backend
from . import sp_rules
from .rng import CompatRNG
from .sp_init import initial_permanence_blocks
from .sp_numpy import NumpySpatialEngine
from .sp_params import SpatialPoolerParams

_UPDATE_PERIOD = 50  # iterations between inhibition-radius and minimum-duty-cycle updates
_STATE_FORMAT = "workbench.spatial_pooler/1"
_COLUMN_ARRAYS = {  # state_dict key -> engine array
    "overlaps": "overlaps",
    "boosted_overlaps": "boosted",
    "boost_factors": "boost",
    "overlap_duty_cycles": "odc",
    "active_duty_cycles": "adc",
    "min_overlap_duty_cycles": "min_odc",
    "active_columns": "active",
}


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _initialise(params: SpatialPoolerParams, rng: CompatRNG, backend: Any):
    """The engine for ``backend`` (a name or a backend object), with its initial permanences,
    which it takes block by block (the whole float32 matrix is never held at once).

    On OpenCL the initial shuffles run on the model's device too; if the SP kernels cannot be
    built there, the model runs on numpy, with a warning that says why.
    """
    runtime = getattr(get_backend(backend), "runtime", None)
    engine: Any = None
    if runtime is not None:
        from ..cl.runtime import KernelBuildError  # noqa: PLC0415 - only with OpenCL
        from .sp_opencl import OpenCLSpatialEngine  # noqa: PLC0415

        try:
            runtime.program("shuffle.cl")
            engine = OpenCLSpatialEngine(params, runtime)
        except KernelBuildError as exc:
            warnings.warn(f"Spatial Pooler kernels failed to build ({exc}); running on numpy "
                          "instead", BackendFallbackWarning, stacklevel=3)
            runtime = None
    if engine is None:
        engine = NumpySpatialEngine(params)
    for start, rows in initial_permanence_blocks(params, rng, runtime):
        engine.set_permanence_rows(start, rows)
    return engine


class SpatialPooler:
    """HTM Spatial Pooler: ``compute(input, learn)`` -> sorted active column indices (uint32).

    Parameters and defaults are HTM_SPEC.md's (see :class:`.sp_params.SpatialPoolerParams`);
    ``backend`` is ``"numpy"``, ``"opencl"``, ``"opencl:N"`` or a backend object.
    ``permanence_dtype`` (not in the spec) stores the permanences as ``"float32"`` (the spec's
    model), ``"float16"`` or ``"uint8"`` fixed point, for 2 or 4 times less memory; the rules
    are in :mod:`.sp_storage`, and both backends still agree bit for bit.
    """

    def __init__(self, input_shape: int | Sequence[int], column_shape: int | Sequence[int],
                 potential_radius: int = 16, potential_pct: float = 0.5,
                 global_inhibition: bool = True, local_area_density: float = 0.05,
                 num_active_columns_per_inh_area: int = 0, stimulus_threshold: int = 0,
                 syn_perm_inactive_dec: float = 0.008, syn_perm_active_inc: float = 0.05,
                 syn_perm_connected: float = 0.1, min_pct_overlap_duty_cycle: float = 0.001,
                 duty_cycle_period: int = 1000, boost_strength: float = 0.0,
                 wrap_around: bool = True, seed: int = 1, backend: Any = "numpy",
                 permanence_dtype: str = "float32") -> None:
        self.params = SpatialPoolerParams(
            input_shape, column_shape, potential_radius, potential_pct, global_inhibition,
            local_area_density, num_active_columns_per_inh_area, stimulus_threshold,
            syn_perm_inactive_dec, syn_perm_active_inc, syn_perm_connected,
            min_pct_overlap_duty_cycle, duty_cycle_period, boost_strength, wrap_around, seed,
            permanence_dtype)
        self._rng = CompatRNG(self.params.seed)
        self._engine = _initialise(self.params, self._rng, backend)
        self._global_inhibition = self.params.global_inhibition
        self._iteration = 0
        self._inhibition_radius = sp_rules.inhibition_radius(
            self.params, self._global_inhibition,
            None if self._global_inhibition else self._engine.connected_span_sums())

    # -- the step -------------------------------------------------------------------------------
    def compute(self, input: Any, learn: bool = True) -> np.ndarray:
        """One step: overlap, boost, inhibition and (if ``learn``) learning; spec steps 1-4.

        ``input`` is an SDR-like object (its ``.sparse`` is used) or an array of sorted active
        flat input indices. Returns the sorted active columns as a read-only uint32 array.
        """
        p = self.params
        inputs = self._input_indices(input)
        self._iteration += 1
        radius = self._inhibition_radius
        use_global = self._global_inhibition or radius > max(p.column_shape)
        density = sp_rules.inhibition_density(p, radius)
        engine = self._engine
        active = engine.infer(inputs, use_global, density, radius)
        if learn:
            engine.learn()
            engine.update_duty_cycles(*sp_rules.duty_cycle_factors(
                min(p.duty_cycle_period, self._iteration)))
            engine.bump_weak_columns()
            if p.boost_strength != 0:  # exp(0) is 1 exactly: the factors stay 1 without boosting
                engine.set("boost", sp_rules.boost_factors(
                    engine.get("adc"), p, radius, self._global_inhibition))
            if self._iteration % _UPDATE_PERIOD == 0:
                self._update_radius_and_min_duty_cycles()
        return _read_only(np.array(active, dtype=np.uint32))

    def _input_indices(self, input: Any) -> np.ndarray:
        size = getattr(input, "size", None)
        if hasattr(input, "sparse"):
            if size is not None and size != self.params.num_inputs:
                raise ValueError(f"input SDR has {size} bits but this Spatial Pooler has "
                                 f"{self.params.num_inputs} inputs")
            input = input.sparse
        indices = np.asarray(input)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise ValueError("input must be an SDR or a 1-D integer array of sorted active input "
                             f"indices (got dtype {indices.dtype}, shape {indices.shape})")
        indices = indices.astype(np.int64, copy=False)
        if indices.size:
            if indices[0] < 0 or indices[-1] >= self.params.num_inputs:
                raise ValueError(f"input indices must lie in [0, {self.params.num_inputs}) "
                                 f"(got {indices.min()} .. {indices.max()})")
            if indices.size > 1 and not (np.diff(indices) > 0).all():
                raise ValueError("input indices must be sorted and unique (strictly increasing); "
                                 "pass np.unique(indices)")
        return indices

    def _update_radius_and_min_duty_cycles(self) -> None:
        """Spec step 4e: the inhibition radius first, then the minimum duty cycles with it."""
        p, engine = self.params, self._engine
        spans = None if self._global_inhibition else engine.connected_span_sums()
        self._inhibition_radius = sp_rules.inhibition_radius(p, self._global_inhibition, spans)
        engine.set("min_odc", sp_rules.min_overlap_duty_cycles(
            engine.get("odc"), p, self._inhibition_radius))

    # -- settings -------------------------------------------------------------------------------
    @property
    def global_inhibition(self) -> bool:
        """Global (True) or local inhibition; switchable, the radius updates at iteration 50k."""
        return self._global_inhibition

    @global_inhibition.setter
    def global_inhibition(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"global_inhibition must be True or False (got {value!r})")
        self._global_inhibition = bool(value)

    @property
    def backend(self) -> str:
        """The backend the model runs on: ``numpy`` or ``opencl:N``."""
        return self._engine.name

    # -- read-only views ------------------------------------------------------------------------
    @property
    def num_columns(self) -> int:
        return self.params.num_columns

    @property
    def num_inputs(self) -> int:
        return self.params.num_inputs

    @property
    def iteration(self) -> int:
        """Compute calls so far (learning or not)."""
        return self._iteration

    @property
    def inhibition_radius(self) -> int:
        return self._inhibition_radius

    def _view(self, name: str) -> np.ndarray:
        return _read_only(self._engine.get(name))

    @property
    def overlaps(self) -> np.ndarray:
        """Last step's overlap per column (connected synapses on active inputs), int32."""
        return self._view("overlaps")

    @property
    def boosted_overlaps(self) -> np.ndarray:
        """Last step's overlap times boost factor (the overlap itself without boosting), float32."""
        return self._view("boosted")

    @property
    def active_columns(self) -> np.ndarray:
        """Last step's active columns, sorted uint32."""
        return self._view("active")

    @property
    def overlap_duty_cycles(self) -> np.ndarray:
        return self._view("odc")

    @property
    def active_duty_cycles(self) -> np.ndarray:
        return self._view("adc")

    @property
    def min_overlap_duty_cycles(self) -> np.ndarray:
        return self._view("min_odc")

    @property
    def boost_factors(self) -> np.ndarray:
        return self._view("boost")

    def _column(self, column: int) -> int:
        if not isinstance(column, (int, np.integer)) or not 0 <= column < self.params.num_columns:
            raise ValueError(f"column must be an index in [0, {self.params.num_columns}) (got {column!r})")
        return int(column)

    def potential_pool(self, column: int) -> np.ndarray:
        """The inputs column ``column`` may connect to, sorted uint32."""
        row = self._engine.permanence_row(self._column(column))
        return _read_only(np.flatnonzero(row >= 0).astype(np.uint32))

    def permanences(self, column: int, dense: bool = False) -> np.ndarray:
        """Permanences of ``column``, float32: over its potential pool (ascending inputs), or
        ``dense`` over all flat inputs (0 outside the pool)."""
        row = self._engine.permanence_row(self._column(column))
        out = np.maximum(row, np.float32(0)) if dense else row[row >= 0]
        return _read_only(out)

    def permanence_matrix(self) -> np.ndarray:
        """All permanences, columns x flat inputs, float32, -1 outside each potential pool
        (a host copy: for views such as the permanence histogram, not for every step)."""
        return _read_only(self._engine.permanence_matrix())

    def connected_synapses(self, column: int) -> np.ndarray:
        """Inputs column ``column`` is connected to (perm >= connected - 1e-6), sorted uint32."""
        row = self._engine.permanence_row(self._column(column))
        return _read_only(np.flatnonzero(row >= self.params.connected_threshold).astype(np.uint32))

    # -- persistence ----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue identically: parameters, counters, RNG, arrays."""
        state = {
            "format": _STATE_FORMAT,
            "params": dataclasses.asdict(self.params),
            "global_inhibition": self._global_inhibition,
            "inhibition_radius": self._inhibition_radius,
            "iteration": self._iteration,
            "rng": self._rng.state_dict(),
            "permanences": self._engine.permanence_matrix(),
        }
        for key, name in _COLUMN_ARRAYS.items():
            state[key] = self._engine.get(name)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output (from either backend) into this model."""
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"not a Spatial Pooler state (format {state.get('format')!r}; "
                             f"expected {_STATE_FORMAT!r})")
        params = SpatialPoolerParams(**state["params"])
        if params != self.params:
            mine = dataclasses.asdict(self.params)
            diff = {k: (v, mine[k]) for k, v in dataclasses.asdict(params).items() if mine[k] != v}
            raise ValueError("state_dict was saved by a Spatial Pooler with other parameters "
                             f"(saved, this one): {diff}; build one with the saved parameters")
        perm = np.asarray(state["permanences"], dtype=np.float32)
        expected = (params.num_columns, params.num_inputs)
        if perm.shape != expected:
            raise ValueError(f"permanences have shape {perm.shape}; expected {expected}")
        for start, stop in sp_rules.column_blocks(params.num_columns, params.num_inputs):
            self._engine.set_permanence_rows(start, perm[start:stop])
        for key, name in _COLUMN_ARRAYS.items():
            self._engine.set(name, state[key])
        self._global_inhibition = bool(state["global_inhibition"])
        self._inhibition_radius = int(state["inhibition_radius"])
        self._iteration = int(state["iteration"])
        self._rng.load_state_dict(state["rng"])

    def __repr__(self) -> str:
        p = self.params
        mode = "global" if self._global_inhibition else "local"
        return (f"SpatialPooler({p.input_shape} -> {p.column_shape}, {mode} inhibition, "
                f"backend={self.backend}, iteration={self._iteration})")
