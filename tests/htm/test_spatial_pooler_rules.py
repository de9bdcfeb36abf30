"""Each Spatial Pooler rule of HTM_SPEC.md on small hand-checked cases, on every backend.

Permanences are planted through load_state_dict so that overlaps, ties and duty cycles are known
in advance; expected values are worked out by hand (or, for float32 results, by writing the
spec's formula out in numpy float32 arithmetic next to the case).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.engine.htm import sp_rules
from workbench.engine.htm.sp_local import local_winners
from workbench.engine.htm.sp_params import SpatialPoolerParams
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.topology import neighbourhood

F = np.float32
THRESHOLD = F(F(0.1) - F(1e-6))  # "connected" for syn_perm_connected 0.1


def planted(backend: str, perm, **kwargs) -> SpatialPooler:
    """An SP over perm's shape (columns x inputs) whose permanences are exactly ``perm``."""
    perm = np.asarray(perm, dtype=np.float32)
    columns, inputs = perm.shape
    kwargs.setdefault("potential_radius", inputs)
    sp = SpatialPooler(inputs, columns, backend=backend, **kwargs)
    return replace(sp, permanences=perm)


def replace(sp: SpatialPooler, **entries) -> SpatialPooler:
    state = sp.state_dict()
    for key, value in entries.items():
        state[key] = np.asarray(value, dtype=state[key].dtype) if isinstance(state[key], np.ndarray) \
            else value
    sp.load_state_dict(state)
    return sp


def connected_to(first_counts: list[int], inputs: int) -> np.ndarray:
    """Column c connected (0.5) to inputs 0 .. first_counts[c] - 1, not connected (0.01) elsewhere."""
    perm = np.full((len(first_counts), inputs), 0.01, np.float32)
    for column, count in enumerate(first_counts):
        perm[column, :count] = 0.5
    return perm


def spec_local_inhibition(boosted, radius, shape, wrap, density, stimulus) -> list[int]:
    """HTM_SPEC.md step 3, local inhibition, as the plain ascending scan."""
    active: list[int] = []
    won = np.zeros(len(boosted), bool)
    for column in range(len(boosted)):
        if boosted[column] < stimulus:
            continue
        around = [n for n in neighbourhood(column, radius, shape, wrap).tolist() if n != column]
        bigger = sum(1 for n in around
                     if boosted[n] > boosted[column] or (boosted[n] == boosted[column] and won[n]))
        quota = int(F(0.5) + F(density) * F(len(around) + 1))
        if bigger < quota:
            won[column] = True
            active.append(column)
    return active


# -- step 1: overlap ----------------------------------------------------------------------------
def test_overlap_counts_synapses_at_or_above_connected_minus_epsilon(backend_name):
    perm = [[0.2, 0.05, 0.0999995, -1, 0.1, 0.0999985],
            [-1, -1, -1, -1, -1, 1.0],
            [0, 0, 0, 0, 0, 0]]
    assert F(0.0999995) >= THRESHOLD > F(0.0999985)
    sp = planted(backend_name, perm, local_area_density=0.34)
    active = sp.compute(np.arange(6), learn=False)
    assert sp.overlaps.tolist() == [3, 1, 0]
    assert sp.boosted_overlaps.tolist() == [3.0, 1.0, 0.0]
    assert active.dtype == np.uint32 and active.tolist() == [0]
    assert sp.compute(np.array([1, 3]), learn=False).tolist() == [2]  # all 0: highest index
    assert sp.connected_synapses(0).tolist() == [0, 2, 4]


# -- step 3: global inhibition --------------------------------------------------------------------
def test_global_ties_go_to_the_higher_index(backend_name):
    perm = connected_to([1] * 8, 4)
    perm[[1, 6], 1] = 0.5
    sp = planted(backend_name, perm, local_area_density=0.375)  # trunc(0.375 * 8) = 3 winners
    assert sp.compute(np.array([0]), learn=False).tolist() == [5, 6, 7]
    assert sp.compute(np.array([0, 1]), learn=False).tolist() == [1, 6, 7]
    assert sp.compute(np.array([2, 3]), learn=False).tolist() == [5, 6, 7]  # all 0, stim 0


def test_stimulus_threshold_drops_winners_below_it(backend_name):
    perm = connected_to([1] * 8, 4)
    perm[[1, 6], 1] = 0.5
    sp = planted(backend_name, perm, local_area_density=0.375, stimulus_threshold=2)
    assert sp.compute(np.array([0, 1]), learn=False).tolist() == [1, 6]
    assert sp.compute(np.array([0]), learn=False).tolist() == []


