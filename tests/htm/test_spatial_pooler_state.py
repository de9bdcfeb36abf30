"""Spatial Pooler persistence and read-only views.

state_dict / load_state_dict must give an identical model: the same active columns for the next
100 steps and the same float state afterwards, also when saved on one backend and loaded on
another.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import BACKENDS
from workbench.engine.htm.spatial_pooler import SpatialPooler

CONFIG = dict(input_shape=(12, 16), column_shape=(8, 16), potential_radius=5, potential_pct=0.6,
              global_inhibition=False, local_area_density=0.08, stimulus_threshold=1,
              boost_strength=1.5, duty_cycle_period=40, seed=11)


def inputs(seed: int, steps: int) -> list[np.ndarray]:
    gen = np.random.default_rng(seed)
    return [np.flatnonzero(gen.random(192) < 0.15) for _ in range(steps)]


def float_state(sp: SpatialPooler) -> dict:
    state = sp.state_dict()
    return {k: state[k] for k in ("permanences", "overlap_duty_cycles", "active_duty_cycles",
                                  "min_overlap_duty_cycles", "boost_factors")}


@pytest.mark.parametrize("target", BACKENDS)
def test_round_trip_continues_identically(backend_name, target):
    sp = SpatialPooler(**CONFIG, backend=backend_name)
    for x in inputs(1, 30):  # 30 steps: the 50-iteration update happens after loading
        sp.compute(x, learn=True)
    state = sp.state_dict()
    copy = SpatialPooler(**CONFIG, backend=target)
    copy.load_state_dict(state)
    assert copy.iteration == 30 and copy.inhibition_radius == sp.inhibition_radius
    for step, x in enumerate(inputs(2, 100)):
        learn = step % 7 != 3
        assert sp.compute(x, learn).tolist() == copy.compute(x, learn).tolist()
    assert copy.iteration == sp.iteration == 130
    assert copy.inhibition_radius == sp.inhibition_radius
    mine, theirs = float_state(sp), float_state(copy)
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    assert copy.state_dict()["rng"] == sp.state_dict()["rng"]


def test_state_carries_the_mode_switch_and_views(backend_name):
    sp = SpatialPooler(64, 32, potential_radius=64, backend=backend_name)
    sp.global_inhibition = False
    active = sp.compute(np.arange(0, 64, 3), learn=True)
    state = sp.state_dict()
    assert state["global_inhibition"] is False and state["iteration"] == 1
    copy = SpatialPooler(64, 32, potential_radius=64, backend=backend_name)
    copy.load_state_dict(state)
    assert copy.global_inhibition is False
    assert copy.active_columns.tolist() == active.tolist()
    assert copy.overlaps.tolist() == sp.overlaps.tolist()
    assert copy.boosted_overlaps.tolist() == sp.boosted_overlaps.tolist()


def test_load_refuses_other_parameters_and_other_objects(backend_name):
    sp = SpatialPooler(64, 32, backend=backend_name)
    other = SpatialPooler(64, 32, seed=2, backend=backend_name)
    with pytest.raises(ValueError, match=r"other parameters .*'seed': \(2, 1\)"):
        sp.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="not a Spatial Pooler state"):
        sp.load_state_dict({"format": "something else"})


def test_views_are_read_only_copies(backend_name):
    sp = SpatialPooler(64, 32, potential_radius=64, backend=backend_name)
    active = sp.compute(np.arange(10), learn=True)
    for view in (active, sp.active_columns, sp.overlaps, sp.boosted_overlaps,
                 sp.overlap_duty_cycles, sp.active_duty_cycles, sp.boost_factors,
                 sp.min_overlap_duty_cycles, sp.potential_pool(3), sp.permanences(3),
                 sp.permanences(3, dense=True), sp.connected_synapses(3)):
        with pytest.raises(ValueError):
            view[...] = 0
    assert sp.overlaps.dtype == np.int32 and sp.boosted_overlaps.dtype == np.float32
    assert sp.active_columns.dtype == np.uint32
    with pytest.raises(ValueError, match=r"column must be an index in \[0, 32\) \(got 32\)"):
        sp.permanences(32)
