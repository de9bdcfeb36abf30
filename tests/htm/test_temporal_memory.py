"""Temporal Memory behaviour (HTM_SPEC.md "Temporal Memory"), on every available backend.

Hand-wired segments (``wire``) set up the exact situations the winner rules talk about; the
learning tests use small disjoint column patterns whose outcome follows from the thresholds.
"""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

from workbench.engine.backend import opencl_problem
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm import temporal_memory
from workbench.engine.htm.temporal_memory import TemporalMemory

# OpenCL twice: with the host's learning walk and a device-counted index, and resident (every
# step on the device, tm_resident_cl); the backend's name is "opencl" either way
HOST_WALKED = ["numpy"] + (["opencl"] if opencl_problem() is None else [])
BACKENDS = HOST_WALKED + (["opencl resident"] if opencl_problem() is None else [])
F32 = np.float32


def _engine_of(name: str, monkeypatch) -> str:
    """The backend name for TemporalMemory, with OpenCL's default engine set to ``name``'s."""
    monkeypatch.setattr(temporal_memory, "resident_by_default",
                        lambda runtime: name == "opencl resident")
    return name.split()[0]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    return _engine_of(request.param, monkeypatch)


@pytest.fixture(params=HOST_WALKED)
def host_walked(request, monkeypatch):
    """The backends whose learning steps walk the columns on the host."""
    return _engine_of(request.param, monkeypatch)


def wire(tm: TemporalMemory, cell: int, presynaptic: list[int], permanence: float) -> int:
    """Give ``cell`` a segment with these synapses (no RNG draw) and refresh the dendrites."""
    pool = tm._host_pool()
    seg = pool.create_segment(cell)
    pool.grow(seg, len(presynaptic), sorted(presynaptic), F32(permanence))
    tm._compute_dendrites()
    return seg


def block(i: int, width: int) -> np.ndarray:
    return np.arange(i * width, (i + 1) * width)


# -- parameters and inputs ----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(column_shape=0), ValueError, "column_shape must be one or more integers >= 1 (got 0)"),
    (dict(column_shape=(4, 0)), ValueError, "column_shape must be one or more integers >= 1 (got (4, 0))"),
    (dict(cells_per_column=0), ValueError, "cells_per_column must be >= 1 (got 0)"),
    (dict(cells_per_column=2.5), TypeError, "cells_per_column must be an integer (got 2.5)"),
    (dict(activation_threshold=0), ValueError, "activation_threshold must be >= 1 (got 0)"),
    (dict(min_threshold=0), ValueError, "min_threshold must be >= 1 (got 0)"),
    (dict(max_new_synapse_count=0), ValueError, "max_new_synapse_count must be >= 1 (got 0)"),
    (dict(max_segments_per_cell=0), ValueError, "max_segments_per_cell must be >= 1 (got 0)"),
    (dict(max_synapses_per_segment=0), ValueError, "max_synapses_per_segment must be >= 1 (got 0)"),
    (dict(initial_permanence=1.5), ValueError, "initial_permanence must be in [0, 1] (got 1.5)"),
    (dict(connected_permanence=-0.1), ValueError, "connected_permanence must be in [0, 1] (got -0.1)"),
    (dict(permanence_increment="0.1"), TypeError, "permanence_increment must be a number (got '0.1')"),
    (dict(permanence_decrement=2), ValueError, "permanence_decrement must be in [0, 1] (got 2)"),
    (dict(predicted_segment_decrement=-1.0), ValueError,
     "predicted_segment_decrement must be in [0, 1] (got -1.0)"),
    (dict(seed=-1), ValueError, "seed must be in [0, 2**32) (got -1)"),
    (dict(backend="cuda"), ValueError, "unknown backend 'cuda'"),
])
def test_parameters_are_validated(kwargs, error, message):
    kwargs = {"column_shape": 16, **kwargs}
    with pytest.raises(error) as info:
        TemporalMemory(**kwargs)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("columns, error, message", [
    (np.array([3, 1]), ValueError, "active_columns must be sorted ascending without repeats; pass np.unique(columns)"),
    (np.array([1, 1]), ValueError, "active_columns must be sorted ascending without repeats; pass np.unique(columns)"),
    (np.array([1, 16]), ValueError, "active column 16 is out of range for 16 columns"),
    (np.array([-1, 2]), ValueError, "active column -1 is out of range for 16 columns"),
    (np.array([0.5]), TypeError, "active_columns must hold integer column indices (got float64)"),
    (np.zeros((2, 2), dtype=int), ValueError, "active_columns must be a 1-D array of column indices (got shape (2, 2))"),
])
def test_active_columns_are_validated(columns, error, message):
    tm = TemporalMemory((4, 4))
    with pytest.raises(error) as info:
        tm.compute(columns)
    assert str(info.value) == message