def test_winner_count_is_density_times_columns_truncated_in_float32(backend_name):
    sp = planted(backend_name, connected_to([1] * 10, 2), local_area_density=0.3)
    assert F(0.3) * F(10) == F(3)  # float32(0.3) * 10 rounds to exactly 3
    assert len(sp.compute(np.array([0]), learn=False)) == 3
    sp = planted(backend_name, connected_to([1] * 10, 2), local_area_density=0.29)
    assert len(sp.compute(np.array([0]), learn=False)) == 2
    counted = SpatialPooler(2, 40, local_area_density=0, num_active_columns_per_inh_area=7,
                            backend=backend_name)
    assert len(counted.compute(np.array([0]), learn=False)) == 7


# -- step 3: local inhibition ---------------------------------------------------------------------
@pytest.mark.parametrize(("wrap", "expected"), [(False, [0, 2, 4, 7]), (True, [0, 2, 4])])
def test_local_inhibition_by_hand(backend_name, wrap, expected):
    # Overlaps 1 1 2 0 3 3 1 1, radius 1, quota trunc(0.5 + 0.34 * 3) = trunc(0.5 + 0.34 * 2) = 1.
    # c1 loses to c2; c4 wins (c5 equal but not yet decided), c5 loses (c4 equal and won);
    # c7: its neighbour c6 is equal but lost, so c7 wins; with wrap c0 is a neighbour of c7 too,
    # equal and won, so c7 loses.
    perm = connected_to([1, 1, 2, 0, 3, 3, 1, 1], 3)
    sp = planted(backend_name, perm, global_inhibition=False, local_area_density=0.34,
                 wrap_around=wrap)
    replace(sp, inhibition_radius=1)
    assert sp.compute(np.arange(3), learn=False).tolist() == expected


@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize(("shape", "radius"), [((40,), 3), ((6, 7), 1), ((6, 7), 2)])
def test_local_inhibition_matches_the_spec_scan(backend_name, wrap, shape, radius):
    gen = np.random.default_rng(sum(shape) + radius + wrap)
    columns = int(np.prod(shape))
    inputs = 12
    perm = np.where(gen.random((columns, inputs)) < 0.3, F(0.5), F(0.01)).astype(np.float32)
    sp = SpatialPooler((inputs,) + (1,) * (len(shape) - 1), shape,
                       potential_radius=inputs, global_inhibition=False,
                       local_area_density=0.2, stimulus_threshold=1, wrap_around=wrap,
                       backend=backend_name)
    replace(sp, permanences=perm, inhibition_radius=radius)
    for _ in range(5):
        active = sp.compute(np.flatnonzero(gen.random(inputs) < 0.5), learn=False)
        expected = spec_local_inhibition(sp.boosted_overlaps, radius, shape, wrap, F(0.2), 1)
        assert active.tolist() == expected


# -- step 4b: duty cycles -------------------------------------------------------------------------
def test_duty_cycles_use_period_min_of_duty_cycle_period_and_iteration(backend_name):
    # Two columns each connected to its own input; one winner per step; perms never move.
    sp = planted(backend_name, [[0.5, 0.0], [0.0, 0.5]], local_area_density=0.5, duty_cycle_period=3, syn_perm_active_inc=0,
                 syn_perm_inactive_dec=0)
    steps = [([0], [1, 0], [1, 0]), ([1], [0, 1], [0, 1]), ([0], [1, 0], [1, 0]),
             ([0, 1], [1, 1], [0, 1])]  # (input, overlap > 0, active); the tie goes to column 1
    odc = np.zeros(2, F)
    adc = np.zeros(2, F)
    for t, (inp, overlapped, active) in enumerate(steps, start=1):
        period = min(3, t)
        decay, increment = F(F(period - 1) / F(period)), F(F(1) / F(period))
        odc = np.where(np.array(overlapped) > 0, odc * decay + increment, odc * decay).astype(F)
        adc = np.where(np.array(active) > 0, adc * decay + increment, adc * decay).astype(F)
        assert sp.compute(np.array(inp), learn=True).tolist() == np.flatnonzero(active).tolist()
        assert sp.overlap_duty_cycles.tolist() == odc.tolist()
        assert sp.active_duty_cycles.tolist() == adc.tolist()
    assert adc.tolist() == [F(F(F(F(0.5) * F(2 / 3)) + F(1 / 3)) * F(F(2) / F(3))),
                            F(F(F(F(0.5) * F(2 / 3)) * F(F(2) / F(3))) + F(F(1) / F(3)))]


