"""The Spatial Pooler's learning kernels (sp_adapt, sp_bump, sp_connect in cl/kernels/sp.cl)
against numpy, bit for bit, on every value a permanence can hold.

Both bitmask layouts run on the OpenCL device there is: the CPU one, and the GPU one (told it is
a GPU), where a work item updates 16 bytes of permanences per input stripe as one vector, with
a scalar tail when the words of a row are not a multiple of the vector's lanes. The input sizes
give, per storage (lanes: 16 uint8, 8 float16, 4 float32): 1,200 inputs, 19 words, unaligned
vectors and a tail of 3 words, the padding NaN; 2,000 inputs, 32 words, aligned vectors only,
the padding NaN. The rows are filled with every stored value (all 255 uint8 codes, a sample of
the halves in [0, 1] with the subnormals and 1, float32 values with the clip's edges), outside
a potential pool that is either scattered or a window (then most vectors lie wholly outside it,
which the GPU kernels skip), half the columns are weak (bumped every step), and the increments
include ones of half a uint8 step, so that rounding meets ties; numpy's SP, loaded with the
same state, is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import BACKENDS
from workbench.engine.backend import get_backend
from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES, permanence_storage
from workbench.engine.htm.spatial_pooler import SpatialPooler

F = np.float32
COLUMNS = 48
STEPS = 6  # from iteration 1001: no update of the minimum duty cycles (every 50th)


def stored_values(name: str, gen: np.random.Generator) -> np.ndarray:
    """Every value the storage can hold in [0, 1] (a sample of them for float16, float32)."""
    if name == "uint8":
        return permanence_storage(name).decode(np.arange(255, dtype=np.uint8))
    if name == "float16":
        halves = np.arange(0, 0x3C01, dtype=np.uint16).view(np.float16).astype(F)
        return np.concatenate([halves[:1100], gen.choice(halves, 3000), halves[-300:]])
    edges = np.array([0, 1, np.nextafter(F(1), F(0)), F(0.1) - F(1e-6), F(0.008), F(0.05)], F)
    return np.concatenate([gen.random(3000).astype(F), edges])


def learning_run(backend: str, name: str, inputs: int, pool: str, inc: float, dec: float,
                 seed: int) -> tuple[SpatialPooler, list, list]:
    """(the model, active columns per step, overlaps per step) after STEPS learning steps from
    a state whose rows hold every stored value and whose even columns are weak."""
    kwargs = dict(potential_radius=inputs, potential_pct=1.0, local_area_density=0.25,
                  syn_perm_active_inc=inc, syn_perm_inactive_dec=dec, seed=seed,
                  permanence_dtype=name)
    sp = SpatialPooler(inputs, COLUMNS, backend=backend, **kwargs)
    gen = np.random.default_rng(seed)
    perm = gen.choice(stored_values(name, gen), (COLUMNS, inputs)).astype(F)
    if pool == "window":  # half the inputs of a window over a quarter of the input, wrapped
        offset = (np.arange(inputs)[None, :] - np.arange(COLUMNS)[:, None] * inputs // COLUMNS)
        outside = (offset % inputs >= inputs // 4) | (gen.random((COLUMNS, inputs)) < 0.5)
    else:
        outside = gen.random((COLUMNS, inputs)) < 0.2
    perm[outside] = -1
    state = sp.state_dict()
    state["permanences"] = perm
    # duty cycles averaged over 1,000 steps stay far below 0.5 for STEPS steps: the even
    # columns are bumped at every step
    state["iteration"] = 1001
    state["min_overlap_duty_cycles"] = np.where(np.arange(COLUMNS) % 2 == 0, F(0.5), F(0))
    sp.load_state_dict(state)
    actives, overlaps = [], []
    for _ in range(STEPS):
        x = np.flatnonzero(gen.random(inputs) < 0.3)
        actives.append(sp.compute(x, learn=True).tolist())
        overlaps.append(sp.overlaps.tolist())
    return sp, actives, overlaps


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "numpy"])
@pytest.mark.parametrize("layout", ["cpu", "gpu"])
@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
@pytest.mark.parametrize("inputs", [1200, 2000])
@pytest.mark.parametrize("pool", ["scattered", "window"])
@pytest.mark.parametrize(("inc", "dec"), [(0.05, 0.008), (0.5 / 254, 1.5 / 254)],
                         ids=["default", "half-steps"])
def test_learning_kernels_equal_numpy_on_every_stored_value(backend, layout, name, inputs, pool,
                                                            inc, dec, monkeypatch):
    monkeypatch.setattr(get_backend(backend).runtime, "is_gpu", layout == "gpu")
    reference, expected_actives, expected_overlaps = learning_run("numpy", name, inputs, pool, inc,
                                                                  dec, seed=inputs)
    sp, actives, overlaps = learning_run(backend, name, inputs, pool, inc, dec, seed=inputs)
    assert sp._engine._word_major == (layout == "gpu")
    assert {len(a) for a in expected_actives} != {0}
    for step in range(STEPS):
        # overlaps count the connected words that sp_connect (loading the state) and sp_adapt /
        # sp_bump (each step after) wrote
        assert overlaps[step] == expected_overlaps[step], f"overlaps differ at step {step + 1}"
        assert actives[step] == expected_actives[step], f"active columns differ at step {step + 1}"
    perm = sp.permanence_matrix()
    np.testing.assert_array_equal(perm, reference.permanence_matrix())
    assert len(np.unique(perm[perm >= 0])) > 100  # many distinct values took part
