"""SDR (HTM_SPEC.md "SDR"): construction, views, operations, noise, metrics, on hand-built cases."""

import pickle

import numpy as np
import pytest

from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.sdr import SDR
from workbench.engine.htm.sdr_metrics import RunningAverage, SDRMetrics


# -- construction -----------------------------------------------------------------------------
def test_empty_sdr_from_shape():
    sdr = SDR(10)
    assert sdr.shape == (10,)
    assert sdr.size == 10
    assert sdr.sparse.tolist() == []
    assert sdr.sparse.dtype == np.uint32
    assert sdr.dense.tolist() == [0] * 10
    assert sdr.sparsity == 0.0
    assert SDR((2, 3)).size == 6


@pytest.mark.parametrize("shape", [0, (), (3, 0), -1, (2.5,), "ab", (True,)])
def test_bad_shape_is_an_error(shape):
    with pytest.raises(ValueError, match="shape"):
        SDR(shape)


def test_shape_beyond_uint32_indices_is_an_error():
    with pytest.raises(ValueError, match="2\\*\\*32"):
        SDR((2**16, 2**16 + 1))


def test_from_sparse_keeps_indices_and_is_read_only():
    sdr = SDR.from_sparse((2, 5), [1, 4, 9])
    assert sdr.sparse.tolist() == [1, 4, 9]
    assert sdr.sparse.dtype == np.uint32
    assert sdr.active_count == 3
    assert sdr.sparsity == 0.3
    with pytest.raises(ValueError):
        sdr.sparse[0] = 2


def test_from_sparse_copies_the_callers_array():
    indices = np.array([1, 2], dtype=np.uint32)
    sdr = SDR.from_sparse(5, indices)
    indices[0] = 0
    assert sdr.sparse.tolist() == [1, 2]


@pytest.mark.parametrize(
    "indices, message",
    [
        ([3, 10], "index 10 is out of range for shape \\(10,\\)"),
        ([-1, 3], "index -1 is out of range"),
        ([2, 2, 5], "index 2 appears twice at position 1"),
        ([2, 7, 5], "index 5 follows 7 at position 2"),
        ([1.0, 2.0], "must be integers \\(got dtype float64\\)"),
        ([[1, 2]], "one-dimensional"),
    ],
)
def test_from_sparse_errors_name_the_bad_value(indices, message):
    with pytest.raises(ValueError, match=message):
        SDR.from_sparse(10, indices)


def test_from_indices_sorts_and_merges_duplicates():
    sdr = SDR.from_indices(10, [7, 2, 7, 0])
    assert sdr.sparse.tolist() == [0, 2, 7]
    with pytest.raises(ValueError, match="index 12 is out of range"):
        SDR.from_indices(10, [12, 1])


def test_from_dense_uses_non_zero_entries_and_caches_them():
    dense = np.array([[0, 2, 0], [1, 0, -1]])
    sdr = SDR.from_dense(dense)
    assert sdr.shape == (2, 3)
    assert sdr.sparse.tolist() == [1, 3, 5]
    assert sdr.dense.tolist() == [[0, 1, 0], [1, 0, 1]]
    dense[0, 0] = 1  # the SDR does not follow later edits of the caller's array
    assert sdr.dense[0, 0] == 0
    assert SDR.from_dense([True, False, True]).sparse.tolist() == [0, 2]


def test_from_dense_with_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match="dense array has shape \\(6,\\), expected \\(2, 3\\)"):
        SDR.from_dense(np.zeros(6), shape=(2, 3))
    assert SDR.from_dense(np.ones((2, 3)), shape=(2, 3)).active_count == 6


def test_from_coordinates_any_order():
    sdr = SDR.from_coordinates((3, 4), ([2, 0, 1], [3, 1, 0]))
    assert sdr.sparse.tolist() == [1, 4, 11]
    rows, cols = sdr.coordinates
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [1, 0, 3]
    assert SDR.from_coordinates((3, 4), ([], [])) == SDR((3, 4))


@pytest.mark.parametrize(
    "coordinates, message",
    [
        (([1],), "one index array per dimension: 2 for shape \\(3, 4\\) \\(got 1\\)"),
        (([1, 2], [0]), "equal lengths"),
        (([1, 3], [0, 0]), "coordinate 3 is out of range for dimension 0 of size 3"),
        (([1, 1], [0, -2]), "coordinate -2 is out of range for dimension 1 of size 4"),
    ],
)
def test_from_coordinates_errors(coordinates, message):
    with pytest.raises(ValueError, match=message):
        SDR.from_coordinates((3, 4), coordinates)


# -- views and value semantics ------------------------------------------------------------------
def test_dense_is_cached_read_only_and_shaped():
    sdr = SDR.from_sparse((2, 2), [0, 3])
    dense = sdr.dense
    assert dense is sdr.dense
    assert dense.dtype == np.uint8
    assert dense.tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError):
        dense[0, 1] = 1