def test_iteration_counts_steps_without_learning(backend_name):
    sp = planted(backend_name, [[0.5, 0.0], [0.0, 0.5]], local_area_density=0.5)
    sp.compute(np.array([0]), learn=False)
    assert sp.iteration == 1 and sp.overlap_duty_cycles.tolist() == [0, 0]  # no learning, no update
    sp.compute(np.array([0]), learn=True)  # iteration 2: period 2
    assert sp.iteration == 2
    assert sp.overlap_duty_cycles.tolist() == [0.5, 0.0]
    assert sp.active_duty_cycles.tolist() == [0.5, 0.0]


# -- step 4d: boosting ----------------------------------------------------------------------------
def test_boost_factor_formula_and_boosted_overlaps(backend_name):
    sp = planted(backend_name, np.eye(4, dtype=F) * F(0.5), local_area_density=0.25,
                 boost_strength=2.0, syn_perm_active_inc=0, syn_perm_inactive_dec=0)
    assert sp.compute(np.arange(4), learn=True).tolist() == [3]  # tie: highest index
    adc = sp.active_duty_cycles
    assert adc.tolist() == [0, 0, 0, 1]
    expected = [F(math.exp(float(F(F(F(0.25) - a) * F(2.0))))) for a in adc]
    assert sp.boost_factors.tolist() == expected
    assert expected[0] == F(math.exp(0.5)) and expected[3] == F(math.exp(-1.5))
    # Applied with learning off too: 1 * exp(0.5) beats 1 * exp(-1.5); the tie goes to column 2.
    assert sp.compute(np.arange(4), learn=False).tolist() == [2]
    assert sp.boosted_overlaps.tolist() == [F(1) * b for b in expected]


def test_boost_target_is_the_local_mean_under_local_inhibition(backend_name):
    # Under local inhibition the target density is the mean active duty cycle of the column's
    # neighbourhood (NuPIC's rule), summed in float32 in neighbourhood order.
    sp = planted(backend_name, np.eye(6, dtype=F) * F(0.5), local_area_density=0.2,
                 global_inhibition=False, boost_strength=1.5, syn_perm_active_inc=0,
                 syn_perm_inactive_dec=0)
    replace(sp, inhibition_radius=1, active_duty_cycles=[0.1, 0.4, 0.2, 0.0, 0.3, 0.6],
            iteration=5)
    sp.compute(np.array([1, 4]), learn=True)  # iteration 6: period 6
    adc = sp.active_duty_cycles
    assert len(set(adc.tolist())) > 3
    expected = []
    for c in range(6):
        total = F(0)
        for n in ((c - 1) % 6, c, (c + 1) % 6):
            total = F(total + adc[n])
        target = F(total / F(3))
        expected.append(F(math.exp(float(F(F(target - adc[c]) * F(1.5))))))
    assert sp.boost_factors.tolist() == expected


def test_boost_is_skipped_below_strength_1e_6(backend_name):
    sp = planted(backend_name, np.eye(4, dtype=F) * F(0.5), local_area_density=0.25,
                 boost_strength=0.0)
    replace(sp, boost_factors=[5.0, 1.0, 1.0, 1.0])
    assert sp.compute(np.arange(4), learn=False).tolist() == [3]
    assert sp.boosted_overlaps.tolist() == [1.0] * 4


# -- step 4a: learning ----------------------------------------------------------------------------
def test_learning_adapts_active_columns_only_and_clips(backend_name):
    perm = [[0.5, 0.99, 0.005, -1, 0.3],
            [0.5, 0.5, 0.5, 0.5, 0.5]]
    sp = planted(backend_name, perm, local_area_density=0.5)
    # Both columns overlap 3 (inputs 0, 1, 4): the tie goes to column 1.
    assert sp.compute(np.array([0, 1, 4]), learn=True).tolist() == [1]
    inc, dec = F(0.05), F(0.008)
    expected = [F(0.5) + inc, F(0.5) + inc, F(0.5) - dec, F(0.5) - dec, F(0.5) + inc]
    assert sp.permanences(1).tolist() == expected
    assert sp.permanences(0).tolist() == [F(0.5), F(0.99), F(0.005), F(0.3)]  # untouched
    replace(sp, permanences=[[0.5, 0.99, 0.005, -1, 0.3], [0, 0, 0, 0, 0]])
    assert sp.compute(np.array([0, 1, 4]), learn=True).tolist() == [0]
    assert sp.permanences(0).tolist() == [F(0.5) + inc, F(1.0), F(0), F(0.3) + inc]
    assert sp.potential_pool(0).tolist() == [0, 1, 2, 4]


