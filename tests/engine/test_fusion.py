"""Elementwise fusion on OpenCL: lazy expressions computed by one generated kernel.

Fused results are held to the unfused kernels' bit for bit (each node is the same C expression
in the same order) and to numpy where IEEE arithmetic makes that exact; launches are counted
through ``CLRuntime.launches``. The hazards of deferring work are each provoked: inputs
overwritten in place before a lazy result is computed, results written straight into their
destination, reshapes sharing memory, chains longer than one kernel may hold.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tests.test_autograd import analytic_gradients, numeric_gradients
from workbench.engine import Tensor, get_backend, no_grad
from workbench.engine.cl import fusion
from workbench.engine.nn import MLP, SGD, Adam, cross_entropy

from .tensor_testing import BACKEND_NAMES

OPENCL = [name for name in BACKEND_NAMES if name.startswith("opencl:")]
HYPOTHESIS = settings(max_examples=20, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(params=OPENCL)
def device(request):
    backend = get_backend(request.param)
    previous = backend.fusion
    backend.fusion = True
    yield backend
    backend.fusion = previous


@contextlib.contextmanager
def fusion_off(backend):
    backend.fusion = False
    try:
        yield
    finally:
        backend.fusion = True


def launches(backend, fn):
    """(result of fn, kernels it enqueued)."""
    before = backend.runtime.launches
    out = fn()
    return out, backend.runtime.launches - before


def unfused(backend, fn):
    with fusion_off(backend):
        return fn()


def arrays(seed: int, *shapes, low=-3.0, high=3.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


# -- one kernel per chain, same bits ----------------------------------------------------------

def chain(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """Unary, binary with broadcasting, scalar on either side, where, casts and comparisons."""
    x = (a * b + 1.5).relu() - (2.0 - c) / 4.0
    y = Tensor.where(a > c, x.maximum(b), -x) * (a >= 0).cast(np.float32)
    return (y.abs() + 0.25).sqrt().exp().tanh() + (1.0 / (1.0 + (-y).exp())) * y.sigmoid()


def test_a_chain_is_one_kernel_with_the_unfused_bits(device):
    a, b, c = arrays(0, (6, 5), (5,), (6, 1))

    def run():
        out = chain(*(Tensor(v, backend=device) for v in (a, b, c)))
        return out, out.numpy()

    (_, fused), count = launches(device, run)
    (_, reference), unfused_count = launches(device, lambda: unfused(device, run))
    assert count == 1
    assert unfused_count > 20
    np.testing.assert_array_equal(fused, reference)


def test_exact_ops_equal_numpy(device):
    a, b = arrays(1, (4, 7), (1, 7))
    ta, tb = Tensor(a, backend=device), Tensor(b, backend=device)
    out = ((ta - tb) * 3.0 + ta.maximum(tb)).minimum(tb * tb) - (-ta)
    expected = np.minimum((a - b) * np.float32(3.0) + np.maximum(a, b), b * b) - (-a)
    np.testing.assert_array_equal(out.numpy(), expected)


@given(data=st.data(), shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=5))
@HYPOTHESIS
def test_broadcasting_patterns_equal_numpy(device, data, shapes):
    a, b, c = arrays(data.draw(st.integers(0, 1000)), *shapes.input_shapes)
    ta, tb, tc = (Tensor(v, backend=device) for v in (a, b, c))
    out = Tensor.where(ta < tb, ta * tc - tb, tc + 0.5) * tb
    expected = np.where(a < b, a * c - b, c + np.float32(0.5)) * b
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_more_than_six_axes_after_merging(device):
    a, b = arrays(2, (2, 1, 2, 1, 2, 1, 2, 1), (1, 2, 1, 2, 1, 2, 1, 2))
    out = (Tensor(a, backend=device) + Tensor(b, backend=device)) * 2.0
    np.testing.assert_array_equal(out.numpy(), (a + b) * np.float32(2.0))


def test_integer_and_bool_chains_equal_numpy(device):
    rng = np.random.default_rng(3)
    i = rng.integers(-50, 50, size=(3, 8)).astype(np.int32)
    u = rng.integers(0, 200, size=(8,)).astype(np.uint8)
    ti, tu = Tensor(i, backend=device), Tensor(u, backend=device)
    mask = ((ti > 0) & (tu.cast(np.int32) < 100)) | ~(ti == 3)
    out = Tensor.where(mask, (ti * 3 - 1).abs(), -ti) + tu.cast(np.int32)
    expected = np.where(((i > 0) & (u.astype(np.int32) < 100)) | ~(i == 3), np.abs(i * 3 - 1), -i) \
        + u.astype(np.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(mask.numpy(), ((i > 0) & (u < 100)) | ~(i == 3))


def test_zero_size_and_zero_d(device):
    empty = Tensor(np.zeros((0, 3), np.float32), backend=device)
    assert ((empty + 1.0) * 2.0).numpy().shape == (0, 3)
    scalar = Tensor(np.float32(2.0), backend=device)
    assert ((scalar * 3.0 + 1.0).exp() - scalar).item() == pytest.approx(np.exp(7.0) - 2.0, rel=1e-6)


def test_constants_fuse_and_fill(device):
    x = Tensor(np.arange(6, dtype=np.float32), backend=device)
    (out, count) = launches(device, lambda: (x + Tensor.full((6,), 2.0, backend=device)).numpy())
    assert count == 1
    np.testing.assert_array_equal(out, np.arange(6) + 2.0)
    ones = Tensor.ones((3, 2), backend=device)
    before = device.runtime.launches
    np.testing.assert_array_equal(ones.numpy(), np.ones((3, 2), np.float32))
    assert device.runtime.launches == before  # a fill, not a kernel


# -- reshapes and broadcasts ------------------------------------------------------------------

def test_reshape_of_a_flat_expression_stays_fused_and_shares_memory(device):
    a, b = arrays(4, (3, 4), (2, 6))
    ta, tb = Tensor(a, backend=device), Tensor(b, backend=device)
    y = ta * 2.0 + 1.0
    z = y.reshape(2, 6)
    (out, count) = launches(device, lambda: (z * tb).numpy())
    assert count == 1
    np.testing.assert_array_equal(out, (a * np.float32(2.0) + np.float32(1.0)).reshape(2, 6) * b)
    with no_grad():
        y[0, 0] = 100.0  # z is a reshape of y: like a numpy reshape, it sees the write
    assert z.numpy()[0, 0] == 100.0


def test_reshape_of_a_broadcasting_expression(device):
    a, b = arrays(5, (3, 1), (1, 4))
    y = (Tensor(a, backend=device) + Tensor(b, backend=device)).reshape(2, 6) * 2.0
    np.testing.assert_array_equal(y.numpy(), (a + b).reshape(2, 6) * np.float32(2.0))


def test_expand_is_fused_into_its_reader(device):
    a, b = arrays(6, (3, 1), (3, 4))
    ta, tb = Tensor(a, backend=device), Tensor(b, backend=device)
    (out, count) = launches(device, lambda: ((ta * 2.0).expand((3, 4)) + tb).numpy())
    assert count == 1
    np.testing.assert_array_equal(out, a * np.float32(2.0) + b)


# -- in-place writes and aliasing -------------------------------------------------------------

def test_a_lazy_result_keeps_the_values_its_input_had(device):
    (p_host,) = arrays(7, (5, 3))
    p = Tensor(p_host, backend=device)
    doubled = p * 2.0
    shifted = (doubled + 1.0).reshape(15)
    p[1:3] = 7.0
    halved = p * 0.5
    p[...] = 0.0
    p[1:3] = 7.0
    np.testing.assert_array_equal(halved.numpy()[[0, 3, 4]], p_host[[0, 3, 4]] * np.float32(0.5))
    np.testing.assert_array_equal(doubled.numpy(), p_host * np.float32(2.0))
    np.testing.assert_array_equal(shifted.numpy(), (p_host * np.float32(2.0) + np.float32(1.0)).reshape(15))
    expected = np.zeros((5, 3), np.float32)
    expected[1:3] = 7.0
    np.testing.assert_array_equal(p.numpy(), expected)


def test_writing_into_a_lazy_result_leaves_its_readers_alone(device):
    (x_host,) = arrays(8, (4,))
    y = Tensor(x_host, backend=device) + 1.0
    z = y * 3.0
    y[0] = -50.0
    np.testing.assert_array_equal(z.numpy(), (x_host + np.float32(1.0)) * np.float32(3.0))
    assert y.numpy()[0] == -50.0


@pytest.mark.parametrize("reads_target", [True, False])
def test_an_expression_written_straight_into_its_destination(device, reads_target):
    p_host, g_host = arrays(9, (6, 4), (6, 4))
    p, g = Tensor(p_host, backend=device), Tensor(g_host, backend=device)
    update = p - g * 0.5 if reads_target else g * 0.5 + 1.0
    transfers = device.runtime.transfers
    (_, count) = launches(device, lambda: p.assign_(update))
    assert (count, device.runtime.transfers) == (1, transfers)  # one kernel, no copy
    expected = p_host - g_host * np.float32(0.5) if reads_target else g_host * np.float32(0.5) + np.float32(1.0)
    np.testing.assert_array_equal(p.numpy(), expected)
    # `update` shares p's memory now; writing either must leave the other unchanged
    p[...] = 1.0
    np.testing.assert_array_equal(update.numpy(), expected)
    update[0, 0] = 42.0
    np.testing.assert_array_equal(p.numpy(), np.ones((6, 4), np.float32))
    assert update.numpy()[0, 0] == 42.0


def test_a_held_part_of_an_update_keeps_the_old_values(device):
    """A node inside the update that reads the destination and is held elsewhere: the update
    cannot be computed in place (that node would later read the new values)."""
    p_host, g_host = arrays(17, (4, 2), (4, 2))
    p, g = Tensor(p_host, backend=device), Tensor(g_host, backend=device)
    held = p * 3.0
    p.assign_(held + g)
    np.testing.assert_array_equal(p.numpy(), p_host * np.float32(3.0) + g_host)
    np.testing.assert_array_equal(held.numpy(), p_host * np.float32(3.0))


def test_writing_into_a_result_computed_into_a_parameter(device):
    p_host, g_host = arrays(16, (5,), (5,))
    p, g = Tensor(p_host, backend=device), Tensor(g_host, backend=device)
    update = g * 2.0
    p.assign_(update)
    update[1:3] = 0.0  # goes to update's own memory, not p's
    np.testing.assert_array_equal(p.numpy(), g_host * np.float32(2.0))
    expected = g_host * np.float32(2.0)
    expected[1:3] = 0.0
    np.testing.assert_array_equal(update.numpy(), expected)


def test_assignment_reversed_onto_itself(device):
    (x_host,) = arrays(10, (7,))
    x = Tensor(x_host, backend=device)
    x[::-1] = x * 2.0
    np.testing.assert_array_equal(x.numpy(), (x_host * np.float32(2.0))[::-1])


def test_a_pending_reader_of_a_parameter_survives_its_update(device):
    """SGD with weight decay keeps an expression that reads the parameter in its momentum
    state; the update overwrites the parameter in place."""
    w_host, g_host = arrays(11, (4, 3), (4, 3))

    def train(backend):
        w = Tensor(w_host, backend=backend, requires_grad=True)
        opt = SGD([w], lr=0.1, momentum=0.9, weight_decay=0.01)
        for _ in range(3):
            w.grad = Tensor(g_host, backend=backend)
            opt.step()
        return w.numpy(), opt.state[0]["momentum"].numpy()

    fused = train(device)
    reference = unfused(device, lambda: train(device))
    for f, r in zip(fused, reference):
        np.testing.assert_array_equal(f, r)


def test_scatter_add_into_a_tensor_read_by_a_lazy_result(device):
    (t_host,) = arrays(12, (3, 2))
    t = Tensor(t_host, backend=device)
    lazy = t * 1.0 + 0.0
    grown = lazy.scatter_add(np.array([0, 0], np.int32), Tensor(np.ones((2, 2), np.float32), backend=device))
    expected = t_host.copy()
    expected[0] += 2.0
    np.testing.assert_array_equal(grown.numpy(), expected)
    np.testing.assert_array_equal(lazy.numpy(), t_host)


# -- size limits, caching, switching ----------------------------------------------------------

def test_a_long_chain_is_split_into_kernels_within_the_limits(device):
    (x_host,) = arrays(13, (16,), low=0.5, high=1.5)
    x = Tensor(x_host, backend=device)

    def run():
        y = x
        for i in range(200):
            y = y * 1.001 + x if i % 2 else y - 0.001
        return y.numpy()

    out, count = launches(device, run)
    reference = unfused(device, run)
    np.testing.assert_array_equal(out, reference)
    assert 200 // fusion.MAX_NODES <= count <= 2 * (300 // fusion.MAX_NODES + 1)


def test_kernels_come_from_the_cache_after_the_first_step(device):
    """Sources are keyed by structure, not by data: new scalars and sizes build nothing."""
    def step(scale, n):
        a, b = arrays(n, (n, 3), (3,))
        return ((Tensor(a, backend=device) * scale + Tensor(b, backend=device)).exp() / scale).numpy()

    step(0.5, 8)
    programs = len(device.runtime._programs)
    out = step(0.25, 9)
    assert len(device.runtime._programs) == programs
    a, b = arrays(9, (9, 3), (3,))
    np.testing.assert_allclose(out, np.exp(a * np.float32(0.25) + b) / np.float32(0.25), rtol=2e-6)


def test_fusion_is_on_by_default_and_the_environment_turns_it_off(monkeypatch):
    monkeypatch.delenv(fusion.ENV_VAR, raising=False)
    assert fusion.fusion_enabled_by_default()
    for off in ("0", "off", "False", " no "):
        monkeypatch.setenv(fusion.ENV_VAR, off)
        assert not fusion.fusion_enabled_by_default()
    monkeypatch.setenv(fusion.ENV_VAR, "1")
    assert fusion.fusion_enabled_by_default()


def test_switching_fusion_off_launches_per_op(device):
    x = Tensor(np.ones(8, np.float32), backend=device)
    (_, count) = launches(device, lambda: unfused(device, lambda: ((x + 1.0) * 2.0).numpy()))
    assert count == 2


# -- autograd and training --------------------------------------------------------------------

def fused_function(x, w):
    """Elementwise-heavy, with broadcasting: every op's forward and backward fuse."""
    h = (x * w + 0.5).sigmoid() * x.tanh() - (x - w).relu() * (x - w).relu()
    return ((h * h + 0.5) / (1.0 + (-x).exp())).sqrt() + h.abs() * 0.1