def test_equality_and_hash():
    a = SDR.from_sparse(10, [1, 2])
    assert a == SDR.from_indices(10, [2, 1])
    assert hash(a) == hash(SDR.from_dense([0, 1, 1, 0, 0, 0, 0, 0, 0, 0]))
    assert a != SDR.from_sparse(10, [1, 3])
    assert a != SDR.from_sparse((2, 5), [1, 2])  # same bits, other shape
    assert a != [1, 2]


def test_pickle_round_trip():
    sdr = SDR.from_sparse((4, 5), [0, 7, 19])
    copy = pickle.loads(pickle.dumps(sdr))
    assert copy == sdr
    assert copy.shape == (4, 5)
    assert copy.sparse.dtype == np.uint32


def test_repr_shows_shape_and_first_bits():
    assert repr(SDR.from_sparse(100, range(10))) == "SDR(shape=(100,), active=10: [0, 1, 2, 3, 4, 5, 6, 7, ...])"


def test_reshape_keeps_flat_indices():
    sdr = SDR.from_sparse(12, [0, 5, 11]).reshape((3, 4))
    assert sdr.shape == (3, 4)
    assert [c.tolist() for c in sdr.coordinates] == [[0, 1, 2], [0, 1, 3]]
    with pytest.raises(ValueError, match="cannot reshape an SDR of size 12 to \\(5,\\) \\(size 5\\)"):
        sdr.reshape(5)


# -- set operations -----------------------------------------------------------------------------
def test_overlap_union_intersection():
    a = SDR.from_sparse(10, [0, 2, 4, 6])
    b = SDR.from_sparse(10, [2, 3, 4, 9])
    assert a.overlap(b) == b.overlap(a) == 2
    assert a.union(b).sparse.tolist() == [0, 2, 3, 4, 6, 9]
    assert a.intersection(b).sparse.tolist() == [2, 4]
    assert a.overlap(SDR(10)) == 0
    assert a.intersection(SDR(10)) == SDR(10)


@pytest.mark.parametrize("operation", ["overlap", "union", "intersection"])
def test_set_operations_need_the_same_shape(operation):
    a, b = SDR(10), SDR((2, 5))
    with pytest.raises(ValueError, match=f"{operation} needs SDRs of the same shape \\(got \\(10,\\) and \\(2, 5\\)\\)"):
        getattr(a, operation)(b)
    with pytest.raises(TypeError, match="needs another SDR"):
        getattr(a, operation)([1])


def test_concatenate_1d():
    joined = SDR.concatenate([SDR.from_sparse(3, [2]), SDR(2), SDR.from_sparse(4, [0, 3])])
    assert joined.shape == (9,)
    assert joined.sparse.tolist() == [2, 5, 8]


def test_concatenate_2d_along_both_axes():
    a = SDR.from_dense([[1, 0], [0, 1]])
    b = SDR.from_dense([[0, 1, 1], [1, 0, 0]])
    side = SDR.concatenate([a, b], axis=1)
    assert side.dense.tolist() == [[1, 0, 0, 1, 1], [0, 1, 1, 0, 0]]
    assert SDR.concatenate([a, b], axis=-1) == side
    stacked = SDR.concatenate([a, SDR.from_dense([[1, 1]])], axis=0)
    assert stacked.dense.tolist() == [[1, 0], [0, 1], [1, 1]]


