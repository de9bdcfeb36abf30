"""Reverse-mode autograd: every differentiable primitive against central finite differences
(float64, on every backend with fp64), OpenCL gradients against numpy's in float32 on the same
inputs, and the mechanics (scalar and explicit upstream gradients, accumulation into leaves,
broadcasting, reuse, no_grad, detach).

Each case is checked through ``sum(f(inputs) * W)`` for a fixed random ``W``, so every output
element carries a different weight and a wrong gradient for any one of them shows.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import Tensor, available_backends, get_backend, no_grad

BACKENDS = [b for b in available_backends() if b != "opencl"]
FP64_BACKENDS = [b for b in BACKENDS if get_backend(b).fp64]
OPENCL_BACKENDS = [b for b in BACKENDS if b.startswith("opencl:")]


def uniform(*shape, low=-2.0, high=2.0):
    return lambda rng: rng.uniform(low, high, size=shape)


def away_from_zero(*shape, low=0.3, high=2.0):
    """Values of random sign with |x| in [low, high): clear of the kinks of relu and abs."""
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def distinct(*shape):
    """A shuffled grid with a 0.25 spacing: no ties, so max/min have one clear winner."""
    n = int(np.prod(shape))
    return lambda rng: (rng.permutation(n) * 0.25 - n * 0.125 + rng.uniform(0, 0.01)).reshape(shape)


IDX = np.array([2, 0, 2, 1], dtype=np.int32)  # repeated index: gradients must accumulate
ALONG = np.array([[0, 2], [1, 1], [3, 0]], dtype=np.int32)
COND = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])

# (id, function of the input tensors, input makers)
CASES = [
    ("neg", lambda x: -x, [uniform(3, 4)]),
    ("exp", lambda x: x.exp(), [uniform(3, 4)]),
    ("log", lambda x: x.log(), [uniform(3, 4, low=0.2, high=3.0)]),
    ("sqrt", lambda x: x.sqrt(), [uniform(3, 4, low=0.2, high=3.0)]),
    ("abs", lambda x: x.abs(), [away_from_zero(3, 4)]),
    ("relu", lambda x: x.relu(), [away_from_zero(3, 4)]),
    ("sigmoid", lambda x: x.sigmoid(), [uniform(3, 4, low=-4, high=4)]),
    ("tanh", lambda x: x.tanh(), [uniform(3, 4)]),
    ("add", lambda a, b: a + b, [uniform(3, 4), uniform(3, 4)]),
    ("sub", lambda a, b: a - b, [uniform(3, 4), uniform(3, 4)]),
    ("mul", lambda a, b: a * b, [uniform(3, 4), uniform(3, 4)]),
    ("div", lambda a, b: a / b, [uniform(3, 4), away_from_zero(3, 4, low=0.5)]),
    ("pow", lambda a, b: a ** b, [uniform(3, 4, low=0.3, high=2.0), uniform(3, 4)]),
    ("maximum", lambda a, b: a.maximum(b), [distinct(3, 4), distinct(3, 4)]),
    ("minimum", lambda a, b: a.minimum(b), [distinct(3, 4), distinct(3, 4)]),
    ("add_broadcast_row", lambda a, b: a + b, [uniform(3, 4), uniform(4)]),
    ("mul_broadcast_outer", lambda a, b: a * b, [uniform(3, 1), uniform(1, 4)]),
    ("sub_broadcast_rank", lambda a, b: a - b, [uniform(2, 3, 4), uniform(3, 1)]),
    ("div_broadcast", lambda a, b: a / b, [uniform(2, 3), away_from_zero(2, 1, low=0.5)]),
    ("maximum_broadcast", lambda a, b: a.maximum(b), [distinct(3, 4), distinct(4)]),
    ("scalar_add", lambda x: x + 2.5, [uniform(3, 4)]),
    ("scalar_sub", lambda x: x - 2.5, [uniform(3, 4)]),
    ("scalar_rsub", lambda x: 2.5 - x, [uniform(3, 4)]),
    ("scalar_mul", lambda x: x * -1.5, [uniform(3, 4)]),
    ("scalar_div", lambda x: x / 4.0, [uniform(3, 4)]),
    ("scalar_rdiv", lambda x: 3.0 / x, [away_from_zero(3, 4, low=0.5)]),
    ("scalar_pow", lambda x: x ** 2.5, [uniform(3, 4, low=0.3, high=2.0)]),
    ("scalar_rpow", lambda x: 2.0 ** x, [uniform(3, 4)]),
    ("scalar_maximum", lambda x: x.maximum(0.1), [away_from_zero(3, 4)]),
    ("scalar_minimum", lambda x: x.minimum(-0.1), [away_from_zero(3, 4)]),
    ("where", lambda a, b: Tensor.where(Tensor(COND, backend=a.backend), a, b),
     [uniform(3, 4), uniform(3, 4)]),
    ("where_broadcast", lambda a, b: Tensor.where(Tensor(COND, backend=a.backend), a, b),
     [uniform(4), uniform(3, 1)]),
    ("where_scalar", lambda a: Tensor.where(Tensor(COND, backend=a.backend), a, 0.5), [uniform(3, 4)]),
    ("sum_all", lambda x: x.sum(), [uniform(3, 4)]),
    ("sum_axis0", lambda x: x.sum(axis=0), [uniform(3, 4)]),
    ("sum_axis1_keepdims", lambda x: x.sum(axis=1, keepdims=True), [uniform(2, 3, 4)]),
    ("mean_all", lambda x: x.mean(), [uniform(3, 4)]),
    ("mean_last", lambda x: x.mean(axis=-1), [uniform(2, 3, 4)]),
    ("max_all", lambda x: x.max(), [distinct(3, 4)]),
    ("max_axis1", lambda x: x.max(axis=1), [distinct(3, 4)]),
    ("min_axis0_keepdims", lambda x: x.min(axis=0, keepdims=True), [distinct(3, 4)]),
    ("matmul", lambda a, b: a @ b, [uniform(3, 4), uniform(4, 2)]),
    ("matmul_vector_matrix", lambda a, b: a @ b, [uniform(4), uniform(4, 3)]),
    ("matmul_matrix_vector", lambda a, b: a @ b, [uniform(3, 4), uniform(4)]),
    ("matmul_batched", lambda a, b: a @ b, [uniform(2, 3, 4), uniform(2, 4, 2)]),
    ("matmul_broadcast_batch", lambda a, b: a @ b, [uniform(2, 3, 4), uniform(4, 2)]),
    ("reshape", lambda x: x.reshape(2, 6) * Tensor(np.arange(12.0).reshape(2, 6), dtype=x.dtype,
                                                   backend=x.backend), [uniform(3, 4)]),
    ("transpose", lambda x: x.T, [uniform(3, 4)]),
    ("permute", lambda x: x.permute(2, 0, 1), [uniform(2, 3, 4)]),
    ("swapaxes", lambda x: x.swapaxes(0, 2), [uniform(2, 3, 4)]),
    ("slice_step", lambda x: x[1:3, ::2], [uniform(3, 4)]),
    ("slice_reverse", lambda x: x[::-1], [uniform(5)]),
    ("index_int_none", lambda x: x[None, 1], [uniform(3, 4)]),
    ("index_ellipsis", lambda x: x[..., 0], [uniform(2, 3, 4)]),
    ("expand", lambda x: x.expand((3, 2, 4)), [uniform(2, 1)]),
    ("concatenate", lambda a, b: Tensor.concatenate([a, b, a], axis=1), [uniform(2, 3), uniform(2, 1)]),
    ("stack", lambda a, b: Tensor.stack([a, b], axis=0), [uniform(2, 3), uniform(2, 3)]),
    ("take_rows", lambda x: x.take(IDX, axis=0), [uniform(3, 4)]),
    ("take_columns", lambda x: x.take(IDX, axis=1), [uniform(2, 3)]),
    ("take_2d_index", lambda x: x.take(ALONG, axis=0), [uniform(4, 2)]),
    ("getitem_array", lambda x: x[[2, 0, 2]], [uniform(3, 4)]),
    ("take_along_axis", lambda x: x.take_along_axis(ALONG, axis=1), [uniform(3, 4)]),
    ("scatter_add", lambda t, s: t.scatter_add(IDX, s, axis=0), [uniform(3, 2), uniform(4, 2)]),
    ("scatter_add_along", lambda t, s: t.scatter_add(ALONG, s, axis=1, along=True),
     [uniform(3, 4), uniform(3, 2)]),
    ("chain", lambda a, b: ((a @ b).tanh() * a.sum(axis=1, keepdims=True)).exp().mean(axis=0),
     [uniform(3, 4, low=-1, high=1), uniform(4, 2, low=-1, high=1)]),
]
CASE_IDS = [c[0] for c in CASES]


def make_inputs(case, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [maker(rng) for maker in case[2]]


def weights_for(shape, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def analytic_gradients(fn, arrays, backend, dtype):
    inputs = [Tensor(a.astype(dtype), backend=backend, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    w = Tensor(weights_for(out.shape).astype(dtype), backend=backend)
    (out * w).sum().backward()
    return [t.grad for t in inputs], out


def weighted_value(fn, arrays, backend) -> float:
    with no_grad():
        out = fn(*[Tensor(a, dtype=np.float64, backend=backend) for a in arrays])
        return float((out.numpy() * weights_for(out.shape)).sum())


def numeric_gradients(fn, arrays, backend, eps: float = 1e-6) -> list[np.ndarray]:
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            shifted = [x.copy() for x in arrays]
            shifted[i][j] = a[j] + eps
            plus = weighted_value(fn, shifted, backend)
            shifted[i][j] = a[j] - eps
            minus = weighted_value(fn, shifted, backend)
            g[j] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("backend_name", FP64_BACKENDS)
def test_gradient_matches_finite_differences(backend_name, case):
    arrays = make_inputs(case)
    grads, _ = analytic_gradients(case[1], arrays, backend_name, np.float64)
    expected = numeric_gradients(case[1], arrays, backend_name)
    for i, (g, e) in enumerate(zip(grads, expected)):
        assert g.dtype == np.float64 and g.shape == arrays[i].shape
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-6, atol=1e-7, err_msg=f"input {i}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("backend_name", OPENCL_BACKENDS)
def test_opencl_gradients_match_numpy_float32(backend_name, case):
    arrays = make_inputs(case, seed=7)
    reference, ref_out = analytic_gradients(case[1], arrays, "numpy", np.float32)
    grads, out = analytic_gradients(case[1], arrays, backend_name, np.float32)
    np.testing.assert_allclose(out.numpy(), ref_out.numpy(), rtol=1e-5, atol=1e-6)
    for i, (g, r) in enumerate(zip(grads, reference)):
        assert g.backend is get_backend(backend_name) and g.dtype == np.float32
        scale = max(np.abs(r.numpy()).max(), 1.0)
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-5, atol=1e-5 * scale,
                                   err_msg=f"input {i}")


def test_a_wrong_rule_would_be_caught():
    """The finite-difference check is sharp: a gradient off by 1 % in one element fails it."""
    case = CASES[CASE_IDS.index("tanh")]
    arrays = make_inputs(case)
    grads, _ = analytic_gradients(case[1], arrays, "numpy", np.float64)
    wrong = grads[0].numpy()
    wrong[1, 2] *= 1.01
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, numeric_gradients(case[1], arrays, "numpy")[0],
                                   rtol=1e-6, atol=1e-7)


# -- mechanics ------------------------------------------------------------------------------

def test_scalar_backward_and_hand_computed_gradient(backend_name):
    x = Tensor([1.0, -2.0, 3.0], backend=backend_name, requires_grad=True)
    ((x * x * x).sum() + (x * 2.0).sum()).backward()  # d/dx (x^3 + 2x) = 3x^2 + 2
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 14.0, 29.0])


def test_explicit_upstream_gradient(backend_name):
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], backend=backend_name, requires_grad=True)
    y = x * x
    y.backward(Tensor([[1.0, 0.0], [-1.0, 0.5]], backend=backend_name))
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 0.0], [-6.0, 4.0]])


def test_backward_needs_a_scalar_or_a_matching_gradient(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="does not match"):
        (x * 2.0).backward(Tensor([1.0, 1.0, 1.0], backend=backend_name))
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor([1.0], backend=backend_name).sum().backward()


def test_gradients_accumulate_into_leaves_until_cleared(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_broadcast_gradients_are_summed_back(backend_name):
    col = Tensor([[1.0], [2.0], [3.0]], backend=backend_name, requires_grad=True)
    row = Tensor([[10.0, 20.0]], backend=backend_name, requires_grad=True)
    (col * row).sum().backward()
    np.testing.assert_allclose(col.grad.numpy(), [[30.0], [30.0], [30.0]])
    np.testing.assert_allclose(row.grad.numpy(), [[6.0, 6.0]])


def test_reused_input_and_diamond_graph(backend_name):
    x = Tensor([2.0, -1.0], backend=backend_name, requires_grad=True)
    a = x * 3.0
    y = a * a + a + x  # 9x^2 + 3x + x  ->  18x + 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [40.0, -14.0])


def test_only_leaves_get_grad_and_intermediates_stay_empty(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    c = Tensor([5.0, 6.0], backend=backend_name)
    h = x * c
    h.sum().backward()
    assert h.grad is None and c.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 6.0])


def test_no_grad_records_nothing_and_restores(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    with no_grad():
        y = x * 2.0
        with no_grad():
            pass
        z = x * 2.0
    assert not y.requires_grad and not z.requires_grad
    w = x * 2.0
    assert w.requires_grad
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_detach_cuts_the_graph(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    y = x * x.detach()  # gradient flows only through the first factor
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])


def test_view_and_slice_gradients_land_in_place(backend_name):
    x = Tensor(np.arange(12.0).reshape(3, 4), backend=backend_name, requires_grad=True)
    (x[1:, 1:3].T * 2.0).sum().backward()
    expected = np.zeros((3, 4))
    expected[1:, 1:3] = 2.0
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_gather_scatter_gradients_count_repeats(backend_name):
    x = Tensor(np.ones((3, 2)), backend=backend_name, requires_grad=True)
    x.take(np.array([2, 2, 0, 2], dtype=np.int32), axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1], [0, 0], [3, 3]])


@pytest.mark.parametrize("backend_name", FP64_BACKENDS)
def test_cast_gradient_returns_in_the_source_dtype(backend_name):
    x = Tensor([1.5, -2.0], dtype=np.float32, backend=backend_name, requires_grad=True)
    (x.cast(np.float64) * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_integer_tensors_cannot_require_grad(backend_name):
    with pytest.raises(TypeError, match="float"):
        Tensor([1, 2], backend=backend_name, requires_grad=True)


def test_in_place_assignment_to_a_tracked_tensor_is_refused(backend_name):
    x = Tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 5.0
    with no_grad():
        x[0] = 5.0
    np.testing.assert_allclose(x.numpy(), [5.0, 2.0])


def test_wide_row_gather_gradient_adds_like_add_at_bit_for_bit():
    """The numpy backend adds repeated rows in rounds (fast); the sums must equal
    ``np.add.at``'s sequential ones exactly, with a non-zero target as well."""
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 40, size=(6, 50)).astype(np.int32)  # every row repeated many times
    w = Tensor(rng.normal(size=(40, 32)).astype(np.float32), requires_grad=True)
    up = rng.normal(size=(6, 50, 32)).astype(np.float32)
    w.take(idx, axis=0).backward(Tensor(up))
    expected = np.zeros((40, 32), np.float32)
    np.add.at(expected, idx.reshape(-1), up.reshape(-1, 32))
    np.testing.assert_array_equal(w.grad.numpy(), expected)
    target = rng.normal(size=(40, 32)).astype(np.float32)
    got = Tensor(target).scatter_add(idx, Tensor(up), axis=0).numpy()
    np.add.at(target, idx.reshape(-1), up.reshape(-1, 32))
    np.testing.assert_array_equal(got, target)