def test_raise_to_threshold_after_learning(backend_name):
    # Boosting makes column 0 win with one connected synapse; stimulus_threshold 2 then
    # requires two: everything is raised by (connected - 1e-6 - p_2) and clipped.
    perm = [[0.3, 0.05, 0.02, 0.08], [0.01, 0.01, 0.01, 0.01]]
    sp = planted(backend_name, perm, local_area_density=0.5, stimulus_threshold=2,
                 boost_strength=1.0)
    replace(sp, boost_factors=[10.0, 1.0])
    assert sp.compute(np.array([0]), learn=True).tolist() == [0]
    adapted = [F(0.3) + F(0.05), F(0.05) - F(0.008), F(0.02) - F(0.008), F(0.08) - F(0.008)]
    p_2 = sorted(adapted)[-2]
    increment = F(THRESHOLD - p_2)
    assert sp.permanences(0).tolist() == [F(p + increment) for p in adapted]
    assert len(sp.connected_synapses(0)) >= 2
    assert sp.permanences(1).tolist() == [F(0.01)] * 4


# -- step 4c: bumping weak columns -----------------------------------------------------------------
def test_weak_columns_are_bumped_by_a_tenth_of_connected(backend_name):
    perm = [[0.5, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0], [0.05, 0.0, 0.995, -1]]
    sp = planted(backend_name, perm, local_area_density=0.34, syn_perm_active_inc=0,
                 syn_perm_inactive_dec=0)
    replace(sp, min_overlap_duty_cycles=[0.5, 0.5, 0.5])
    sp.compute(np.array([0]), learn=True)  # columns 0, 1 have overlap 1 -> duty cycle 1
    bump = F(F(0.1) / F(10))
    assert sp.permanences(2).tolist() == [F(0.05) + bump, bump, F(1.0)]
    assert sp.potential_pool(2).tolist() == [0, 1, 2]
    assert sp.permanences(0).tolist() == [0.5, 0, 0, 0]
    assert sp.connected_synapses(2).tolist() == [2]


# -- step 4e: inhibition radius and minimum duty cycles ---------------------------------------------
def spans_perm() -> np.ndarray:
    # 20 inputs, 10 columns. Spans (synapses >= connected + 1e-6): sum 120, average 12.
    perm = np.full((10, 20), 0.0, F)
    bounds = {0: (2, 13), 1: (0, 18), 3: (2, 18), 4: (1, 19), 5: (3, 11), 6: (0, 12),
              7: (10, 18), 8: (4, 15), 9: (6, 15)}  # first and last connected input
    for column, (first, last) in bounds.items():
        perm[column, first] = perm[column, last] = 0.5
    perm[2, 7] = 0.1  # exactly connected: counts for overlap, not for spans ("plus" rule)
    return perm


def test_inhibition_radius_from_connected_spans(backend_name):
    perm = spans_perm()
    spans = [12, 19, 0, 17, 19, 9, 13, 9, 12, 10]
    assert sum(spans) == 120
    # diameter = 12 * (10 / 20) = 6; radius = max(1, (6 - 1) / 2) = 2.5 -> 3 (half away from 0)
    sp = planted(backend_name, perm, global_inhibition=False, syn_perm_active_inc=0,
                 syn_perm_inactive_dec=0, local_area_density=0.2)
    replace(sp, inhibition_radius=1)
    empty = np.array([], dtype=np.int64)
    for _ in range(49):
        sp.compute(empty, learn=True)
    assert sp.inhibition_radius == 1
    sp.compute(empty, learn=False)  # the 50th call does not learn: no update
    assert sp.inhibition_radius == 1
    for _ in range(50):
        sp.compute(empty, learn=True)
    assert sp.iteration == 100 and sp.inhibition_radius == 3
    sp.compute(np.array([7]), learn=False)
    assert sp.overlaps[2] == 1  # connected at exactly 0.1, yet outside the span


def test_global_inhibition_radius_is_the_largest_column_dimension(backend_name):
    sp = SpatialPooler((12, 20), (3, 7), potential_radius=4, backend=backend_name)
    assert sp.inhibition_radius == 7
    local = SpatialPooler(20, 10, potential_radius=20, global_inhibition=False, backend=backend_name)
    replace(local, permanences=spans_perm())
    local.global_inhibition = True
    for _ in range(50):
        local.compute(np.array([0]), learn=True)
    assert local.inhibition_radius == 10


