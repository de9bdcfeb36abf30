"""Elementwise primitives against numpy: unary, binary (with broadcasting and Python scalars),
where and cast, for every dtype each backend supports."""

import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from workbench.engine import Tensor

from .tensor_testing import (ALL_DTYPES, FLOAT_DTYPES, assert_close, assert_exact, dtypes_of,
                             random_array)

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES

HYPOTHESIS = settings(max_examples=25, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])

# Odd, empty, 0-d and multi-axis shapes every elementwise op is checked on.
SHAPES = [(), (0,), (1,), (7,), (3, 0, 2), (5, 13), (2, 3, 4), (1031,)]

UNARY_EXACT = {"neg": np.negative, "abs": np.abs, "relu": lambda x: np.maximum(x, x.dtype.type(0))}
UNARY_TRANSCENDENTAL = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
    "sigmoid": lambda x: (1 / (1 + np.exp(-x))).astype(x.dtype),
}
BINARY_EXACT = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "maximum": np.maximum, "minimum": np.minimum,
}
COMPARISONS = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "eq": operator.eq, "ne": operator.ne,
}


def tensor_op(name):
    """The Tensor spelling of a binary op name (operators where Python has one)."""
    return {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
            "pow": operator.pow, "maximum": Tensor.maximum, "minimum": Tensor.minimum,
            **COMPARISONS, "logical_and": Tensor.logical_and, "logical_or": Tensor.logical_or}[name]


def arithmetic_dtype(a, b):
    """The engine's result dtype of add/sub/mul/maximum/minimum: numpy's promotion inside the
    supported set (int32 with uint32 gives int32, not int64)."""
    if a == b:
        return a
    if a.kind == "f" or b.kind == "f":
        return F64 if F64 in (a, b) else F32
    if BOOL in (a, b):
        return b if a == BOOL else a
    return I32 if I32 in (a, b) else U32


def test_promotion_table():
    assert arithmetic_dtype(I32, U32) == I32
    cases = {(I32, U32): I32, (U8, U32): U32, (U8, I32): I32, (BOOL, U8): U8, (U8, F32): F32,
             (I32, F64): F64, (F32, F64): F64, (BOOL, F32): F32}
    for (a, b), expected in cases.items():
        x = Tensor(np.zeros(2, a)) + Tensor(np.zeros(2, b))
        assert x.dtype == expected, (a, b)


# -- unary ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(UNARY_EXACT))
def test_unary_exact_ops_match_numpy(backend, op):
    rng = np.random.default_rng(1)
    for dtype in dtypes_of(backend):
        if dtype == BOOL and op == "neg":
            continue  # checked by test_negating_bool_is_an_error
        for shape in SHAPES:
            x = random_array(rng, shape, dtype)
            if dtype.kind == "f" and x.size > 2:
                x.reshape(-1)[:3] = [np.nan, -0.0, np.inf]
            got = getattr(Tensor(x, backend=backend), op)() if op != "neg" else -Tensor(x, backend=backend)
            with np.errstate(all="ignore"):
                assert_exact(got, UNARY_EXACT[op](x))


def test_negating_bool_is_an_error(backend):
    with pytest.raises(TypeError, match="bool"):
        -Tensor([True, False], backend=backend)


@pytest.mark.parametrize("op", sorted(UNARY_TRANSCENDENTAL))
def test_transcendental_ops_match_numpy_within_rtol(backend, op):
    rng = np.random.default_rng(2)
    for dtype in [d for d in FLOAT_DTYPES if d in dtypes_of(backend)]:
        for shape in SHAPES:
            low = 0.0 if op in ("log", "sqrt") else -30.0
            x = random_array(rng, shape, dtype, low=low, high=30.0)
            if x.size > 4:
                x.reshape(-1)[:4] = [0.0, np.inf, -np.inf if low < 0 else 1.0, np.nan]
            with np.errstate(all="ignore"):
                expected = UNARY_TRANSCENDENTAL[op](x)
            assert_close(getattr(Tensor(x, backend=backend), op)(), expected)


EDGES = {
    "exp": [-104.5, -103.9, -100.0, -87.5, -87.3, -1e-7, 1e-7, 88.0, 88.72, 88.73, 89.5, 1e-30, -0.0],
    "log": [1e-45, 1e-40, 1.1754942e-38, 1.1754944e-38, 0.7071067, 0.7071068, 1 - 6e-8, 1 + 1.2e-7,
            3.4e38, -1.0, -0.0, 2.0, 0.5],
    "tanh": [-0.0, 1e-30, -1e-8, 0.62499994, 0.625, 0.62500006, -0.625, 8.0, 9.1, 10.0, -20.0, 1e5],
    "sigmoid": [-104.5, -88.0, -20.0, -1e-7, 0.0, -0.0, 20.0, 88.0, 104.5],
    "sqrt": [0.0, -0.0, 1e-45, 1e-40, 2.0, 3.4e38, -1.0],
}


