"""Spatial Pooler parameter validation: each bad value is refused with a message that names
the parameter, the value and what is allowed."""

from __future__ import annotations

import re

import numpy as np
import pytest

from workbench.engine.backend import BackendFallbackWarning
from workbench.engine.cl.runtime import CLRuntime, KernelBuildError
from workbench.engine.htm.sp_params import SpatialPoolerParams
from workbench.engine.htm.spatial_pooler import SpatialPooler


@pytest.mark.parametrize(("changes", "message"), [
    ({"input_shape": ()}, "input_shape must be a positive integer or a non-empty sequence of "
                          "positive integers (got ())"),
    ({"input_shape": 0}, "input_shape must be a positive integer or a non-empty sequence of "
                         "positive integers (got 0)"),
    ({"column_shape": (4, -1)}, "column_shape must be a positive integer or a non-empty sequence "
                                "of positive integers (got (4, -1))"),
    ({"column_shape": (4, 4)}, "input_shape and column_shape must have the same number of "
                               "dimensions (got 1 and 2); give both the same rank, e.g. flatten "
                               "the input to 1-D"),
    ({"potential_radius": -1}, "potential_radius must be a whole number >= 0 (got -1)"),
    ({"potential_radius": 2.5}, "potential_radius must be a whole number >= 0 (got 2.5)"),
    ({"potential_pct": 0}, "potential_pct must be a finite number in (0, 1] (got 0)"),
    ({"potential_pct": 1.5}, "potential_pct must be a finite number in (0, 1] (got 1.5)"),
    ({"global_inhibition": 1}, "global_inhibition must be True or False (got 1)"),
    ({"local_area_density": 0.05, "num_active_columns_per_inh_area": 40},
     "exactly one of local_area_density and num_active_columns_per_inh_area must be > 0 (got "
     "0.05 and 40); set the one you do not use to 0"),
    ({"local_area_density": 0}, "exactly one of local_area_density and "
                                "num_active_columns_per_inh_area must be > 0 (got 0 and 0); set "
                                "the one you do not use to 0"),
    ({"local_area_density": -0.1}, "local_area_density must be a finite number in [0, 1] (got -0.1)"),
    ({"stimulus_threshold": -1}, "stimulus_threshold must be a whole number >= 0 (got -1)"),
    ({"syn_perm_active_inc": 1.5}, "syn_perm_active_inc must be a finite number in [0, 1] (got 1.5)"),
    ({"syn_perm_inactive_dec": float("nan")},
     "syn_perm_inactive_dec must be a finite number in [0, 1] (got nan)"),
    ({"syn_perm_connected": -0.1}, "syn_perm_connected must be a finite number in [0, 1] (got -0.1)"),
    ({"min_pct_overlap_duty_cycle": 2}, "min_pct_overlap_duty_cycle must be a finite number in "
                                        "[0, 1] (got 2)"),
    ({"duty_cycle_period": 0}, "duty_cycle_period must be a whole number >= 1 (got 0)"),
    ({"boost_strength": -1.0}, "boost_strength must be a finite number in [0, inf) (got -1.0)"),
    ({"wrap_around": "yes"}, "wrap_around must be True or False (got 'yes')"),
    ({"seed": -5}, "seed must be a whole number >= 0 (got -5)"),
    ({"seed": 2**32}, "seed must be < 2**32 (got 4294967296)"),
    ({"permanence_dtype": "bfloat16"},
     "permanence_dtype must be one of float32, float16, uint8 (got 'bfloat16')"),
])
def test_bad_parameter_is_refused_with_a_clear_message(changes, message):
    kwargs = {"input_shape": 16, "column_shape": 8, **changes}
    with pytest.raises(ValueError, match=re.escape(message)):
        SpatialPoolerParams(**kwargs)


def test_defaults_are_the_specs():
    p = SpatialPoolerParams(1000, 2048)
    assert (p.input_shape, p.column_shape) == ((1000,), (2048,))
    assert (p.potential_radius, p.potential_pct, p.global_inhibition) == (16, 0.5, True)
    assert (p.local_area_density, p.num_active_columns_per_inh_area, p.stimulus_threshold) == (0.05, 0, 0)
    assert (p.syn_perm_inactive_dec, p.syn_perm_active_inc, p.syn_perm_connected) == (0.008, 0.05, 0.1)
    assert (p.min_pct_overlap_duty_cycle, p.duty_cycle_period, p.boost_strength) == (0.001, 1000, 0.0)
    assert (p.wrap_around, p.seed) == (True, 1)


def test_float32_constants():
    p = SpatialPoolerParams(16, 8)
    assert p.connected_threshold == np.float32(np.float32(0.1) - np.float32(1e-6))
    assert p.span_threshold == np.float32(np.float32(0.1) + np.float32(1e-6))
    assert p.bump == np.float32(np.float32(0.1) / np.float32(10))
    assert p.active_inc.dtype == np.float32 and p.inactive_dec.dtype == np.float32


def test_compute_refuses_bad_input():
    sp = SpatialPooler(16, 8, potential_radius=16)
    with pytest.raises(ValueError, match=re.escape("input indices must lie in [0, 16) (got 3 .. 16)")):
        sp.compute(np.array([3, 16]))
    with pytest.raises(ValueError, match="must be sorted and unique"):
        sp.compute(np.array([5, 3]))
    with pytest.raises(ValueError, match="1-D integer array"):
        sp.compute(np.array([0.5]))
    assert sp.iteration == 0  # refused inputs do not count as steps


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        SpatialPooler(16, 8, backend="cuda")


def test_global_inhibition_setter_checks_type():
    sp = SpatialPooler(16, 8)
    with pytest.raises(ValueError, match=re.escape("global_inhibition must be True or False (got 'no')")):
        sp.global_inhibition = "no"


def test_kernel_build_failure_falls_back_to_numpy(monkeypatch):
    # ARCHITECTURE.md: if a kernel fails to build, say so clearly and run on numpy.
    def broken(self, filename, defines=None, options=()):
        raise KernelBuildError(f"OpenCL kernel file {filename} failed to build: planted error")

    monkeypatch.setattr(CLRuntime, "program", broken)
    with pytest.warns(BackendFallbackWarning):
        sp = SpatialPooler(16, 8, potential_radius=16, backend="opencl")
    assert sp.backend == "numpy"
    assert sp.compute(np.arange(4)).tolist() == SpatialPooler(16, 8, potential_radius=16).compute(
        np.arange(4)).tolist()