def test_radius_at_construction_comes_from_the_initial_spans(backend_name):
    sp = SpatialPooler(200, 100, potential_radius=20, global_inhibition=False, backend=backend_name)
    spans = []
    for column in range(100):
        connected = np.flatnonzero(sp.permanences(column, dense=True) >= F(F(0.1) + F(1e-6)))
        spans.append(connected[-1] - connected[0] + 1 if len(connected) else 0)
    diameter = np.mean(spans) * 0.5
    expected = max(1.0, (diameter - 1) / 2)
    assert sp.inhibition_radius == math.floor(expected + 0.5)


def test_min_duty_cycles_global_and_local(backend_name):
    gen = np.random.default_rng(5)
    perm = np.where(gen.random((12, 30)) < 0.1, F(0.5), F(0.0))
    for global_inhibition in (True, False):
        sp = planted(backend_name, perm, global_inhibition=global_inhibition,
                     min_pct_overlap_duty_cycle=0.2, local_area_density=0.25,
                     syn_perm_active_inc=0, syn_perm_inactive_dec=0, wrap_around=False)
        if not global_inhibition:
            replace(sp, inhibition_radius=2)
        for _ in range(50):
            sp.compute(np.flatnonzero(gen.random(30) < 0.2), learn=True)
        odc = sp.overlap_duty_cycles
        assert odc.max() > odc.min()
        if global_inhibition:
            expected = [F(0.2) * odc.max()] * 12
        else:
            # the radius was recomputed first at iteration 50, then used here
            radius = sp.inhibition_radius
            assert radius < 12
            expected = [F(0.2) * odc[neighbourhood(c, radius, (12,), False)].max() for c in range(12)]
        assert sp.min_overlap_duty_cycles.tolist() == expected


def test_switching_to_local_keeps_the_radius_until_the_next_update(backend_name):
    gen = np.random.default_rng(1)
    sp = SpatialPooler(64, 32, potential_radius=8, backend=backend_name, local_area_density=0.1)
    assert sp.inhibition_radius == 32
    sp.global_inhibition = False
    for step in range(1, 51):
        inputs = np.flatnonzero(gen.random(64) < 0.3)
        active = sp.compute(inputs, learn=True)
        if step < 50:
            assert sp.inhibition_radius == 32
            # radius 32 is not larger than the 32 columns: local inhibition over everything
            expected = spec_local_inhibition(sp.boosted_overlaps, 32, (32,), True, F(0.1), 0)
            assert active.tolist() == expected
    assert sp.inhibition_radius < 32


@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize(("shape", "radius"), [((50,), 4), ((50,), 30), ((7, 8), 2), ((64,), 40)])
def test_every_local_counting_method_follows_the_spec_scan(monkeypatch, wrap, shape, radius):
    # numpy picks sorting (the radius covers every column), 1-D windows with prefix sums, or
    # neighbour tables; a tiny table budget forces tables everywhere.
    gen = np.random.default_rng(radius)
    params = SpatialPoolerParams(shape, shape, local_area_density=0.15, stimulus_threshold=1,
                                 wrap_around=wrap)
    for _ in range(4):
        boosted = gen.integers(0, 4, int(np.prod(shape))).astype(F)
        boosted[gen.random(len(boosted)) < 0.2] *= F(1.25)
        expected = spec_local_inhibition(boosted, radius, shape, wrap, F(0.15), 1)
        assert local_winners(boosted, radius, F(0.15), params).tolist() == expected
        with monkeypatch.context() as patch:
            patch.setattr(sp_rules, "TABLE_BLOCK", 1)
            assert local_winners(boosted, radius, F(0.15), params).tolist() == expected


@pytest.mark.parametrize("wrap", [False, True])
def test_local_counting_with_many_distinct_values(monkeypatch, wrap):
    # Boosted overlaps are mostly distinct: 1-D counting walks shifted views instead of prefixes.
    gen = np.random.default_rng(3)
    params = SpatialPoolerParams(60, 60, local_area_density=0.1, wrap_around=wrap)
    boosted = (gen.integers(0, 5, 60) * gen.uniform(0.5, 2.0, 60)).astype(F)
    expected = spec_local_inhibition(boosted, 7, (60,), wrap, F(0.1), 0)
    monkeypatch.setattr(sp_rules, "TABLE_BLOCK", 60)
    assert local_winners(boosted, 7, F(0.1), params).tolist() == expected
