"""Reductions (sum, max, min, argmax, mean) over each axis and over everything, against numpy."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from workbench.engine import Tensor, get_backend

from .tensor_testing import ALL_DTYPES, BACKEND_NAMES, assert_close, assert_exact, dtypes_of, random_array, sum_tolerance

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES

# Odd sizes, size-1 axes, and long axes that make the OpenCL backend split rows into chunks.
SHAPES = [(1,), (7,), (5, 13), (1, 9, 1), (3, 4, 5), (2, 3, 1, 4, 2), (3, 2000), (2000, 3), (70001,)]


def sum_dtype(dtype):
    """Sums of bools count in int32 and sums of uint8 in uint32; other dtypes keep theirs."""
    return {BOOL: I32, U8: U32}.get(dtype, dtype)


def axes_of(shape):
    return [None, *range(len(shape)), -1]


def test_sum_matches_numpy_within_rounding_bound(backend):
    rng = np.random.default_rng(10)
    for dtype in dtypes_of(backend):
        for shape in SHAPES:
            x = random_array(rng, shape, dtype)
            for axis in axes_of(shape):
                got = Tensor(x, backend=backend).sum(axis=axis)
                expected = x.astype(np.float64).sum(axis=axis)
                dt = sum_dtype(dtype)
                assert got.dtype == dt and got.shape == np.shape(expected)
                if dt.kind == "f":
                    tol = sum_tolerance(x, axis, dt)
                    assert np.all(np.abs(got.numpy() - expected) <= tol), (dtype, shape, axis)
                else:
                    assert_exact(got, x.sum(axis=axis).astype(dt))


def test_float_sums_of_small_integers_are_exact(backend):
    """Integers below 2**24 add exactly in float32 in any order, so any lost or doubled element
    shows up however long the axis."""
    rng = np.random.default_rng(11)
    for shape in SHAPES:
        x = rng.integers(-8, 9, size=shape).astype(np.float32)
        for axis in axes_of(shape):
            assert_exact(Tensor(x, backend=backend).sum(axis=axis), x.sum(axis=axis).astype(np.float32))


@pytest.mark.parametrize("op", ["max", "min", "argmax"])
def test_max_min_argmax_every_dtype_and_axis(backend, op):
    rng = np.random.default_rng(12)
    for dtype in dtypes_of(backend):
        for shape in SHAPES:
            x = random_array(rng, shape, dtype)
            for axis in axes_of(shape):
                got = getattr(Tensor(x, backend=backend), op)(axis=axis)
                expected = np.asarray(getattr(np, op)(x, axis=axis))
                assert_exact(got, expected.astype(I32) if op == "argmax" else expected)


def test_argmax_picks_the_first_maximum_and_nan(backend):
    x = np.array([[1, 5, 5, 2], [7, 7, 7, 7], [0, np.nan, 9, np.nan], [-np.inf, -np.inf, -1, -1]], np.float32)
    t = Tensor(x, backend=backend)
    assert_exact(t.argmax(axis=1), np.array([1, 0, 1, 2], np.int32))
    assert_exact(t.argmax(), np.int32(np.argmax(x)))
    assert_exact(t.max(axis=1), np.max(x, axis=1))
    assert_exact(t.min(axis=0), np.min(x, axis=0))
    ties = np.zeros(100000, np.float32)
    ties[[70000, 90000]] = 1
    assert_exact(Tensor(ties, backend=backend).argmax(), np.int32(70000))


def test_keepdims(backend):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = Tensor(x, backend=backend)
    for axis in axes_of(x.shape):
        assert_exact(t.sum(axis=axis, keepdims=True), x.sum(axis=axis, keepdims=True))
        assert_exact(t.max(axis=axis, keepdims=True), x.max(axis=axis, keepdims=True))
        assert_exact(t.argmax(axis=axis, keepdims=True),
                     np.argmax(x, axis=axis, keepdims=True).astype(np.int32))


def test_mean_every_dtype(backend):
    rng = np.random.default_rng(13)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (6, 50), dtype)
        out_dt = dtype if dtype.kind == "f" else F32
        for axis in axes_of(x.shape):
            got = Tensor(x, backend=backend).mean(axis=axis)
            n = x.size if axis is None else x.shape[axis]
            expected = x.astype(np.float64).mean(axis=axis)
            assert got.dtype == out_dt and got.shape == np.shape(expected)
            tol = sum_tolerance(x, axis, out_dt) / n + np.abs(expected) * 2 * np.finfo(out_dt).eps
            assert np.all(np.abs(got.numpy() - expected) <= tol)


def test_empty_reductions(backend):
    t = Tensor(np.zeros((3, 0, 2), np.float32), backend=backend)
    assert_exact(t.sum(), np.float32(0))
    assert_exact(t.sum(axis=1), np.zeros((3, 2), np.float32))
    assert_exact(t.sum(axis=0), np.zeros((0, 2), np.float32))
    assert_exact(t.max(axis=0), np.zeros((0, 2), np.float32))
    assert_exact(t.argmax(axis=2), np.zeros((3, 0), np.int32))
    with pytest.raises(ValueError, match="empty"):
        t.max(axis=1)
    with pytest.raises(ValueError, match="empty"):
        t.argmax()
    assert_exact(Tensor(np.zeros(0, np.int32), backend=backend).sum(), np.int32(0))
    assert_exact(t.mean(axis=1), np.full((3, 2), np.nan, np.float32))


def test_reductions_of_0d_tensors(backend):
    t = Tensor(np.float32(2.5), backend=backend)
    assert_exact(t.sum(), np.float32(2.5))
    assert_exact(t.max(), np.float32(2.5))
    assert_exact(t.argmax(), np.int32(0))
    assert_exact(t.mean(), np.float32(2.5))


def test_reduction_axis_out_of_range(backend):
    t = Tensor(np.zeros((2, 3), np.float32), backend=backend)
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        t.sum(axis=2)
    with pytest.raises(IndexError, match="axis -3 is out of range"):
        t.max(axis=-3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=9), seed=st.integers(0, 2**31),
       data=st.data())
def test_reductions_on_views(backend, shape, seed, data):
    """Reductions of transposed, stepped and reversed views, over a drawn axis."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-50, 50, size=shape).astype(np.int32)
    axis = data.draw(st.sampled_from(axes_of(shape)))
    view = tuple(slice(None, None, -1) if i % 2 else slice(None) for i in range(len(shape)))
    xv, tv = x[view].T, Tensor(x, backend=backend)[view].T
    assert_exact(tv.sum(axis=axis), xv.sum(axis=axis).astype(np.int32))
    assert_exact(tv.min(axis=axis), xv.min(axis=axis))
    assert_exact(tv.argmax(axis=axis), np.argmax(xv, axis=axis).astype(np.int32))
    assert_close(tv.cast(F32).mean(axis=axis), xv.mean(axis=axis).astype(np.float32))