@pytest.mark.parametrize("op", sorted(EDGES))
def test_transcendental_float32_edge_values(backend, op):
    """Range limits, subnormals, the switch points of the float32 formulas, signed zeros and
    special values, against numpy's float32 functions."""
    x = np.array(EDGES[op] + [0.0, np.inf, -np.inf, np.nan], np.float32)
    with np.errstate(all="ignore"):
        expected = UNARY_TRANSCENDENTAL[op](x)
    got = getattr(Tensor(x, backend=backend), op)()
    assert_close(got, expected)
    assert np.array_equal(np.signbit(got.numpy()[expected == 0]), np.signbit(expected[expected == 0]))


@pytest.mark.parametrize("op", sorted(UNARY_TRANSCENDENTAL))
def test_transcendental_ops_on_integers_compute_in_float32(backend, op):
    x = np.array([[0, 1, 2], [3, 7, 100]], dtype=np.int32)
    for dtype in (I32, U32, U8, BOOL):
        xs = x.astype(dtype)
        with np.errstate(all="ignore"):
            expected = UNARY_TRANSCENDENTAL[op](xs.astype(np.float32))
        assert_close(getattr(Tensor(xs, backend=backend), op)(), expected)


def test_logical_not_of_every_dtype(backend):
    rng = np.random.default_rng(3)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (4, 5), dtype)
        x.reshape(-1)[0] = 0
        assert_exact(~Tensor(x, backend=backend), np.logical_not(x))
        assert_exact(Tensor(x, backend=backend).logical_not(), np.logical_not(x))


# -- binary ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(BINARY_EXACT))
def test_exact_binary_ops_every_dtype_pair(backend, op):
    rng = np.random.default_rng(4)
    dtypes = dtypes_of(backend)
    for da in dtypes:
        for db in dtypes:
            a, b = random_array(rng, (3, 5), da), random_array(rng, (3, 5), db)
            dt = arithmetic_dtype(da, db)
            if op in ("add", "sub", "mul") and dt == BOOL:
                dt = I32  # arithmetic on bools counts
            expected = BINARY_EXACT[op](a.astype(dt), b.astype(dt))
            got = tensor_op(op)(Tensor(a, backend=backend), Tensor(b, backend=backend))
            assert_exact(got, expected)


def test_float_ops_handle_nan_inf_and_signed_zero_like_numpy(backend):
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.5, 3e38], dtype=np.float32)
    a, b = np.meshgrid(special, special)
    ta, tb = Tensor(a, backend=backend), Tensor(b, backend=backend)
    with np.errstate(all="ignore"):
        for op, fn in {**BINARY_EXACT, **COMPARISONS}.items():
            assert_exact(tensor_op(op)(ta, tb), fn(a, b))
        assert_exact(ta / tb, a / b)


@pytest.mark.parametrize("op", ["div", "pow"])
def test_div_and_pow_match_numpy(backend, op):
    rng = np.random.default_rng(5)
    fn = {"div": np.true_divide, "pow": np.power}[op]
    for da in dtypes_of(backend):
        for db in dtypes_of(backend):
            a = random_array(rng, (4, 6), da, low=0.1, high=4.0)
            b = random_array(rng, (4, 6), db, low=-3.0, high=3.0)
            if op == "pow" and db.kind in "iu":
                b = b % 5  # small integer exponents keep results finite
            dt = arithmetic_dtype(da, db)
            dt = dt if dt.kind == "f" else F32  # dividing integers gives float32
            with np.errstate(all="ignore"):
                expected = fn(a.astype(dt), b.astype(dt))
            assert_close(tensor_op(op)(Tensor(a, backend=backend), Tensor(b, backend=backend)), expected)


