"""SGD and Adam: hand-computed steps, a numpy reference of Adam, state round trips."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import Tensor
from workbench.engine.nn import SGD, Adam, Parameter

START = np.array([1.0, -2.0, 0.5], dtype=np.float32)
CURVATURE = np.array([1.0, 0.5, 4.0], dtype=np.float32)


def quadratic_step(p: Parameter, optimizer) -> None:
    """loss = sum(c * p^2) / 2, so grad = c * p."""
    optimizer.zero_grad()
    (Tensor(CURVATURE, backend=p.backend) * p * p * 0.5).sum().backward()
    optimizer.step()


def test_plain_sgd_step(backend_name):
    p = Parameter(Tensor(START, backend=backend_name))
    quadratic_step(p, SGD([p], lr=0.1))
    np.testing.assert_allclose(p.numpy(), START - 0.1 * CURVATURE * START, rtol=1e-6)


def test_sgd_momentum_and_weight_decay_by_hand(backend_name):
    p = Parameter(Tensor(START, backend=backend_name))
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    expected, buf = START.astype(np.float64), None
    for _ in range(3):
        quadratic_step(p, opt)
        g = CURVATURE * expected + 0.01 * expected
        buf = g if buf is None else 0.9 * buf + g
        expected = expected - 0.1 * buf
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5)


def test_adam_matches_the_paper_formulas(backend_name):
    p = Parameter(Tensor(START, backend=backend_name))
    opt = Adam([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.02)
    x, m, v = START.astype(np.float64), 0.0, 0.0
    for t in range(1, 6):
        quadratic_step(p, opt)
        g = CURVATURE * x + 0.02 * x
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        x = x - 0.05 * (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-6)
    np.testing.assert_allclose(p.numpy(), x, rtol=2e-5)


def test_first_adam_step_moves_each_weight_by_lr(backend_name):
    """With bias correction the first step is lr * sign(grad), whatever the gradient's size."""
    p = Parameter(Tensor(START, backend=backend_name))
    quadratic_step(p, Adam([p], lr=0.01))
    np.testing.assert_allclose(p.numpy(), START - 0.01 * np.sign(START), rtol=1e-5)


def test_parameters_without_gradient_are_left_alone():
    a, b = Parameter(Tensor(START)), Parameter(Tensor(START))
    opt = Adam([a, b], lr=0.1)
    quadratic_step(a, opt)
    np.testing.assert_array_equal(b.numpy(), START)
    assert not np.array_equal(a.numpy(), START)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: Adam(ps, lr=0.1)], ids=["sgd", "adam"])
def test_state_dict_round_trip_continues_identically(backend_name, make):
    p = Parameter(Tensor(START, backend=backend_name))
    opt = make([p])
    for _ in range(3):
        quadratic_step(p, opt)
    q = Parameter(Tensor(p.numpy(), backend=backend_name))
    resumed = make([q])
    resumed.load_state_dict(opt.state_dict())
    for _ in range(2):
        quadratic_step(p, opt)
        quadratic_step(q, resumed)
    np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_optimiser_argument_errors():
    p = Parameter(Tensor(START))
    with pytest.raises(ValueError, match="learning rate"):
        SGD([p], lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD([p], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="no parameters"):
        Adam([], lr=0.1)
    with pytest.raises(TypeError, match="require grad"):
        SGD([Tensor(START)], lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        Adam([p], betas=(0.9, 1.0))
    opt = Adam([p], lr=0.1)
    quadratic_step(p, opt)
    other = Adam([p, Parameter(Tensor(START))], lr=0.1)
    with pytest.raises(ValueError, match="holds 1 parameters"):
        other.load_state_dict(opt.state_dict())
