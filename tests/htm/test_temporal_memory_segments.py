"""The Temporal Memory's segment pool: growth, adaptation and segment limits, computed by hand
from HTM_SPEC.md "Temporal Memory" rule 4."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.htm.tm_segments import SegmentPool

F32 = np.float32
INIT = F32(0.21)
CONNECTED = F32(0.3)  # connected: permanence >= 0.3


def make_segment(pool: SegmentPool, cell: int, synapses: list[tuple[int, float]]) -> int:
    """A segment with exactly these synapses, in this slot order (no RNG draw)."""
    seg = pool.create_segment(cell)
    pool.pre[seg, : len(synapses)] = [p for p, _ in synapses]
    pool.perm[seg, : len(synapses)] = [w for _, w in synapses]
    pool.count[seg] = len(synapses)
    return seg


def synapses(pool: SegmentPool, seg: int) -> list[tuple[int, float]]:
    return [(p, round(w, 6)) for p, w in pool.synapses(seg)]


def flips(pool: SegmentPool) -> set[int]:
    return set(pool.connected_flips().tolist())


def adapt(pool, segments, active, increment, decrement, min_threshold):
    """Reinforce: + increment from the active cells, - decrement from the others."""
    codes = np.zeros(pool.num_cells + 1, dtype=np.int8)
    codes[active] = 1
    codes[-1] = 2  # an empty slot's -1 reads the third delta, 0
    deltas = np.array([-F32(decrement), F32(increment), 0], dtype=F32)
    return pool.adapt(np.array(segments), codes, deltas, min_threshold)


def grow(pool, seg, requested, order):
    pool.grow(seg, requested, order, INIT)


def test_new_segment_takes_the_first_candidates_in_walk_order():
    pool = SegmentPool(100, 255, 255, CONNECTED)
    seg = pool.create_segment(3)
    grow(pool, seg, 3, [40, 10, 50, 20, 30])
    assert synapses(pool, seg) == [(40, 0.21), (10, 0.21), (50, 0.21)]
    seg = pool.create_segment(4)
    grow(pool, seg, 5, [10, 20, 30])
    assert synapses(pool, seg) == [(10, 0.21), (20, 0.21), (30, 0.21)]


def test_an_existing_candidate_is_raised_to_initial_permanence_and_gets_no_new_synapse():
    pool = SegmentPool(100, 255, 255, CONNECTED)
    seg = make_segment(pool, 3, [(20, 0.1), (99, 0.5), (30, 0.4)])
    grow(pool, seg, 5, [10, 20, 30])
    assert synapses(pool, seg) == [(20, 0.21), (99, 0.5), (30, 0.4), (10, 0.21)]


def test_max_synapses_destroys_the_weakest_non_candidates_first():
    pool = SegmentPool(100, 5, 255, CONNECTED)
    seg = make_segment(pool, 3, [(1, 0.3), (2, 0.2), (3, 0.25), (4, 0.2), (5, 0.6)])
    grow(pool, seg, 2, [4, 7])
    # overrun 2: non-candidates 2 (0.2) and 3 (0.25) go; 4 is a candidate, raised to 0.21
    assert synapses(pool, seg) == [(1, 0.3), (4, 0.21), (5, 0.6), (7, 0.21)]


def test_max_synapses_ties_go_to_the_lower_slot():
    pool = SegmentPool(100, 3, 255, CONNECTED)
    seg = make_segment(pool, 3, [(1, 0.2), (2, 0.2), (3, 0.2)])
    grow(pool, seg, 1, [9])
    assert synapses(pool, seg) == [(2, 0.2), (3, 0.2), (9, 0.21)]


def test_the_walk_stops_at_n_new_synapses_and_raises_only_what_it_passed():
    pool = SegmentPool(100, 255, 255, CONNECTED)
    seg = make_segment(pool, 3, [(20, 0.1), (40, 0.1)])
    grow(pool, seg, 2, [20, 10, 30, 40])
    # 20 raised, 10 and 30 new: n = 2 reached before 40, which keeps 0.1
    assert synapses(pool, seg) == [(20, 0.21), (40, 0.1), (10, 0.21), (30, 0.21)]


def test_full_segment_of_candidates_grows_nothing():
    pool = SegmentPool(100, 2, 255, CONNECTED)
    seg = make_segment(pool, 3, [(4, 0.3), (7, 0.3)])
    grow(pool, seg, 1, [9, 4, 7])
    assert synapses(pool, seg) == [(4, 0.3), (7, 0.3)]


def test_a_full_cell_loses_the_segment_with_the_smallest_sum_of_squared_permanences():
    pool = SegmentPool(100, 255, 3, CONNECTED)
    a = make_segment(pool, 5, [(1, 0.3), (2, 0.3)])                      # 0.18
    b = make_segment(pool, 5, [(1, 0.2), (2, 0.2), (3, 0.2), (4, 0.2)])  # 0.16
    c = make_segment(pool, 5, [(1, 0.5)])                                # 0.25
    other = pool.create_segment(6)
    new = pool.create_segment(5)
    assert new == b  # the freed index is reused at once
    assert pool.segments_of(5) == sorted([a, b, c]) and pool.count[new] == 0
    assert pool.segments_of(6) == [other]


def test_eviction_ties_go_to_the_lower_segment_index():
    pool = SegmentPool(100, 255, 2, CONNECTED)
    first = make_segment(pool, 5, [(1, 0.3)])
    make_segment(pool, 5, [(2, 0.3)])
    assert pool.create_segment(5) == first


def test_freed_segment_indices_are_reused_last_in_first_out():
    pool = SegmentPool(100, 255, 255, CONNECTED)
    segs = [pool.create_segment(c) for c in range(5)]
    pool.destroy_segment(segs[1])
    pool.destroy_segment(segs[3])
    assert [pool.create_segment(9), pool.create_segment(9), pool.create_segment(9)] == [3, 1, 5]
    assert pool.num_segments() == 6


def test_adapt_adds_in_float32_clips_at_one_and_destroys_below_one_millionth():
    pool = SegmentPool(10, 255, 255, CONNECTED)
    seg = make_segment(pool, 0, [(1, 0.21), (2, 0.05), (3, 0.95), (4, 0.1), (5, 0.3)])
    doomed = adapt(pool, [seg], [1, 3], 0.1, 0.1, 3)
    # 0.05 - 0.1 < 0 and 0.1 - 0.1 = 0 fall below 1e-6: destroyed, later slots move down
    assert pool.pre[seg, :4].tolist() == [1, 3, 5, -1] and pool.count[seg] == 3
    assert pool.perm[seg, :3].tolist() == [F32(0.21) + F32(0.1), 1.0, F32(0.3) - F32(0.1)]
    assert doomed.tolist() == [False]


def test_adapt_leaves_the_empty_slots_of_shorter_segments_empty():
    pool = SegmentPool(10, 255, 255, CONNECTED)
    long = make_segment(pool, 0, [(1, 0.5), (2, 0.5), (3, 0.5), (4, 0.5)])
    short = make_segment(pool, 1, [(2, 0.4)])
    adapt(pool, [short, long], [2], 0.1, 0.1, 1)
    assert synapses(pool, short) == [(2, 0.5)]
    assert pool.pre[short, 1:4].tolist() == [-1] * 3 and pool.perm[short, 1:4].tolist() == [0.0] * 3
    assert synapses(pool, long) == [(1, 0.4), (2, 0.6), (3, 0.4), (4, 0.4)]


def test_adapt_marks_segments_left_below_min_threshold():
    pool = SegmentPool(10, 255, 255, CONNECTED)
    seg = make_segment(pool, 0, [(1, 0.05), (2, 0.05), (3, 0.5)])
    doomed = adapt(pool, [seg], [], 0.1, 0.1, 2)
    assert pool.count[seg] == 1 and doomed.tolist() == [True]


def test_rows_widen_past_the_initial_capacity_up_to_the_maximum():
    pool = SegmentPool(1000, 100, 255, CONNECTED)
    seg = pool.create_segment(0)
    grow(pool, seg, 70, list(range(100, 170)))
    assert pool.width >= 70 and pool.width <= 100
    assert [p for p, _ in pool.synapses(seg)] == list(range(100, 170))


@pytest.mark.parametrize("n", [0, 1, 1500])
def test_state_dict_round_trip(n):
    pool = SegmentPool(5000, 40, 255, CONNECTED)
    gen = np.random.default_rng(n)
    for i in range(n):
        seg = pool.create_segment(int(gen.integers(5000)))
        grow(pool, seg, 6, sorted(gen.choice(5000, 10, replace=False).tolist()))
        if i % 7 == 3:
            pool.destroy_segment(seg)
    other = SegmentPool(5000, 40, 255, CONNECTED)
    other.load_state_dict(pool.state_dict())
    assert other.num_segments() == pool.num_segments() and other.free == pool.free
    for cell in range(5000):
        assert other.segments_of(cell) == pool.segments_of(cell)
        for s in pool.segments_of(cell):
            assert other.synapses(s) == pool.synapses(s)
    assert (other.segments_per_cell == pool.segments_per_cell).all()


def test_connected_flips_are_the_synapses_that_crossed_the_threshold_an_odd_number_of_times():
    pool = SegmentPool(10, 255, 255, CONNECTED)
    seg = make_segment(pool, 0, [(1, 0.25), (2, 0.36), (3, 0.05), (4, 0.33), (5, 0.5)])
    pool.clear_changes()
    adapt(pool, [seg], [1, 3], 0.1, 0.05, 1)
    # 0.25 -> 0.35 and 0.33 -> 0.28 cross; 0.36 -> 0.31, 0.05 -> 0.15, 0.5 -> 0.45 do not
    width = pool.width
    assert flips(pool) == {seg * width + 0, seg * width + 3}
    adapt(pool, [seg], [3], 0.1, 0.1, 1)
    # 0.35 -> 0.25 crosses back (its two flips cancel); 0.31 -> 0.21 crosses
    assert flips(pool) == {seg * width + 1, seg * width + 3}
    grow(pool, seg, 1, [4, 9])  # 4 (0.18) is raised to 0.21, still below: no flip
    assert synapses(pool, seg)[3] == (4, 0.21) and synapses(pool, seg)[5] == (9, 0.21)
    assert flips(pool) == {seg * width + 1, seg * width + 3}
    pool.clear_changes()
    assert flips(pool) == set()


def test_raising_a_synapse_over_the_threshold_is_a_flip():
    pool = SegmentPool(10, 255, 255, F32(0.2))
    seg = make_segment(pool, 0, [(1, 0.15), (2, 0.5)])
    pool.clear_changes()
    grow(pool, seg, 1, [1, 7])
    assert synapses(pool, seg) == [(1, 0.21), (2, 0.5), (7, 0.21)]
    assert flips(pool) == {seg * pool.width}


def test_growing_many_segments_at_once_equals_growing_them_one_by_one():
    gen = np.random.default_rng(8)
    candidates = np.sort(gen.choice(60, 12, replace=False))
    pools = [SegmentPool(60, 16, 255, F32(0.2)) for _ in range(2)]  # raising to 0.21 connects
    segments, requested, walks = [], [], []
    for cell in range(10):
        start = gen.choice(60, int(gen.integers(0, 16)), replace=False)
        wiring = [(int(p), float(w)) for p, w in zip(start, gen.uniform(0.05, 0.6, len(start)))]
        segments.append([make_segment(pool, cell, wiring) for pool in pools][0])
        requested.append(int(gen.integers(1, 14)))
        walks.append(gen.permutation(len(candidates)))
    for pool in pools:
        pool.clear_changes()
    pools[0].grow_many(np.array(segments), np.array(requested), candidates, np.array(walks), INIT)
    for seg, n, walk in zip(segments, requested, walks):
        pools[1].grow(seg, n, candidates[walk].tolist(), INIT)
    for seg in segments:
        assert synapses(pools[0], seg) == synapses(pools[1], seg)
    assert pools[0].layout_changed == pools[1].layout_changed
    assert flips(pools[0]) == flips(pools[1]) and flips(pools[0])


@pytest.mark.parametrize("full_cell", [False, True])
def test_creating_many_segments_at_once_equals_creating_them_one_by_one(full_cell):
    """Free indices first (last in, first out, including one freed in this step), then new
    rows past the pool's first capacity; with a full cell among them, the same evictions."""
    pools = [SegmentPool(5000, 255, 2, CONNECTED) for _ in range(2)]
    for pool in pools:
        for cell in range(900):
            make_segment(pool, cell, [(cell + 1, 0.3)])
        pool.clear_changes()
        for segment in (10, 400, 7):
            pool.destroy_segment(segment)
        if full_cell:
            make_segment(pool, 3000, [(1, 0.4)])
            make_segment(pool, 3000, [(2, 0.2)])
    cells = np.concatenate([np.arange(1000, 1300), np.arange(2000, 2100), [3000]])
    one_by_one = [pools[0].create_segment(c) for c in cells.tolist()]
    at_once = pools[1].create_segments(cells)
    assert at_once.tolist() == one_by_one
    assert one_by_one[:3] == ([10, 900, 901] if full_cell else [7, 400, 10])
    assert pools[0].n_rows > 1024
    a, b = pools
    assert a.n_rows == b.n_rows and a.free == b.free
    assert np.array_equal(a.owner[: a.n_rows], b.owner[: b.n_rows])
    assert np.array_equal(a.segments_per_cell, b.segments_per_cell)
    assert np.array_equal(a.owner, b.owner) and np.array_equal(a.segments_per_cell, b.segments_per_cell)
    assert a.layout_changed == b.layout_changed and a.values_changed == b.values_changed
    assert [synapses(a, s) for s in range(a.n_rows)] == [synapses(b, s) for s in range(b.n_rows)]


def test_creating_segments_at_once_needs_distinct_cells():
    pool = SegmentPool(100, 255, 255, CONNECTED)
    with pytest.raises(ValueError, match="distinct cells"):
        pool.create_segments(np.array([3, 5, 3]))
    assert pool.num_segments() == 0