@pytest.mark.parametrize("op", sorted(COMPARISONS) + ["logical_and", "logical_or"])
def test_comparisons_and_logical_ops_give_bool(backend, op):
    rng = np.random.default_rng(6)
    dtypes = dtypes_of(backend)
    for da in dtypes:
        for db in dtypes:
            a, b = random_array(rng, (6, 7), da), random_array(rng, (6, 7), db)
            a, b = (v if v.dtype == BOOL else (v // 8).astype(v.dtype) for v in (a, b))  # many ties
            if op.startswith("logical"):
                expected = getattr(np, op)(a, b)
            else:
                dt = arithmetic_dtype(da, db)
                expected = COMPARISONS[op](a.astype(dt), b.astype(dt))
            assert_exact(tensor_op(op)(Tensor(a, backend=backend), Tensor(b, backend=backend)), expected)


@settings(HYPOTHESIS)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5, min_side=0, max_side=4),
       op=st.sampled_from(sorted(BINARY_EXACT) + sorted(COMPARISONS)),
       seed=st.integers(0, 2**31))
def test_binary_broadcasting(backend, shapes, op, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shapes
    a, b = random_array(rng, sa, F32), random_array(rng, sb, F32)
    expected = (BINARY_EXACT.get(op) or COMPARISONS[op])(a, b)
    assert_exact(tensor_op(op)(Tensor(a, backend=backend), Tensor(b, backend=backend)), np.asarray(expected))


@settings(HYPOTHESIS)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, min_side=1, max_side=5),
       seed=st.integers(0, 2**31))
def test_binary_ops_on_non_contiguous_views(backend, shapes, seed):
    """Inputs made by transposes and stepped, reversed slices of bigger tensors."""
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shapes
    big_a = random_array(rng, tuple(2 * n + 1 for n in sa[::-1]), I32)
    big_b = random_array(rng, tuple(2 * n for n in sb), I32)
    view_a = tuple(slice(None, 2 * n, 2) for n in sa[::-1])
    view_b = tuple(slice(None, None, -2) for _ in sb)
    a, b = big_a[view_a].T, big_b[view_b]
    ta = Tensor(big_a, backend=backend)[view_a].T
    tb = Tensor(big_b, backend=backend)[view_b]
    assert_exact(ta * tb - tb, a * b - b)


def test_broadcast_shape_mismatch_names_both_shapes(backend):
    a, b = Tensor(np.zeros((2, 3)), backend=backend), Tensor(np.zeros(4), backend=backend)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        a + b


# -- Python scalars -------------------------------------------------------------------------------
SCALAR_OPS = {
    "add": (operator.add, np.add), "sub": (operator.sub, np.subtract), "mul": (operator.mul, np.multiply),
    "div": (operator.truediv, np.true_divide), "pow": (operator.pow, np.power),
    "lt": (operator.lt, np.less), "ge": (operator.ge, np.greater_equal), "eq": (operator.eq, np.equal),
    "maximum": (Tensor.maximum, np.maximum), "minimum": (Tensor.minimum, np.minimum),
}


def weak_dtype(value, dtype):
    """A Python scalar takes the tensor's dtype when of the same kind (float32 for a float with
    an integer tensor, int32 for an int with a bool tensor)."""
    if isinstance(value, bool):
        return dtype
    if isinstance(value, int):
        return I32 if dtype == BOOL else dtype
    return dtype if dtype.kind == "f" else F32


@pytest.mark.parametrize("op", sorted(SCALAR_OPS))
@pytest.mark.parametrize("value", [3, 2.5, 2.0, True])
def test_python_scalar_operands_on_both_sides(backend, op, value):
    tensor_fn, np_fn = SCALAR_OPS[op]
    rng = np.random.default_rng(7)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (2, 9), dtype, low=0.5, high=3.0)
        t = Tensor(x, backend=backend)
        dt = weak_dtype(value, dtype)
        if op in ("div", "pow") and dt.kind != "f":
            dt = F32
        if op in ("add", "sub", "mul") and dt == BOOL:
            dt = I32
        xs, v = x.astype(dt), dt.type(value)
        with np.errstate(all="ignore"):
            right, left = np_fn(xs, v), np_fn(v, xs)
        check = assert_close if op in ("div", "pow") else assert_exact
        check(tensor_fn(t, value), right)
        if op not in ("maximum", "minimum"):  # value < t calls t > value, and so on
            check(tensor_fn(value, t), left)


def test_scalar_out_of_range_for_dtype_says_so(backend):
    with pytest.raises((OverflowError, ValueError), match="300"):
        Tensor(np.array([1, 2], np.uint8), backend=backend) + 300


