"""Tensor.sum_rows (sums of table rows named by padded sparse indices) and its gradient:
against the dense product ``x @ table`` of the 0/1 matrix the indices describe, against
central finite differences in float64, numpy against OpenCL bit for bit, repeated and
out-of-range indices, and the row-to-samples transpose the OpenCL backward is built on."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import Tensor, get_backend, no_grad
from workbench.engine import numpy_backend
from workbench.engine.cl.backend import samples_by_row

from .tensor_testing import BACKEND_NAMES, FLOAT_DTYPES


def sparse_case(rng, rows=40, width=23, samples=6, k=9, counts=None):
    """A random table, padded sorted indices (distinct within a sample, random padding) and
    the 0/1 matrix they describe."""
    table = rng.normal(size=(rows, width))
    idx = np.stack([np.sort(rng.choice(rows, k, replace=False)) for _ in range(samples)]).astype(np.int32)
    dense = np.zeros((samples, rows))
    for b in range(samples):
        n = k if counts is None else counts[b]
        dense[b, idx[b, :n]] = 1.0
        idx[b, n:] = rng.integers(0, rows, k - n)  # padding: any valid row, must be ignored
    return table, idx, dense


def sum_rows_with_grad(table, idx, counts, upstream, backend, dtype):
    t = Tensor(table.astype(dtype), backend=backend, requires_grad=True)
    out = t.sum_rows(Tensor(idx, backend=backend), counts)
    (out * Tensor(upstream.astype(dtype), backend=backend)).sum().backward()
    return out, t.grad


@pytest.mark.parametrize("ragged", [False, True], ids=["full", "ragged"])
def test_forward_and_gradient_equal_the_dense_product(backend, ragged):
    rng = np.random.default_rng(0)
    counts = np.array([9, 3, 0, 9, 1, 5], dtype=np.int32) if ragged else None
    table, idx, dense = sparse_case(rng, counts=counts)
    upstream = rng.normal(size=(6, 23))
    for dtype in [d for d in FLOAT_DTYPES if d != np.float64 or backend.fp64]:
        out, grad = sum_rows_with_grad(table, idx, counts, upstream, backend, dtype)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        assert out.shape == (6, 23) and out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), dense @ table, rtol=tol, atol=tol)
        assert grad.shape == table.shape and grad.dtype == dtype and grad.backend is backend
        np.testing.assert_allclose(grad.numpy(), dense.T @ upstream, rtol=tol, atol=tol)
        unread = dense.sum(axis=0) == 0
        assert unread.any() and np.all(grad.numpy()[unread] == 0)


@pytest.mark.parametrize("backend_name", [b for b in BACKEND_NAMES if get_backend(b).fp64])
def test_gradient_matches_finite_differences(backend_name):
    """Through a nonlinearity, so each output element's upstream gradient differs."""
    rng = np.random.default_rng(1)
    counts = np.array([4, 0, 2], dtype=np.int32)
    table, idx, _ = sparse_case(rng, rows=7, width=3, samples=3, k=4, counts=counts)
    weights = rng.normal(size=(3, 3))

    def loss(t):
        return (t.sum_rows(Tensor(idx, backend=backend_name), counts).tanh()
                * Tensor(weights, backend=backend_name)).sum()

    t = Tensor(table, backend=backend_name, requires_grad=True)
    loss(t).backward()
    numeric = np.zeros_like(table)
    eps = 1e-6
    with no_grad():
        for j in np.ndindex(table.shape):
            plus, minus = table.copy(), table.copy()
            plus[j] += eps
            minus[j] -= eps
            numeric[j] = (loss(Tensor(plus, backend=backend_name)).item()
                          - loss(Tensor(minus, backend=backend_name)).item()) / (2 * eps)
    np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ragged", [False, True], ids=["full", "ragged"])