def test_accepts_an_sdr_like_object(backend):
    class Columns:
        sparse = np.array([2, 5], dtype=np.uint32)

    tm = TemporalMemory(8, cells_per_column=2, backend=backend)
    tm.compute(Columns())
    assert tm.active_cells.tolist() == [4, 5, 10, 11]


# -- the step -----------------------------------------------------------------------------------
def test_first_step_bursts_and_anomaly_is_nan_outside_steps(backend):
    tm = TemporalMemory(32, cells_per_column=4, backend=backend)
    assert math.isnan(tm.anomaly)
    tm.compute(np.array([1, 7]))
    assert tm.anomaly == 1.0
    assert tm.active_cells.tolist() == [4, 5, 6, 7, 28, 29, 30, 31]
    assert tm.bursting_columns.tolist() == [1, 7]
    assert tm.winner_cells.tolist() == [4, 28]  # no segments anywhere: the lowest cell
    assert tm.num_segments() == 0  # no previous winners: nothing to grow from
    tm.compute(np.array([], dtype=int))
    assert tm.anomaly == 0.0 and tm.active_cells.size == 0
    tm.reset()
    assert math.isnan(tm.anomaly) and tm.active_cells.size == 0 and tm.predictive_cells.size == 0


def test_bursting_column_grows_a_segment_to_the_previous_winners(backend):
    tm = TemporalMemory(32, cells_per_column=4, max_new_synapse_count=20, backend=backend)
    tm.compute(block(0, 3))
    tm.compute(block(1, 3))
    # winners of the first step: cells 0, 4, 8; min(20, 3) synapses at initial permanence
    for column in (3, 4, 5):
        assert tm.segments_of(4 * column) == [(column - 3, [(0, F32(0.21)), (4, F32(0.21)), (8, F32(0.21))])]
    assert tm.num_synapses() == 9