# -- where ------------------------------------------------------------------------------------------
def test_where_every_dtype_with_broadcasting(backend):
    rng = np.random.default_rng(8)
    cond = rng.random((3, 1, 5)) < 0.5
    for dtype in dtypes_of(backend):
        a, b = random_array(rng, (4, 5), dtype), random_array(rng, (3, 4, 1), dtype)
        got = Tensor.where(Tensor(cond, backend=backend), Tensor(a, backend=backend), Tensor(b, backend=backend))
        assert_exact(got, np.where(cond, a, b))


def test_where_with_scalars_and_non_bool_condition(backend):
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -4.0, 0.5]], np.float32)
    t = Tensor(x, backend=backend)
    assert_exact(Tensor.where(t > 0, t, 0.0), np.where(x > 0, x, np.float32(0)))
    assert_exact(Tensor.where(t > 0, -1.0, t), np.where(x > 0, np.float32(-1), x))
    assert_exact(Tensor.where(t > 0, 1.0, 2.0), np.where(x > 0, 1.0, 2.0).astype(np.float32))
    assert_exact(Tensor.where(t, t, 7.0), np.where(x != 0, x, np.float32(7)))
    empty = Tensor(np.zeros((0, 3), np.float32), backend=backend)
    assert_exact(Tensor.where(empty > 0, empty, 1.0), np.zeros((0, 3), np.float32))


def test_where_mixed_dtypes_promote(backend):
    cond = np.array([True, False, True])
    a, b = np.array([1, 2, 3], np.int32), np.array([0.5, 1.5, 2.5], np.float32)
    got = Tensor.where(Tensor(cond, backend=backend), Tensor(a, backend=backend), Tensor(b, backend=backend))
    assert_exact(got, np.where(cond, a, b).astype(np.float32))


# -- cast -------------------------------------------------------------------------------------------
def cast_source(dtype, target):
    """Values whose conversion is defined in C as well as numpy: no negative or out-of-range float
    to unsigned, plus rounding and wrap-around cases where both define them."""
    if dtype.kind == "f":
        v = [0.0, 0.25, 1.5, 2.5, 99.99, 200.7, 255.9]
        if target.kind in "fi" or target == BOOL:
            v += [-1.5, -0.5, -100.25]
        if target.kind == "f" or target == BOOL:
            v += [1e-3, 3.3e38, -3.3e38, np.inf, -np.inf, np.nan]
        if target in (F32, I32, BOOL):
            v += [16777217.0, 2.0**30]
        if dtype == F64 and target == F32:
            v += [0.1, 1.0 + 2.0**-24, 1.0 + 3 * 2.0**-24, 1e-40]  # ties to even, subnormals
        return np.array(v, dtype=dtype)
    if dtype == I32:
        return np.array([0, 1, -1, 255, 256, -129, 16777217, 2**31 - 1, -(2**31)], dtype=dtype)
    if dtype == U32:
        return np.array([0, 1, 255, 256, 16777217, 2**31 - 1, 2**32 - 1], dtype=dtype)
    if dtype == U8:
        return np.arange(256, dtype=dtype)
    return np.array([True, False, True])


def test_cast_between_every_dtype_pair(backend):
    for src in dtypes_of(backend):
        for dst in dtypes_of(backend):
            x = cast_source(src, dst)
            if dst.kind in "iu" and src.kind == "f":
                info = np.iinfo(dst)
                x = x[(x >= info.min) & (x <= info.max)]
            if src == U32 and dst == I32:
                x = x[x < 2**31]  # out of range: implementation-defined in C
            with np.errstate(all="ignore"):
                expected = x.astype(dst)
            assert_exact(Tensor(x, backend=backend).cast(dst), expected)
            assert_exact(Tensor(x.reshape(1, -1), backend=backend).T.cast(dst), expected.reshape(-1, 1))


def test_cast_of_empty_and_0d(backend):
    for dst in dtypes_of(backend):
        assert_exact(Tensor(np.zeros((2, 0), np.float32), backend=backend).cast(dst), np.zeros((2, 0), dst))
        assert_exact(Tensor(np.float32(3.0), backend=backend).cast(dst), np.asarray(3.0, np.float32).astype(dst))


def test_float32_sums_of_scalars_are_bit_exact(backend):
    """No fused multiply-add: a*b + c rounds twice, as in numpy."""
    rng = np.random.default_rng(9)
    a, b, c = (rng.uniform(-1, 1, 10000).astype(np.float32) for _ in range(3))
    ta, tb, tc = (Tensor(v, backend=backend) for v in (a, b, c))
    assert_exact(ta * tb + tc, a * b + c)
    assert_exact(ta * 1.1 + 0.3, a * np.float32(1.1) + np.float32(0.3))