def test_every_backend_equals_numpy_bit_for_bit(backend, ragged):
    """Both backends add rows in index order and samples in sample order, FP_CONTRACT off."""
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 60, 20).astype(np.int32) if ragged else None
    table, idx, _ = sparse_case(rng, rows=500, width=300, samples=20, k=60, counts=counts)
    upstream = rng.normal(size=(20, 300))
    ref_out, ref_grad = sum_rows_with_grad(table, idx, counts, upstream, "numpy", np.float32)
    out, grad = sum_rows_with_grad(table, idx, counts, upstream, backend, np.float32)
    np.testing.assert_array_equal(out.numpy(), ref_out.numpy())
    np.testing.assert_array_equal(grad.numpy(), ref_grad.numpy())


@pytest.mark.parametrize("name", [b for b in BACKEND_NAMES if b.startswith("opencl")])
@pytest.mark.parametrize("gpu_layout", [False, True], ids=["cpu-chunks", "gpu-columns"])
def test_both_opencl_layouts_on_this_device(name, gpu_layout, monkeypatch):
    """CPUs run sum_rows.cl with a slice of columns per work-item, GPUs with one column each
    (and a guarded last group); both are valid OpenCL, so both are checked whatever the device
    is, at widths that leave a partial chunk and a partial group."""
    be = get_backend(name)
    monkeypatch.setattr(be.runtime, "is_gpu", gpu_layout)
    rng = np.random.default_rng(5)
    for width in (23, 300):
        counts = rng.integers(0, 30, 9).astype(np.int32)
        table, idx, _ = sparse_case(rng, rows=200, width=width, samples=9, k=30, counts=counts)
        upstream = rng.normal(size=(9, width))
        ref_out, ref_grad = sum_rows_with_grad(table, idx, counts, upstream, "numpy", np.float32)
        out, grad = sum_rows_with_grad(table, idx, counts, upstream, be, np.float32)
        np.testing.assert_array_equal(out.numpy(), ref_out.numpy())
        np.testing.assert_array_equal(grad.numpy(), ref_grad.numpy())


def test_numpy_blocks_of_samples_and_padding_across_block_edges(monkeypatch):
    """The numpy forward gathers a few samples at a time; a tiny block budget must give the
    same sums (one sample per block, and ragged padding zeroed in each)."""
    rng = np.random.default_rng(3)
    counts = np.array([5, 0, 2, 5, 1, 3, 4], dtype=np.int32)
    table, idx, dense = sparse_case(rng, rows=30, width=8, samples=7, k=5, counts=counts)
    for budget in (1, 5 * 8 * 8 * 3, 1 << 20):
        monkeypatch.setattr(numpy_backend, "GATHER_BYTES", budget)
        out = Tensor(table).sum_rows(idx, counts)
        np.testing.assert_allclose(out.numpy(), dense @ table, rtol=1e-12)


def test_repeated_and_unsorted_indices_count_every_time(backend):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    idx = np.array([[2, 0, 2], [3, 1, 0], [1, 1, 1]], dtype=np.int32)
    upstream = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 2]], dtype=np.float32)
    out, grad = sum_rows_with_grad(table, idx, None, upstream, backend, np.float32)
    np.testing.assert_array_equal(out.numpy(), [table[2] * 2 + table[0], table[3] + table[1] + table[0],
                                                table[1] * 3])
    # d out[b, c] / d table[r, c] = how often sample b names row r
    expected = np.zeros((4, 3), np.float32)
    for b in range(3):
        for r in idx[b]:
            expected[r] += upstream[b]
    np.testing.assert_array_equal(grad.numpy(), expected)


def test_empty_batches_and_samples(backend):
    table = Tensor(np.ones((5, 4), np.float32), backend=backend, requires_grad=True)
    none = table.sum_rows(np.zeros((2, 0), np.int32))
    np.testing.assert_array_equal(none.numpy(), np.zeros((2, 4)))
    zero_counts = table.sum_rows(np.array([[1, 2]], np.int32), counts=[0])
    np.testing.assert_array_equal(zero_counts.numpy(), np.zeros((1, 4)))
    zero_counts.sum().backward()
    np.testing.assert_array_equal(table.grad.numpy(), np.zeros((5, 4)))


