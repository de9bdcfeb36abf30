"""Module bookkeeping: parameter discovery, modes, state_dict round trips, seeded initialisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.engine import Generator, Tensor
from workbench.engine.nn import MLP, Linear, Module, Parameter, ReLU, Sequential, Tanh
from workbench.engine.nn import init


class TwoBranch(Module):
    def __init__(self, backend):
        super().__init__()
        self.scale = Parameter(Tensor([2.0], backend=backend))
        self.left = Linear(3, 2, seed=0, backend=backend)
        self.right = Sequential(Linear(2, 2, seed=1, backend=backend), Tanh())

    def forward(self, x):
        return self.right(self.left(x)) * self.scale


def test_parameters_are_found_by_attribute_in_definition_order(backend_name):
    m = TwoBranch(backend_name)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "left.weight", "left.bias", "right.0.weight", "right.0.bias"]
    assert m.parameters()[1] is m.left.weight
    assert m.num_parameters() == 1 + 3 * 2 + 2 + 2 * 2 + 2
    assert all(p.requires_grad for p in m.parameters())


def test_reassigning_an_attribute_replaces_the_registration():
    m = TwoBranch("numpy")
    m.left = ReLU()
    assert [n for n, _ in m.named_parameters()] == ["scale", "right.0.weight", "right.0.bias"]


def test_submodule_assignment_before_init_is_explained():
    class Broken(Module):
        def __init__(self):
            self.layer = Linear(1, 1, seed=0)

        def forward(self, x):
            return self.layer(x)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_train_and_eval_reach_every_submodule():
    m = TwoBranch("numpy")
    m.eval()
    assert not m.training and not m.left.training and not m.right[1].training
    m.train()
    assert m.training and m.right[0].training


def test_state_dict_round_trip_gives_identical_outputs(backend_name):
    a, b = MLP([4, 8, 3], seed=1, backend=backend_name), MLP([4, 8, 3], seed=2, backend=backend_name)
    x = Tensor(np.random.default_rng(0).normal(size=(5, 4)), dtype=np.float32, backend=backend_name)
    assert not np.array_equal(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    weight_before = b[0].weight
    b.load_state_dict(state)
    assert b[0].weight is weight_before  # loaded in place: optimisers keep their references
    np.testing.assert_array_equal(b(x).numpy(), a(x).numpy())


def test_state_dict_is_a_copy():
    m = MLP([2, 2], seed=0)
    state = m.state_dict()
    state["0.weight"][...] = 99.0
    assert not np.any(m[0].weight.numpy() == 99.0)


def test_load_state_dict_rejects_missing_extra_and_misshaped_entries():
    m = MLP([2, 3, 2], seed=0)
    state = m.state_dict()
    with pytest.raises(KeyError, match=r"missing \['2.bias'\]"):
        m.load_state_dict({k: v for k, v in state.items() if k != "2.bias"})
    with pytest.raises(KeyError, match="unexpected"):
        m.load_state_dict({**state, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match="shape"):
        m.load_state_dict({**state, "0.bias": np.zeros(4)})


def test_mlp_structure_and_activation_choice():
    m = MLP([64, 128, 10], "tanh", seed=0)
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "Tanh", "Linear"]
    assert m[0].weight.shape == (64, 128) and m[2].bias.shape == (10,)
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 2, 2], "swish", seed=0)
    with pytest.raises(ValueError, match="at least"):
        MLP([3], seed=0)


def test_same_seed_same_weights_on_every_backend(backend_name):
    here = MLP([5, 7, 3], seed=42, backend=backend_name)
    reference = MLP([5, 7, 3], seed=42)
    for (name, p), (_, q) in zip(here.named_parameters(), reference.named_parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    other = MLP([5, 7, 3], seed=43)
    assert not np.array_equal(other[0].weight.numpy(), reference[0].weight.numpy())


def test_layers_draw_in_order_from_one_generator():
    rng = Generator(5)
    first = init.kaiming_uniform((5, 7), 5, rng)
    second = init.kaiming_uniform((7, 3), 7, rng)
    m = MLP([5, 7, 3], seed=5)
    np.testing.assert_array_equal(m[0].weight.numpy(), first.numpy())
    np.testing.assert_array_equal(m[2].weight.numpy(), second.numpy())


def test_kaiming_and_xavier_bounds_and_spread():
    w = init.kaiming_uniform((400, 300), 400, seed=0).numpy()
    bound = math.sqrt(6 / 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.02 * bound ** 2  # U(-b, b) has variance b^2 / 3
    x = init.xavier_uniform((400, 300), 400, 300, seed=0).numpy()
    assert np.abs(x).max() <= math.sqrt(6 / 700)
    with pytest.raises(ValueError, match="initialisation"):
        init.weight("orthogonal", 2, 2, seed=0)
    with pytest.raises(TypeError, match="seed"):
        init.kaiming_uniform((2, 2), 2, seed=1.5)


def test_parameter_wraps_only_tensors():
    with pytest.raises(TypeError, match="Tensor"):
        Parameter(np.zeros(3))
    p = Parameter(Tensor([1.0, 2.0]))
    assert p.requires_grad and p.grad is None
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])