def test_learned_sequence_is_predicted(backend):
    kw = dict(cells_per_column=4, activation_threshold=8, min_threshold=5, max_new_synapse_count=10)
    tm = TemporalMemory(100, backend=backend, **kw)
    seq = [block(i, 10) for i in range(4)]
    for _ in range(4):  # 0.21 + 3 * 0.1 >= 0.5: connected after the fourth pass
        for cols in seq:
            tm.compute(cols)
        tm.reset()
    anomalies, bursting = [], []
    for i, cols in enumerate(seq):
        tm.compute(cols)
        anomalies.append(tm.anomaly)
        bursting.append(tm.bursting_columns.tolist())
        if i < 3:
            assert np.unique(tm.predictive_cells // 4).tolist() == seq[i + 1].tolist()
            assert tm.predictive_columns.tolist() == seq[i + 1].tolist()
        if i > 0:
            assert tm.active_cells.tolist() == tm.winner_cells.tolist()
            assert len(tm.active_cells) == 10
    assert anomalies == [1.0, 0.0, 0.0, 0.0]
    assert bursting[1:] == [[], [], []]


def test_a_surprise_bursts_exactly_the_unpredicted_columns(backend):
    kw = dict(cells_per_column=4, activation_threshold=8, min_threshold=5, max_new_synapse_count=10)
    tm = TemporalMemory(100, backend=backend, **kw)
    a, b = block(0, 10), block(1, 10)
    for _ in range(4):
        tm.compute(a)
        tm.compute(b)
        tm.reset()
    tm.compute(a)
    predicted = tm.predictive_cells.copy()
    surprise = np.concatenate([b[:6], block(5, 10)[:4]])
    tm.compute(surprise)
    assert tm.bursting_columns.tolist() == block(5, 10)[:4].tolist()
    assert tm.anomaly == float(F32(4) / F32(10))
    expected = sorted(predicted[predicted // 4 < 16].tolist() + list(range(200, 216)))
    assert tm.active_cells.tolist() == expected


@pytest.mark.parametrize("learn", [True, False])
def test_bursting_winner_is_the_cell_of_the_best_matching_segment(backend, learn):
    tm = TemporalMemory(8, cells_per_column=4, activation_threshold=3, min_threshold=2,
                        max_new_synapse_count=3, backend=backend)
    tm.compute(np.array([0, 1, 2]), learn=False)  # cells 0-11 active, winners 0, 4, 8
    weak = wire(tm, 21, [0, 1], 0.21)       # 2 active potential synapses
    first = wire(tm, 22, [0, 1, 5], 0.21)   # 3: the most
    wire(tm, 23, [2, 3, 6], 0.21)           # 3 as well, but later in (cell, segment) order
    assert tm.matching_segments.tolist() == [weak, first, first + 1]
    rng_before = tm.state_dict()["rng"]
    tm.compute(np.array([5]), learn=learn)
    assert tm.bursting_columns.tolist() == [5]
    assert tm.winner_cells.tolist() == [22]
    assert tm.state_dict()["rng"] == rng_before  # max_new - 3 = 0: nothing to grow
    grown = F32(0.31) if learn else F32(0.21)
    assert tm.segments_of(22)[0][1] == [(0, grown), (1, grown), (5, grown)]
    assert tm.segments_of(21)[0][1] == [(0, F32(0.21)), (1, F32(0.21))]


@pytest.mark.parametrize("learn", [True, False])
def test_bursting_winner_falls_back_to_the_lowest_previous_winner_without_a_draw(backend, learn):
    tm = TemporalMemory(8, cells_per_column=4, activation_threshold=3, min_threshold=2,
                        connected_permanence=0.5, backend=backend)
    tm.compute(np.array([3]))                 # cells 12-15
    wire(tm, 2, [12, 13, 14], 0.6)            # cells 1 and 2 of column 0 are predicted
    wire(tm, 1, [13, 14, 15], 0.6)
    tm.compute(np.array([0]))
    assert tm.winner_cells.tolist() == [1, 2] and tm.anomaly == 0.0
    rng_before = tm.state_dict()["rng"]
    tm.compute(np.array([0]), learn=learn)    # nothing predicts column 0 now: it bursts
    assert tm.bursting_columns.tolist() == [0]
    assert tm.winner_cells.tolist() == [1]    # not cell 0, which has the fewest segments
    assert tm.state_dict()["rng"] == rng_before  # min(20, 2 winners): no shuffle either
    if learn:
        assert [syns for _, syns in tm.segments_of(1)][-1] == [(1, F32(0.21)), (2, F32(0.21))]
    else:
        assert len(tm.segments_of(1)) == 1


def test_bursting_winner_is_the_least_used_cell_after_a_shuffle(backend):
    tm = TemporalMemory(8, cells_per_column=4, seed=9, backend=backend)
    wire(tm, 8, [30], 0.3)
    wire(tm, 9, [30], 0.3)
    wire(tm, 9, [31], 0.3)
    tm.compute(np.array([2]), learn=False)   # cells 10 and 11 have none: the lower wins
    assert tm.winner_cells.tolist() == [10]
    tm.reset()
    tm.compute(np.array([2, 5]))             # no previous winners: two shuffles, no growth
    assert tm.winner_cells.tolist() == [10, 20]
    reference = CompatRNG(9)
    reference.draws(3 * 3)
    assert tm.state_dict()["rng"] == reference.state_dict()


def test_growth_never_exceeds_max_new_or_max_synapses(backend):
    tm = TemporalMemory(64, cells_per_column=4, activation_threshold=4, min_threshold=3,
                        max_new_synapse_count=5, max_synapses_per_segment=7,
                        permanence_decrement=0.02, backend=backend)
    gen = np.random.default_rng(3)
    patterns = [np.sort(gen.choice(64, 12, replace=False)) for _ in range(6)]
    before: dict[int, tuple[int, int]] = {}
    grew_to_max = False
    for step in range(150):
        tm.compute(patterns[gen.integers(6)])
        after = {s: (cell, len(syns)) for cell in range(tm.num_cells) for s, syns in tm.segments_of(cell)}
        for s, (cell, n) in after.items():
            assert n <= 7
            old = before.get(s, (cell, 0))[1] if before.get(s, (cell, 0))[0] == cell else 0
            assert n - old <= 5
            grew_to_max |= n == 7
        before = after
    assert grew_to_max


def test_growth_walks_need_only_the_first_max_new_positions_of_their_shuffles(host_walked,
                                                                             monkeypatch):
    """A step makes only the first max_new_synapse_count positions of each candidate shuffle:
    a growth's walk stops within them, though it passes the candidates already on its
    segment. Checked against the same TM with whole shuffles, on a workload whose growths
    pass such candidates. (A resident TM's kernels do the same, which its agreement with
    numpy covers.)"""
    from workbench.engine.htm import shuffles  # noqa: PLC0415

    def whole(rows, n, keep, raw, first_draw, runtime=None):
        return shuffles.shuffled_prefixes(rows, n, n, raw, first_draw, runtime)

    kw = dict(cells_per_column=4, activation_threshold=5, min_threshold=3, max_new_synapse_count=6,
              permanence_decrement=0.05, predicted_segment_decrement=0.01, backend=host_walked)
    gen = np.random.default_rng(8)
    patterns = [np.sort(gen.choice(128, 10, replace=False)) for _ in range(12)]
    steps = [np.unique(np.concatenate([p[2:], gen.choice(128, 2)])) if gen.random() < 0.4 else p
             for p in (patterns[i] for i in gen.integers(12, size=400))]
    runs = []
    passing = 0  # growths whose segment holds candidates already
    for shuffle in (temporal_memory.shuffled_prefixes, whole):
        monkeypatch.setattr(temporal_memory, "shuffled_prefixes", shuffle)
        tm = TemporalMemory(128, **kw)
        grow_many = tm._pool.grow_many

        def counted(segments, requested, candidates, walks, initial, tm=tm, grow_many=grow_many):
            nonlocal passing
            pre = tm._pool.pre[segments]
            passing += int(np.count_nonzero(np.isin(pre, candidates).any(axis=1)
                                            & (walks.shape[1] < len(candidates))))
            grow_many(segments, requested, candidates, walks, initial)

        tm._pool.grow_many = counted
        for cols in steps:
            tm.compute(cols)
        runs.append(tm.state_dict())
    assert passing > 20
    assert pickle.dumps(runs[0]) == pickle.dumps(runs[1])


def test_punishment_only_with_a_predicted_segment_decrement(backend):
    kw = dict(cells_per_column=4, activation_threshold=8, min_threshold=5, max_new_synapse_count=10)
    results = {}
    for psd in (0.0, 0.05):
        tm = TemporalMemory(100, predicted_segment_decrement=psd, backend=backend, **kw)
        a, b, c = block(0, 10), block(1, 10), block(2, 10)
        for _ in range(2):
            tm.compute(a)
            tm.compute(b)
            tm.reset()
        tm.compute(a)   # B's segments match (A's winners active) but B does not come
        tm.compute(c)
        results[psd] = [w for cell in range(40, 80) for _, syns in tm.segments_of(cell) for _, w in syns]
    assert len(results[0.0]) == 100 and set(results[0.0]) == {F32(0.31)}
    assert len(results[0.05]) == 100 and set(results[0.05]) == {F32(0.31) - F32(0.05)}


def test_a_segment_with_more_than_32767_connected_active_synapses_is_active(backend):
    """The device packs a segment's two counts into 16 bits each: the connected count's top
    bit is a count, not a sign."""
    n = 33_000
    tm = TemporalMemory(n, cells_per_column=1, activation_threshold=n, min_threshold=n,
                        max_new_synapse_count=n, initial_permanence=0.6, connected_permanence=0.5,
                        max_synapses_per_segment=n, backend=backend)
    tm.compute(np.arange(n))         # every column bursts: n winners, no segment yet
    tm.compute(np.array([5]))        # a segment on cell 5 to all n of them
    tm.compute(np.arange(n), learn=False)
    assert tm.active_segments.tolist() == [0] and tm.predictive_cells.tolist() == [5]


def test_learn_off_changes_no_synapse(backend):
    tm = TemporalMemory(64, cells_per_column=4, backend=backend)
    gen = np.random.default_rng(0)
    for _ in range(20):
        tm.compute(np.sort(gen.choice(64, 8, replace=False)))
    before = [tm.segments_of(c) for c in range(tm.num_cells)]
    for _ in range(20):
        tm.compute(np.sort(gen.choice(64, 8, replace=False)), learn=False)
    assert [tm.segments_of(c) for c in range(tm.num_cells)] == before


def test_high_order_sequences_are_told_apart(backend):
    tm = TemporalMemory(256, cells_per_column=8, activation_threshold=12, min_threshold=8,
                        max_new_synapse_count=16, predicted_segment_decrement=0.05, backend=backend)
    pattern = {k: block(i, 16) for i, k in enumerate("ABCDXY")}
    for _ in range(15):
        for seq in ("ABCD", "XBCY"):
            for k in seq:
                tm.compute(pattern[k])
            tm.reset()
    c_cells, predicted = {}, {}
    for seq in ("ABCD", "XBCY"):
        for k in seq[:3]:
            tm.compute(pattern[k], learn=False)
            assert tm.bursting_columns.size == 0 or k == seq[0]
        c_cells[seq] = set(tm.active_cells.tolist())
        predicted[seq] = np.unique(tm.predictive_cells // 8).tolist()
        tm.reset()
    assert len(c_cells["ABCD"]) == len(c_cells["XBCY"]) == 16
    assert not c_cells["ABCD"] & c_cells["XBCY"]
    assert predicted["ABCD"] == pattern["D"].tolist()
    assert predicted["XBCY"] == pattern["Y"].tolist()


def test_views_are_read_only(backend):
    tm = TemporalMemory(16, cells_per_column=2, backend=backend)
    tm.compute(np.array([1, 2]))
    for view in (tm.active_cells, tm.winner_cells, tm.predictive_cells, tm.predictive_columns,
                 tm.bursting_columns, tm.active_segments, tm.matching_segments):
        assert view.dtype == np.uint32
        with pytest.raises(ValueError):
            view[:1] = 0
    with pytest.raises(ValueError, match="cell 32 is out of range for 32 cells"):
        tm.segments_of(32)


# -- state --------------------------------------------------------------------------------------
def _run(tm, steps, gen, patterns):
    out = []
    for i in range(steps):
        if i % 37 == 36:
            tm.reset()
        cols = patterns[gen.integers(len(patterns))]
        tm.compute(cols, learn=i % 11 != 5)
        out.append((tm.active_cells.tolist(), tm.winner_cells.tolist(), tm.predictive_cells.tolist(),
                    tm.anomaly, tm.active_segments.tolist()))
    return out


def test_segment_views_agree_with_numpy(backend):
    """A cell's segments and synapses, its segment count, and the totals, after learning (a
    resident TM reads them from the device: a cell's rows, not the whole pool)."""
    kw = dict(cells_per_column=4, activation_threshold=4, min_threshold=3, max_new_synapse_count=6,
              max_segments_per_cell=3, max_synapses_per_segment=9, predicted_segment_decrement=0.02)
    gen = np.random.default_rng(4)
    patterns = [np.sort(gen.choice(64, 8, replace=False)) for _ in range(6)]
    reference, tm = TemporalMemory(64, **kw), TemporalMemory(64, backend=backend, **kw)
    for i in range(150):
        cols = patterns[i % 6] if i % 7 else patterns[gen.integers(6)]
        for model in (reference, tm):
            model.compute(cols)
    cells = [c for c in range(tm.num_cells) if reference.num_segments(c)]
    assert len(cells) > 20
    for cell in cells + [0, tm.num_cells - 1]:
        assert tm.segments_of(cell) == reference.segments_of(cell), cell
        assert tm.num_segments(cell) == reference.num_segments(cell), cell
    assert (tm.num_segments(), tm.num_synapses()) == (reference.num_segments(),
                                                      reference.num_synapses())
    with pytest.raises(ValueError, match="cell 256 is out of range for 256 cells"):
        tm.num_segments(256)


@pytest.mark.skipif(opencl_problem() is not None, reason="needs an OpenCL device")
@pytest.mark.parametrize("lanes", [1, 8, 32])
def test_a_resident_tm_counts_the_same_with_any_lanes_a_row(lanes, monkeypatch):
    """The resident count splits a row among ``lanes`` work items (8 on a GPU, 1 on a CPU
    device by default): the same segments, counts and predictions as numpy for each."""
    from functools import partialmethod  # noqa: PLC0415

    from workbench.engine.htm import tm_resident_cl  # noqa: PLC0415

    engine = tm_resident_cl.ResidentEngine
    monkeypatch.setattr(engine, "__init__", partialmethod(engine.__init__, lanes=lanes))
    kw = dict(cells_per_column=4, activation_threshold=5, min_threshold=3, max_new_synapse_count=20,
              max_synapses_per_segment=70, predicted_segment_decrement=0.01)
    gen = np.random.default_rng(6)
    patterns = [np.sort(gen.choice(256, 24, replace=False)) for _ in range(8)]
    reference = TemporalMemory(256, **kw)
    tm = TemporalMemory(256, backend="opencl", resident=True, **kw)
    assert tm._engine.lanes == lanes
    for i in range(200):
        cols = patterns[i % 8] if i % 5 else np.sort(gen.choice(256, 24, replace=False))
        for model in (reference, tm):
            model.compute(cols, learn=i < 150)
        for view in ("predictive_cells", "matching_segments", "active_segments"):
            assert np.array_equal(getattr(tm, view), getattr(reference, view)), (i, view)
    assert pickle.dumps(tm.state_dict()) == pickle.dumps(reference.state_dict())
    with pytest.raises(ValueError, match="lanes must be a power of two from 1 to 256"):
        engine(tm._engine.runtime, 16, 1, tm.params(), np.float32(0.5), lanes=3)


@pytest.mark.skipif(opencl_problem() is not None, reason="needs an OpenCL device")
def test_a_resident_tm_refuses_what_its_keys_cannot_hold(monkeypatch):
    with pytest.raises(ValueError, match="takes cells_per_column <= 65535 \\(got 70000\\); use "
                                         "resident=False or numpy"):
        TemporalMemory(2, cells_per_column=70_000, backend="opencl", resident=True)
    with pytest.raises(ValueError, match="takes max_synapses_per_segment <= 65535"):
        TemporalMemory(2, max_synapses_per_segment=70_000, backend="opencl", resident=True)
    monkeypatch.setattr(temporal_memory, "resident_by_default", lambda runtime: True)
    tm = TemporalMemory(2, max_synapses_per_segment=70_000, backend="opencl")  # not asked:
    assert not tm._resident  # the host walk takes it


@pytest.mark.skipif(opencl_problem() is not None, reason="needs an OpenCL device")
@pytest.mark.parametrize("resident", [False, True])
def test_the_least_used_tally_may_wrap(resident):
    """The device counts least-used choices (whose random draws the host spends) in 32 bits;
    a tally that wraps still spends every draw: the same winners and generator state as
    numpy's."""
    kw = dict(cells_per_column=4, seed=3, activation_threshold=3, min_threshold=2)
    reference = TemporalMemory(64, **kw)
    tm = TemporalMemory(64, backend="opencl", resident=resident, **kw)
    engine = tm._engine
    gen = np.random.default_rng(0)
    for model in (reference, tm):  # the device's buffers made (by its first count)
        model.compute(np.arange(10))
        model.compute(np.arange(10, 20), learn=False)
        model.anomaly  # read back: nothing is owed to the generator before the tally is set
    start = 2**31 - 3  # the tally (found[1]) 3 choices short of wrapping
    engine.cl.enqueue_copy(engine.queue, engine._found, np.array([start], dtype=np.int32),
                           dst_offset=4)
    engine._tally_seen = start
    for step in range(12):  # views unread: runs of inference steps run on the device
        cols = np.sort(gen.choice(64, 10, replace=False))
        for model in (reference, tm):
            model.compute(cols, learn=step % 4 == 3)
    tm.anomaly
    assert tm._engine._tally_seen < 0  # the tally wrapped: int32 -2**31 and on
    assert tm.winner_cells.tolist() == reference.winner_cells.tolist()
    assert tm._rng.state_dict() == reference._rng.state_dict()


def test_state_dict_round_trip(backend):
    kw = dict(cells_per_column=4, activation_threshold=5, min_threshold=3, max_new_synapse_count=8,
              predicted_segment_decrement=0.01, max_segments_per_cell=4, max_synapses_per_segment=12)
    gen = np.random.default_rng(1)
    patterns = [np.sort(gen.choice(128, 10, replace=False)) for _ in range(30)]
    tm = TemporalMemory(128, backend=backend, **kw)
    _run(tm, 300, gen, patterns)
    saved = pickle.loads(pickle.dumps(tm.state_dict()))
    gen_state = copy.deepcopy(gen.bit_generator.state)
    expected = _run(tm, 100, gen, patterns)
    restored = TemporalMemory(128, seed=5, backend=backend, **{**kw})
    with pytest.raises(ValueError, match="seed: saved 42, this TM 5"):
        restored.load_state_dict(saved)
    restored = TemporalMemory(128, backend=backend, **kw)
    inactive = np.setdiff1d(np.arange(tm.num_cells), saved["active_cells"])[:1]
    with pytest.raises(ValueError, match="winner cells are not all among its active cells"):
        restored.load_state_dict({**saved, "winner_cells": inactive})
    assert restored.num_synapses() == 0  # nothing was loaded
    restored.load_state_dict(saved)
    gen.bit_generator.state = gen_state
    assert _run(restored, 100, gen, patterns) == expected
    assert restored.num_synapses() == tm.num_synapses()


def test_backends_agree_over_a_long_random_sequence_workload(backend, monkeypatch):
    """Identical active and predictive cells, step by step, numpy vs this backend (numpy vs
    numpy checks that two runs are identical); on OpenCL every step's shuffles run on the
    device."""
    monkeypatch.setattr("workbench.engine.htm.temporal_memory.DEVICE_SHUFFLE_SWAPS", 0)
    gen = np.random.default_rng(11)
    sequences = [[np.sort(gen.choice(512, 20, replace=False)) for _ in range(25)] for _ in range(8)]
    kw = dict(cells_per_column=8, activation_threshold=10, min_threshold=7, max_new_synapse_count=15,
              predicted_segment_decrement=0.004, max_segments_per_cell=16, max_synapses_per_segment=24)
    reference = TemporalMemory(512, **kw)
    tm = TemporalMemory(512, backend=backend, **kw)
    order = gen.integers(len(sequences), size=80)
    steps = predicted = 0
    for s in order:
        for cols in sequences[s]:
            noisy = np.unique(np.concatenate([cols[2:], gen.choice(512, 2)])) if gen.random() < 0.2 else cols
            reference.compute(noisy)
            tm.compute(noisy)
            assert np.array_equal(tm.active_cells, reference.active_cells), steps
            assert np.array_equal(tm.predictive_cells, reference.predictive_cells), steps
            steps += 1
            predicted += reference.anomaly < 0.5
        reference.reset()
        tm.reset()
    assert steps == 2000
    assert tm.num_synapses() == reference.num_synapses() > 0
    assert predicted > 1000  # the workload is learned: the comparison covers predictions


def test_backends_agree_over_random_parameter_sets(backend, monkeypatch):
    """Twenty-four random parameter sets (one cell per column or several, thresholds, growth and
    segment limits small enough to hit, four with growth large enough to widen the rows, permanence steps, punishment): numpy and this backend
    give the same cells, winners and anomaly, with the views read after some steps and not
    others (so that inference steps run on the device between reads), learning on and off,
    resets, every shuffle on the device; and the same state at the end."""
    monkeypatch.setattr("workbench.engine.htm.temporal_memory.DEVICE_SHUFFLE_SWAPS", 0)
    widths = []
    for k in range(24):
        wide = k >= 20  # growth large enough to widen the rows past 32 and 64
        gen = np.random.default_rng(1000 + k)
        columns = int(gen.choice([16, 64, 256]))
        kw = dict(cells_per_column=int(gen.integers(1, 6)), activation_threshold=int(gen.integers(1, 7)),
                  min_threshold=int(gen.integers(1, 7)),
                  max_new_synapse_count=int(gen.integers(1, 60 if wide else 14)),
                  max_synapses_per_segment=int(gen.integers(1, 300 if wide else 40)),
                  max_segments_per_cell=int(gen.integers(1, 5)),
                  initial_permanence=float(gen.choice([0.21, 0.5])),
                  connected_permanence=float(gen.choice([0.3, 0.5])),
                  permanence_increment=float(gen.choice([0.0, 0.1, 0.25])),
                  permanence_decrement=float(gen.choice([0.0, 0.1, 0.3])),
                  predicted_segment_decrement=float(gen.choice([0.0, 0.01, 0.2])),
                  seed=int(gen.integers(1000)))
        active = int(gen.integers(2, columns // 3))
        patterns = [np.sort(gen.choice(columns, active, replace=False)) for _ in range(8)]
        reference, tm = TemporalMemory(columns, **kw), TemporalMemory(columns, backend=backend, **kw)
        for step in range(120):
            cols = patterns[gen.integers(8)] if gen.random() < 0.8 else \
                np.sort(gen.choice(columns, active, replace=False))
            learn = gen.random() < 0.7
            if gen.random() < 0.05:
                reference.reset()
                tm.reset()
            reference.compute(cols, learn=learn)
            tm.compute(cols, learn=learn)
            if gen.random() < 0.5:
                for view in ("active_cells", "winner_cells", "predictive_cells"):
                    assert np.array_equal(getattr(tm, view), getattr(reference, view)), (k, step, kw)
                assert np.array_equal(tm.anomaly, reference.anomaly, equal_nan=True), (k, step)
        assert pickle.dumps(tm.state_dict()) == pickle.dumps(reference.state_dict()), (k, kw)
        widths.append(reference.state_dict()["pool"]["width"])
    assert max(widths) > 64


def test_falls_back_to_numpy_with_a_warning_when_kernels_do_not_build(monkeypatch):
    from workbench.engine.backend import BackendFallbackWarning
    from workbench.engine.cl.runtime import KernelBuildError
    from workbench.engine.htm import tm_dendrites_cl

    def broken(self, *args):
        raise KernelBuildError("tm_dendrites.cl failed to build: test")

    monkeypatch.setattr(tm_dendrites_cl.DeviceDendrites, "__init__", broken)
    with pytest.warns(BackendFallbackWarning):
        tm = TemporalMemory(16, cells_per_column=2, backend="opencl", resident=False)
    assert tm.backend_name == "numpy"
    tm.compute(np.array([3]))
    assert tm.active_cells.tolist() == [6, 7]


@pytest.mark.skipif(opencl_problem() is not None, reason="needs an OpenCL device")
def test_a_resident_tm_walks_learning_on_the_host_when_its_kernels_do_not_build(monkeypatch):
    from workbench.engine.backend import BackendFallbackWarning
    from workbench.engine.cl.runtime import KernelBuildError
    from workbench.engine.htm import tm_resident_cl

    def broken(self, *args):
        raise KernelBuildError("tm_resident.cl failed to build: test")

    monkeypatch.setattr(tm_resident_cl.ResidentEngine, "__init__", broken)
    with pytest.warns(BackendFallbackWarning, match="walked on the host instead"):
        tm = TemporalMemory(16, cells_per_column=2, backend="opencl", resident=True)
    assert tm.backend_name.startswith("opencl:") and not tm._resident
    tm.compute(np.array([3]))
    assert tm.active_cells.tolist() == [6, 7]