@pytest.mark.parametrize("name", [n for n in BACKEND_NAMES if n.startswith("opencl:")])
@pytest.mark.parametrize("gpu_layout", [False, True], ids=["cpu-lanes", "gpu-items"])
def test_both_opencl_reduction_layouts_on_this_device(name, gpu_layout, monkeypatch):
    """CPUs get kernels that keep vectors of partial results, GPUs one work-item per output;
    both are valid OpenCL, so both are checked here whatever the device is."""
    be = get_backend(name)
    monkeypatch.setattr(be.runtime, "is_gpu", gpu_layout)
    rng = np.random.default_rng(14)
    for shape in [(1,), (17,), (70001,), (5, 13), (3, 40, 33), (2000, 3), (3, 2000)]:
        x = rng.integers(-50, 50, size=shape).astype(np.float32)
        x.reshape(-1)[rng.integers(0, x.size, 3)] = 50  # ties for argmax
        t = Tensor(x, backend=be)
        for axis in axes_of(shape):
            assert_exact(t.sum(axis=axis), x.sum(axis=axis).astype(np.float32))
            assert_exact(t.max(axis=axis), x.max(axis=axis))
            assert_exact(t.cast(I32).min(axis=axis), x.astype(np.int32).min(axis=axis))
            assert_exact(t.argmax(axis=axis), np.argmax(x, axis=axis).astype(np.int32))
        x.reshape(-1)[x.size // 2] = np.nan
        assert_exact(Tensor(x, backend=be).argmax(), np.int32(np.argmax(x)))
        assert_exact(Tensor(x, backend=be).max(axis=0), x.max(axis=0))
