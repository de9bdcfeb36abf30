"""Linear, SparseLinear and activations against numpy, and SparseLinear against a dense Linear."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import Tensor, no_grad
from workbench.engine.nn import Linear, ReLU, Sigmoid, SparseBatch, SparseLinear, Tanh


def test_linear_matches_numpy_forward_and_backward(backend_name):
    layer = Linear(5, 3, seed=3, backend=backend_name)
    w, b = layer.weight.numpy(), np.linspace(-1, 1, 3).astype(np.float32)
    with no_grad():
        layer.bias[...] = b
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    up = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    xt = Tensor(x, backend=backend_name, requires_grad=True)
    y = layer(xt)
    np.testing.assert_allclose(y.numpy(), x @ w + b, rtol=1e-5, atol=1e-6)
    (y * Tensor(up, backend=backend_name)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), x.T @ up, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), up.sum(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), up @ w.T, rtol=1e-5, atol=1e-5)


def test_linear_without_bias_and_wrong_width():
    layer = Linear(2, 2, seed=0, bias=False)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="2 features"):
        layer(Tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match=">= 1"):
        Linear(0, 2, seed=0)


@pytest.mark.parametrize("module, reference", [
    (ReLU(), lambda x: np.maximum(x, 0)),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (Tanh(), np.tanh),
])
def test_activations_match_numpy(backend_name, module, reference):
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    np.testing.assert_allclose(module(Tensor(x, backend=backend_name)).numpy(), reference(x),
                               rtol=1e-6, atol=1e-7)


def sdr_rows(rng, batch, size, counts):
    return [np.sort(rng.choice(size, c, replace=False)) for c in counts[:batch]]


@pytest.mark.parametrize("ragged", [False, True], ids=["equal_counts", "ragged_counts"])
def test_sparse_linear_equals_dense_linear(backend_name, ragged):
    """Same seed, same weights: the forward pass and every gradient agree with a Linear fed
    the dense 0/1 SDR, and the weight gradient is zero outside the active rows."""
    size, out, batch = 300, 16, 6
    rng = np.random.default_rng(0)
    counts = [30, 12, 30, 1, 0, 25] if ragged else [30] * batch
    rows = sdr_rows(rng, batch, size, counts)
    dense = np.zeros((batch, size), dtype=np.float32)
    for i, r in enumerate(rows):
        dense[i, r] = 1.0
    sparse = SparseLinear(size, out, seed=9, backend=backend_name)
    linear = Linear(size, out, seed=9, backend=backend_name)
    np.testing.assert_array_equal(sparse.weight.numpy(), linear.weight.numpy())
    up = Tensor(rng.normal(size=(batch, out)).astype(np.float32), backend=backend_name)

    y_sparse = sparse(rows)
    y_dense = linear(Tensor(dense, backend=backend_name))
    np.testing.assert_allclose(y_sparse.numpy(), y_dense.numpy(), rtol=1e-5, atol=1e-5)
    (y_sparse * up).sum().backward()
    (y_dense * up).sum().backward()
    np.testing.assert_allclose(sparse.weight.grad.numpy(), linear.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sparse.bias.grad.numpy(), linear.bias.grad.numpy(), rtol=1e-5, atol=1e-5)
    touched = np.unique(np.concatenate(rows))
    untouched = np.setdiff1d(np.arange(size), touched)
    assert np.all(sparse.weight.grad.numpy()[untouched] == 0)
    assert np.all(np.abs(sparse.weight.grad.numpy()[touched]).sum(axis=1) > 0)


def test_sparse_batch_padding_and_mask():
    batch = SparseBatch.from_indices([[3, 1], [4], []], in_features=5)
    np.testing.assert_array_equal(batch.indices.numpy(), [[3, 1], [4, 0], [0, 0]])
    np.testing.assert_array_equal(batch.mask.numpy().reshape(3, 2), [[1, 1], [1, 0], [0, 0]])
    uniform = SparseBatch.from_indices(np.array([[0, 2], [1, 3]]), in_features=5)
    assert uniform.mask is None and uniform.batch_size == 2


def test_sparse_linear_empty_sample_gives_the_bias():
    layer = SparseLinear(4, 2, seed=0)
    with no_grad():
        layer.bias[...] = [0.5, -0.5]
    np.testing.assert_array_equal(layer([[], [1]]).numpy()[0], [0.5, -0.5])


@pytest.mark.parametrize("rows, error, match", [
    ([[1, 7]], ValueError, "outside 0..4"),
    ([[-1]], ValueError, "outside 0..4"),
    ([[2, 2]], ValueError, "repeat"),
    ([[0.5]], TypeError, "integers"),
    ([[[1, 2]]], ValueError, "one-dimensional"),
    ([], ValueError, "at least one sample"),
])
def test_sparse_linear_rejects_bad_indices(rows, error, match):
    with pytest.raises(error, match=match):
        SparseLinear(5, 2, seed=0)(rows)


def test_sparse_batch_from_a_padded_device_tensor_and_counts(backend_name):
    indices = Tensor(np.array([[4, 1, 0], [2, 3, 3]], dtype=np.int32), backend=backend_name)
    layer = SparseLinear(5, 3, seed=1, backend=backend_name)
    y = layer(SparseBatch.from_padded(indices, counts=[2, 2]))
    expected = layer([[4, 1], [2, 3]])
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6)
    assert SparseBatch.from_padded(indices, counts=[3, 3]).mask is None
    with pytest.raises(ValueError, match="counts must be 2 integers in 0..3"):
        SparseBatch.from_padded(indices, counts=[4, 1])
    with pytest.raises(ValueError, match="int32"):
        SparseBatch.from_padded(Tensor(np.zeros((2, 2), np.float32)))