def test_concatenate_errors():
    with pytest.raises(ValueError, match="at least one SDR"):
        SDR.concatenate([])
    with pytest.raises(ValueError, match="agree on the other axes \\(got \\(2, 2\\) and \\(2, 3\\)\\)"):
        SDR.concatenate([SDR((2, 2)), SDR((2, 3))], axis=0)
    with pytest.raises(ValueError, match="agree on the other axes"):
        SDR.concatenate([SDR((2, 2)), SDR(4)], axis=0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        SDR.concatenate([SDR((2, 2))], axis=2)


# -- noise and random SDRs ----------------------------------------------------------------------
def test_add_noise_follows_the_spec_recipe():
    sdr = SDR.from_sparse(10, [1, 3, 5, 7])
    noisy = sdr.add_noise(0.5, CompatRNG(42))
    # n = round(0.5 * 4) = 2. turn_off = first 2 of shuffle([1, 3, 5, 7]) with draws
    # 1608637542 % 4 = 2, 3421126067 % 3 = 2, 4083286876 % 2 = 0 -> [3, 1, 7, 5] -> {3, 1}.
    reference = CompatRNG(42)
    reference.draws(3)
    inactive = [0, 2, 4, 6, 8, 9]
    reference.shuffle(inactive)
    expected = sorted({5, 7} | set(inactive[:2]))
    assert noisy.sparse.tolist() == expected
    assert noisy.active_count == 4


def test_add_noise_rounds_half_away_and_keeps_the_count():
    sdr = SDR.from_sparse(20, [0, 1, 2, 3, 4])
    noisy = sdr.add_noise(0.5, CompatRNG(1))  # 2.5 active bits -> 3 move (Python's round: 2)
    assert noisy.active_count == 5
    assert len(set(sdr.sparse.tolist()) - set(noisy.sparse.tolist())) == 3


def test_add_noise_draws_two_full_shuffles_and_is_deterministic():
    sdr = SDR.from_sparse(100, np.arange(0, 100, 5))
    rng = CompatRNG(9)
    first = sdr.add_noise(0.1, rng)
    assert first == sdr.add_noise(0.1, CompatRNG(9))
    reference = CompatRNG(9)
    reference.draws((20 - 1) + (80 - 1))
    assert rng.draw() == reference.draw()
    assert sdr.add_noise(0.0, CompatRNG(9)) == sdr


def test_add_noise_errors():
    with pytest.raises(ValueError, match="noise fraction must be in \\[0, 1\\] \\(got 1.5\\)"):
        SDR(10).add_noise(1.5, CompatRNG(0))
    with pytest.raises(ValueError, match="cannot move 8 active bits: only 2 of 10 bits are inactive"):
        SDR.from_sparse(10, range(8)).add_noise(1.0, CompatRNG(0))


def test_randomize_samples_round_half_away_bits():
    sdr = SDR((2, 5)).randomize(0.25, CompatRNG(42))  # 2.5 -> 3 bits
    population = list(range(10))
    CompatRNG(42).shuffle(population)
    assert sdr.shape == (2, 5)
    assert sdr.sparse.tolist() == sorted(population[:3])
    assert SDR(1000).randomize(0.02, CompatRNG(5)).active_count == 20
    with pytest.raises(ValueError, match="sparsity must be in \\[0, 1\\] \\(got -0.1\\)"):
        SDR(10).randomize(-0.1, CompatRNG(0))


# -- metrics ------------------------------------------------------------------------------------
def test_running_average_is_a_mean_then_an_ema():
    stat = RunningAverage(period=2)
    assert np.isnan(stat.mean)
    for value in (0.1, 0.3):
        stat.add(value)
    assert stat.mean == pytest.approx(0.2)
    stat.add(0.5)
    assert stat.mean == pytest.approx(0.2 + (0.5 - 0.2) / 2)
    assert (stat.min, stat.max, stat.count) == (0.1, 0.5, 3)
    with pytest.raises(ValueError, match="period must be >= 1 \\(got 0\\)"):
        RunningAverage(0)


def test_sdr_metrics_hand_computed():
    metrics = SDRMetrics(4, period=2)
    for bits in ([0, 1], [1, 2], [1, 3]):
        metrics.add(SDR.from_sparse(4, bits))
    assert metrics.sparsity.mean == pytest.approx(0.5)
    # frequency: [1, 1, 0, 0] -> mean with [0, 1, 1, 0] -> [.5, 1, .5, 0] -> EMA 1/2 with [0, 1, 0, 1]
    np.testing.assert_allclose(metrics.activation_frequency, [0.25, 1.0, 0.25, 0.5])
    # successive overlaps 1/2, 1/2
    assert metrics.overlap.mean == pytest.approx(0.5)
    assert metrics.overlap.count == 2


def test_entropy_is_one_for_even_use_and_zero_for_a_stuck_bit():
    even = SDRMetrics(4, period=10)
    for bit in range(4):
        even.add(SDR.from_sparse(4, [bit]))
    assert even.entropy == pytest.approx(1.0)
    stuck = SDRMetrics(4, period=10)
    for _ in range(3):
        stuck.add(SDR.from_sparse(4, [2]))
    assert stuck.entropy == 0.0
    assert stuck.overlap.mean == 1.0
    assert SDRMetrics((2, 2), period=3).entropy == 0.0


def test_metrics_reject_another_shape():
    with pytest.raises(ValueError, match="metrics were made for shape \\(4,\\), got an SDR of shape \\(5,\\)"):
        SDRMetrics(4, period=2).add(SDR(5))


def test_unvalidated_construction_leaves_the_callers_array_writable():
    owned = np.array([1, 4], dtype=np.uint32)
    sdr = SDR.from_sparse(10, owned, validate=False)
    assert owned.flags.writeable
    assert not sdr.sparse.flags.writeable
    assert sdr.shape == (10,) and sdr.sparse.tolist() == [1, 4]
    assert SDR.from_sparse((2, 5), np.array([3], dtype=np.int64), validate=False).sparse.dtype == np.uint32
