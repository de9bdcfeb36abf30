"""numpy and OpenCL give the same Spatial Pooler, bit for bit (ARCHITECTURE.md, "Determinism").

The htm.core benchmark configuration: 2,048 inputs -> 2,048 columns, 15 % random input bits
from a seeded generator, 5 % active columns, potential_pct 0.5, a potential radius covering the
whole input, learning on; with and without boosting, global inhibition for 1,000 steps and local
inhibition for 200. Every step's active columns must match the numpy run, and the float state
(permanences, duty cycles, boost factors) must be equal at the end. On the numpy backend a
second, independent run of 200 steps must repeat the reference: the model is deterministic.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from workbench.engine.htm.spatial_pooler import SpatialPooler

RUNS = {  # name: (global inhibition, boost strength, steps)
    "global": (True, 0.0, 1000),
    "global-boost": (True, 2.0, 1000),
    "local": (False, 0.0, 200),
    "local-boost": (False, 2.0, 200),
}
FLOAT_STATE = ("permanences", "overlap_duty_cycles", "active_duty_cycles",
               "min_overlap_duty_cycles", "boost_factors")


def run(backend: str, name: str, steps: int | None = None) -> tuple[list[list[int]], dict, int]:
    global_inhibition, boost_strength, all_steps = RUNS[name]
    steps = steps or all_steps
    sp = SpatialPooler(2048, 2048, potential_radius=2048, potential_pct=0.5,
                       global_inhibition=global_inhibition, local_area_density=0.05,
                       boost_strength=boost_strength, seed=7, backend=backend)
    gen = np.random.default_rng(2024)
    outputs = []
    for _ in range(steps):
        x = np.flatnonzero(gen.random(2048) < 0.15)
        outputs.append(sp.compute(x, learn=True).tolist())
    state = sp.state_dict()
    return outputs, {k: state[k] for k in FLOAT_STATE}, sp.inhibition_radius


@functools.lru_cache(maxsize=None)
def reference(name: str):
    return run("numpy", name)


@pytest.mark.parametrize("name", list(RUNS))
def test_backend_matches_numpy_bit_for_bit(backend_name, name):
    expected_outputs, expected_state, expected_radius = reference(name)
    if backend_name == "numpy":
        outputs, _, _ = run("numpy", name, steps=200)
        assert outputs == expected_outputs[:200]
        return
    outputs, state, radius = run(backend_name, name)
    assert {len(o) for o in expected_outputs} != {0}
    for step, (got, want) in enumerate(zip(outputs, expected_outputs)):
        assert got == want, f"active columns differ at step {step + 1}"
    assert radius == expected_radius
    for key in FLOAT_STATE:
        np.testing.assert_array_equal(state[key], expected_state[key], err_msg=key)
    if RUNS[name][1] > 0:
        assert len(np.unique(state["boost_factors"])) > 10  # boosting really happened
    if not RUNS[name][0]:
        assert radius < 2048  # local inhibition really ran with a computed radius