def test_index_errors(backend):
    table = Tensor(np.zeros((5, 2), np.float32), backend=backend)
    with pytest.raises(IndexError, match="index 5 is out of range for a table of 5 rows"):
        table.sum_rows(np.array([[0, 5]], np.int32))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        table.sum_rows(np.array([[-1, 0]], np.int32))
    with pytest.raises(ValueError, match=r"counts must lie in 0..2 \(got 3..3\)"):
        table.sum_rows(np.array([[0, 1]], np.int32), counts=[3])
    with pytest.raises(ValueError, match="counts must be 1 int32 values"):
        table.sum_rows(np.array([[0, 1]], np.int32), counts=[1, 1])
    with pytest.raises(ValueError, match=r"indices must be a \(samples, k\) int32 array"):
        table.sum_rows(np.array([0, 1], np.int32))
    with pytest.raises(ValueError, match="2-D float table"):
        Tensor(np.zeros((5, 2), np.int32), backend=backend).sum_rows(np.array([[0]], np.int32))
    # padding past a count is never read, so it need not be a valid row
    out = table.sum_rows(np.array([[1, 99]], np.int32), counts=[1])
    np.testing.assert_array_equal(out.numpy(), np.zeros((1, 2)))


def test_out_of_range_indices_on_a_device_read_as_zero_rows(backend):
    """Indices already on a device are not read back to check them: a bad one adds nothing
    (forward and backward). Host indices are checked instead."""
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    idx = Tensor(np.array([[1, 7], [-3, 4]], np.int32), backend=backend)
    t = Tensor(table, backend=backend, requires_grad=True)
    if not backend.is_opencl:
        with pytest.raises(IndexError, match="index 7 is out of range"):
            t.sum_rows(idx)
        return
    out = t.sum_rows(idx)
    np.testing.assert_array_equal(out.numpy(), [table[1], table[4]])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[0, 0], [1, 1], [0, 0], [0, 0], [1, 1]])


def test_samples_by_row_hand_computed():
    idx = np.array([[4, 1, 4, 9], [1, 0, 7, 7], [2, 4, 3, 3]], dtype=np.int32)
    counts = np.array([3, 2, 4], dtype=np.int32)
    rows, offsets, samples = samples_by_row(idx, counts, num_rows=9)
    # sample 0 reads 4, 1, 4; sample 1 reads 1, 0; sample 2 reads 2, 4, 3, 3 (9 is past count 3)
    np.testing.assert_array_equal(rows, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(offsets, [0, 1, 3, 4, 6, 9])
    np.testing.assert_array_equal(samples, [1, 0, 1, 2, 2, 2, 0, 0, 2])
    assert rows.dtype == offsets.dtype == samples.dtype == np.int32
    rows, offsets, samples = samples_by_row(np.array([[-1, 3, 8]], np.int32), None, num_rows=5)
    np.testing.assert_array_equal(rows, [3])  # out-of-range indices are left out
    np.testing.assert_array_equal(offsets, [0, 1])
    empty = samples_by_row(np.zeros((2, 0), np.int32), None, num_rows=5)
    assert [a.tolist() for a in empty] == [[], [0], []]


def test_samples_by_row_beyond_uint16_rows():
    """Row numbers of 2**16 and more sort as int32 (the uint16 radix sort would wrap them)."""
    idx = np.array([[70000, 5], [5, 65536]], dtype=np.int32)
    rows, offsets, samples = samples_by_row(idx, None, num_rows=80000)
    np.testing.assert_array_equal(rows, [5, 65536, 70000])
    np.testing.assert_array_equal(offsets, [0, 2, 3, 4])
    np.testing.assert_array_equal(samples, [0, 1, 1, 0])