def test_gradients_through_fused_chains_match_finite_differences(device):
    rng = np.random.default_rng(14)
    inputs = [rng.uniform(0.2, 2.0, size=(4, 5)), rng.uniform(-1.0, 1.0, size=(1, 5))]
    expected = numeric_gradients(fused_function, inputs, "numpy")
    dtype = np.float64 if device.fp64 else np.float32
    grads, _ = analytic_gradients(fused_function, inputs, device, dtype)
    tolerance = 1e-6 if device.fp64 else 2e-4
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=tolerance, atol=tolerance)


def test_mlp_training_fused_equals_unfused_with_fewer_launches(device):
    rng = np.random.default_rng(15)
    x_host = rng.standard_normal((32, 16)).astype(np.float32)
    labels = rng.integers(0, 5, 32).astype(np.int32)

    def train():
        model = MLP([16, 32, 5], "tanh", seed=0, backend=device)
        opt = Adam(model.parameters(), lr=0.01)
        x = Tensor(x_host, backend=device)
        count = 0
        for _ in range(4):
            before = device.runtime.launches
            loss = cross_entropy(model(x), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss = loss.item()
            count = device.runtime.launches - before
        return model.state_dict(), loss, count

    fused_state, fused_loss, fused_launches = train()
    state, loss, launches_unfused = unfused(device, train)
    assert fused_loss == loss
    for name in state:
        np.testing.assert_array_equal(fused_state[name], state[name], err_msg=name)
    assert fused_launches * 2 < launches_unfused


def test_an_optimiser_step_is_one_kernel_per_parameter(device):
    model = MLP([6, 8, 3], "relu", seed=1, backend=device)
    opt = Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        for p in model.parameters():
            p.grad = Tensor(np.full(p.shape, 0.5, np.float32), backend=device)
        (_, count) = launches(device, opt.step)
    assert count == len(model.parameters())
