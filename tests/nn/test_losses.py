"""softmax / log_softmax and the losses: values against numpy, stability on huge logits,
gradients against central finite differences (float64) and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import Tensor, available_backends, get_backend, no_grad
from workbench.engine.nn import cross_entropy, log_softmax, mse_loss, softmax

LOGITS = np.array([[1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0], [3.0, -2.0, 1.0, 2.5]])


def numpy_log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax_match_numpy(backend_name, axis):
    x = Tensor(LOGITS, dtype=np.float32, backend=backend_name)
    expected = numpy_log_softmax(LOGITS, axis)
    np.testing.assert_allclose(log_softmax(x, axis).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(softmax(x, axis).numpy(), np.exp(expected), rtol=1e-5, atol=1e-7)


def test_softmax_is_stable_for_huge_logits(backend_name):
    x = Tensor([[1000.0, 1001.0, -1000.0]], backend=backend_name)  # exp(1000) overflows float32
    p = softmax(x).numpy()
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, [[1 / (1 + np.e), np.e / (1 + np.e), 0.0]], rtol=1e-6)
    np.testing.assert_allclose(log_softmax(x).numpy()[0, :2], [-np.log1p(np.e), -np.log1p(1 / np.e)],
                               rtol=1e-6)


def test_cross_entropy_hand_computed(backend_name):
    logits = Tensor([[0.0, 0.0], [np.log(3.0), 0.0]], backend=backend_name, requires_grad=True)
    loss = cross_entropy(logits, [1, 0])  # p = [1/2, 1/2] and [3/4, 1/4]
    np.testing.assert_allclose(loss.item(), (np.log(2) + np.log(4 / 3)) / 2, rtol=1e-6)
    loss.backward()  # (p - onehot) / batch
    np.testing.assert_allclose(logits.grad.numpy(), [[0.25, -0.25], [-0.125, 0.125]], rtol=1e-6)


def test_cross_entropy_with_target_probabilities(backend_name):
    logits = Tensor(LOGITS, dtype=np.float32, backend=backend_name)
    target = np.array([[0.5, 0.5, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float32)
    got = cross_entropy(logits, Tensor(target, backend=backend_name)).item()
    expected = -(numpy_log_softmax(LOGITS) * target).sum() / 3
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    hard = cross_entropy(logits, np.array([0, 3, 0])).item()
    np.testing.assert_allclose(hard, -(numpy_log_softmax(LOGITS)[[0, 1, 2], [0, 3, 0]]).mean(), rtol=1e-6)


def test_mse_hand_computed(backend_name):
    pred = Tensor([[1.0, 2.0], [3.0, 5.0]], backend=backend_name, requires_grad=True)
    loss = mse_loss(pred, np.array([[1.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(loss.item(), (0 + 4 + 0 + 1) / 4)
    loss.backward()
    np.testing.assert_allclose(pred.grad.numpy(), [[0.0, 1.0], [0.0, 0.5]])


def fd_gradient(f, x: np.ndarray, eps=1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[j] += eps
        minus[j] -= eps
        g[j] = (f(plus) - f(minus)) / (2 * eps)
    return g


WEIGHTS = np.random.default_rng(3).normal(size=LOGITS.shape)

COMPOSITES = {
    "log_softmax": lambda t: (log_softmax(t, axis=1) * Tensor(WEIGHTS, backend=t.backend)).sum(),
    "softmax_axis0": lambda t: (softmax(t, axis=0) * Tensor(WEIGHTS, backend=t.backend)).sum(),
    "cross_entropy": lambda t: cross_entropy(t, np.array([1, 3, 0])),
    "cross_entropy_soft": lambda t: cross_entropy(
        t, Tensor(np.abs(WEIGHTS) / np.abs(WEIGHTS).sum(axis=1, keepdims=True), backend=t.backend)),
    "mse": lambda t: mse_loss(t, WEIGHTS),
}
FP64_BACKENDS = [b for b in available_backends() if b != "opencl" and get_backend(b).fp64]


@pytest.mark.parametrize("name", list(COMPOSITES))
@pytest.mark.parametrize("backend_name", FP64_BACKENDS)
def test_loss_gradients_match_finite_differences(backend_name, name):
    f = COMPOSITES[name]
    x = Tensor(LOGITS, dtype=np.float64, backend=backend_name, requires_grad=True)
    f(x).backward()

    def value(a):
        with no_grad():
            return f(Tensor(a, dtype=np.float64, backend=backend_name)).item()

    np.testing.assert_allclose(x.grad.numpy(), fd_gradient(value, LOGITS), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("labels, error, match", [
    ([0, 4, 1], ValueError, "outside the 4 classes"),
    ([0, -1, 1], ValueError, "outside"),
    ([0, 1], ValueError, "expected \\(3,\\)"),
    (np.array([0.0, 1.0, 2.0]), TypeError, "integers"),
])
def test_cross_entropy_rejects_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        cross_entropy(Tensor(LOGITS), labels)


def test_loss_shape_errors():
    with pytest.raises(ValueError, match="batch, classes"):
        cross_entropy(Tensor([1.0, 2.0]), [0])
    with pytest.raises(ValueError, match="target shape"):
        mse_loss(Tensor([1.0, 2.0]), [1.0])
