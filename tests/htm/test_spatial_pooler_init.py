"""Spatial Pooler initialisation (HTM_SPEC.md, Spatial Pooler init 1-4).

The reference is the spec written as a plain loop over columns with CompatRNG's own sample,
real and real_range; the fast block-vectorised initialisation must give the same permanences and
leave the generator at the same place.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.backend import get_backend
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.rounding import round_half_away
from workbench.engine.htm.sp_init import initial_permanence_blocks, initial_permanences, pool_sizes
from workbench.engine.htm.sp_params import SpatialPoolerParams
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.topology import map_columns_to_inputs, neighbourhood


def spec_loop(params: SpatialPoolerParams) -> tuple[np.ndarray, CompatRNG]:
    rng = CompatRNG(params.seed)
    perm = np.full((params.num_columns, params.num_inputs), -1, np.float32)
    centres = map_columns_to_inputs(params.column_shape, params.input_shape)
    connected = np.float32(params.syn_perm_connected)
    for column in range(params.num_columns):
        around = neighbourhood(centres[column], params.potential_radius, params.input_shape,
                               params.wrap_around)
        size = round_half_away(float(np.float32(len(around)) * np.float32(params.potential_pct)))
        for i in sorted(rng.sample(around, size).tolist()):
            if rng.real() <= 0.5:
                perm[column, i] = rng.real_range(connected, 1.0)
            else:
                perm[column, i] = rng.real_range(0.0, connected)
    return perm, rng


@pytest.mark.parametrize("kwargs", [
    dict(input_shape=(100,), column_shape=(37,), potential_radius=5, wrap_around=False),
    dict(input_shape=(100,), column_shape=(37,), potential_radius=5),
    dict(input_shape=(30,), column_shape=(64,), potential_radius=40, potential_pct=0.3, seed=0),
    dict(input_shape=(10, 12), column_shape=(5, 7), potential_radius=3, wrap_around=False,
         potential_pct=0.3),
    dict(input_shape=(10, 12), column_shape=(5, 7), potential_radius=7, potential_pct=0.8, seed=9),
    dict(input_shape=(1000,), column_shape=(2048,)),
])
def test_vectorised_init_equals_the_spec_loop(backend_name, kwargs):
    # numpy shuffles all rows in lock-step; OpenCL shuffles each row in its own work item.
    params = SpatialPoolerParams(**kwargs)
    rng = CompatRNG(params.seed)
    got = initial_permanences(params, rng, getattr(get_backend(backend_name), "runtime", None))
    expected, reference_rng = spec_loop(params)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    assert rng.draw() == reference_rng.draw()  # the same number of draws was consumed


def test_pool_size_rounds_half_away_from_zero():
    # HelloSPTP: 33 inputs within radius 16, half of them: 16.5 -> 17 (numpy's round gives 16).
    assert pool_sizes(np.array([33]), 0.5).tolist() == [17]
    sp = SpatialPooler(1000, 2048)
    assert {len(sp.potential_pool(c)) for c in range(0, 2048, 97)} == {17}


def test_hello_first_column_pool_and_permanences():
    # Column 0 of HelloSPTP maps to input 0; its neighbourhood wraps: 984..999, 0..16.
    sp = SpatialPooler(1000, 2048)
    pool = sp.potential_pool(0)
    assert set(pool.tolist()) <= set(range(984, 1000)) | set(range(0, 17))
    perms = sp.permanences(0)
    assert perms.dtype == np.float32 and len(perms) == 17
    assert ((perms >= 0) & (perms <= 1)).all()
    dense = sp.permanences(0, dense=True)
    assert dense.shape == (1000,) and (dense[pool] == perms).all()
    assert np.count_nonzero(dense) <= 17
    connected = sp.connected_synapses(0)
    assert connected.tolist() == pool[perms >= np.float32(0.1) - np.float32(1e-6)].tolist()


def test_coin_splits_permanences_around_connected():
    sp = SpatialPooler(1000, 2048, syn_perm_connected=0.3)
    perms = np.concatenate([sp.permanences(c) for c in range(2048)])
    above = perms >= np.float32(0.3)
    assert 0.47 < above.mean() < 0.53  # real() <= 0.5 picks the connected range half the time
    assert perms[~above].max() < 0.3 and perms[above].max() <= 1.0


def test_raise_to_threshold_at_init():
    # Radius 1 without wrap-around: edge columns have 2 potential inputs, others 3; with
    # stimulus_threshold 2, every column must end with >= 2 connected synapses (capped at its
    # pool size), each raised column by exactly (connected - 1e-6 - p_2).
    params = SpatialPoolerParams(40, 40, potential_radius=1, potential_pct=1.0, wrap_around=False,
                                 stimulus_threshold=2, syn_perm_connected=0.6, seed=3)
    raw, _ = spec_loop(params)
    got = initial_permanences(params, CompatRNG(params.seed))
    threshold = np.float32(np.float32(0.6) - np.float32(1e-6))
    raised = 0
    for column in range(40):
        pool = raw[column] >= 0
        values = raw[column, pool]
        if (values >= threshold).sum() >= 2:
            assert (got[column] == raw[column]).all()
            continue
        raised += 1
        p_k = np.sort(values)[::-1][1]
        increment = np.float32(threshold - p_k)
        expected = np.minimum(np.maximum(values + increment, np.float32(0)), np.float32(1))
        assert (got[column, pool] == expected).all()
        assert (got[column, ~pool] == -1).all()
    assert raised > 5


def test_blocks_of_columns_give_the_same_model(backend_name, monkeypatch):
    # Initialisation hands the engine a block of columns at a time (raised to threshold per
    # block): blocks of 4 columns must give the same model as one block of all 37, with the
    # spec loop's potential pools.
    params = SpatialPoolerParams(40, 37, potential_radius=6, wrap_around=False,
                                 stimulus_threshold=3, seed=4)
    whole = SpatialPooler(40, 37, potential_radius=6, wrap_around=False, stimulus_threshold=3,
                          seed=4, backend=backend_name).permanence_matrix()
    monkeypatch.setattr("workbench.engine.htm.sp_init._BLOCK_ENTRIES", 160)  # 4 columns of 40 inputs
    runtime = getattr(get_backend(backend_name), "runtime", None)
    starts = [start for start, _ in initial_permanence_blocks(params, CompatRNG(4), runtime)]
    assert starts == list(range(0, 37, 4))
    raw, _ = spec_loop(params)
    blocked = SpatialPooler(40, 37, potential_radius=6, wrap_around=False, stimulus_threshold=3,
                            seed=4, backend=backend_name).permanence_matrix()
    np.testing.assert_array_equal(blocked, whole)
    potential = raw >= 0
    assert (potential == (blocked >= 0)).all()
    assert (blocked != raw).any()  # some columns were raised
