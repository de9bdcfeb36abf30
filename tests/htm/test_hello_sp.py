"""htm.core's HelloSPTP example, Spatial Pooler part (HTM_SPEC.md, "Reference numbers").

Each step: x (float32) += 0.01; encode sin(x) (float64 from the float32 x, rounded to float32)
with an RDSE of 1000 bits, sparsity 0.2, radius 0.03, seed 2019; add_noise(0.01) from one
CompatRNG(42) shared by all steps; a Spatial Pooler 1000 -> 2048 columns with the spec's
defaults, global inhibition, learning on. At step 5000 its active columns must be htm.core's,
bit for bit, on every backend. The example's second SP is built global and switched to local
inhibition before the first step: its radius stays 2048 until iteration 50; there is no golden
list for it, so every backend must agree with numpy step by step.
"""

from __future__ import annotations

import functools
import json

import numpy as np

from tests.conftest import BACKENDS
from tests.paths import HELLO_GOLDEN
from workbench.engine.htm.encoders import RDSE, RDSEParameters
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.spatial_pooler import SpatialPooler

GOLDEN = json.loads(HELLO_GOLDEN.read_text())
LOCAL_STEPS = 1000


@functools.lru_cache(maxsize=1)
def encodings() -> tuple[np.ndarray, ...]:
    encoder = RDSE(RDSEParameters(size=1000, sparsity=0.2, radius=0.03, seed=2019))
    noise = CompatRNG(42)
    x = np.float32(0.0)
    out = []
    for _ in range(GOLDEN["steps"]):
        x = np.float32(x + np.float32(0.01))
        value = np.float32(np.sin(np.float64(x)))
        out.append(encoder.encode(value).add_noise(0.01, noise).sparse)
    return tuple(out)


def test_encoder_input_matches_htmcore():
    assert encodings()[-1].tolist() == GOLDEN["encoder_after_noise"]


def test_global_sp_reproduces_htmcore_at_step_5000(backend_name):
    sp = SpatialPooler(1000, 2048, global_inhibition=True, backend=backend_name)
    for encoding in encodings():
        active = sp.compute(encoding, learn=True)
    assert sp.iteration == 5000
    assert len(active) == 102
    assert active.tolist() == GOLDEN["sp_global_active_columns"]


def test_local_sp_of_the_example_agrees_across_backends():
    pools = {}
    for backend in BACKENDS:
        sp = SpatialPooler(1000, 2048, global_inhibition=True, backend=backend)
        sp.global_inhibition = False
        pools[backend] = sp
    sizes = set()
    for step, encoding in enumerate(encodings()[:LOCAL_STEPS], start=1):
        outputs = {backend: sp.compute(encoding, learn=True).tolist() for backend, sp in pools.items()}
        for backend, active in outputs.items():
            assert active == outputs["numpy"], f"{backend} differs from numpy at step {step}"
        radius = pools["numpy"].inhibition_radius
        assert (radius == 2048) == (step < 50), f"radius {radius} at step {step}"
        sizes.add(len(outputs["numpy"]))
    assert len(sizes) > 5  # local inhibition: the number of winners varies
    for backend, sp in pools.items():
        assert sp.inhibition_radius == pools["numpy"].inhibition_radius
        np.testing.assert_array_equal(sp.state_dict()["permanences"],
                                      pools["numpy"].state_dict()["permanences"])
