"""Gather and scatter-add against numpy: take, take_along_axis, integer-array indexing and
scatter_add with repeated indices, along every axis, for every dtype."""

import numpy as np
import pytest

from workbench.engine import Tensor

from .tensor_testing import ALL_DTYPES, assert_exact, dtypes_of, random_array

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES


def index_forms(idx: np.ndarray, backend):
    """The same indices as a numpy array, a list, and int32 / uint32 tensors on the backend."""
    forms = [idx, idx.tolist(), Tensor(idx.astype(np.int32), backend=backend)]
    if idx.min(initial=0) >= 0:
        forms.append(Tensor(idx.astype(np.uint32), backend=backend))
    return forms


def test_take_every_axis_dtype_and_index_form(backend):
    rng = np.random.default_rng(30)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (4, 5, 6), dtype)
        t = Tensor(x, backend=backend)
        for axis in (0, 1, 2, -1):
            n = x.shape[axis]
            for idx in (np.array([0, n - 1, 1, 1, 0]), rng.integers(0, n, (2, 3)), np.array([], np.int64),
                        np.array(n - 1)):
                for form in index_forms(idx, backend):
                    assert_exact(t.take(form, axis=axis), np.take(x, idx, axis=axis))


def test_negative_indices_count_from_the_end(backend):
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    t = Tensor(x, backend=backend)
    idx = np.array([-1, 0, -5, 2])
    for form in index_forms(idx, backend):
        assert_exact(t.take(form, axis=1), np.take(x, idx, axis=1))
    assert_exact(t[[-1, 0, -4]], x[[-1, 0, -4]])


def test_integer_array_indexing_on_one_axis(backend):
    x = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    t = Tensor(x, backend=backend)
    assert_exact(t[[2, 0, 2]], x[[2, 0, 2]])
    assert_exact(t[np.array([[1, 1], [0, 2]])], x[np.array([[1, 1], [0, 2]])])
    assert_exact(t[:, [3, 0]], x[:, [3, 0]])
    assert_exact(t[:, :, Tensor([4, 4, 1], backend=backend)], x[:, :, [4, 4, 1]])
    with pytest.raises(IndexError, match="one axis"):
        t[[0, 1], [0, 1]]


def test_index_errors(backend):
    t = Tensor(np.zeros((3, 4)), backend=backend)
    with pytest.raises(IndexError, match="index 4 is out of range for axis 1 of size 4"):
        t.take([0, 4], axis=1)
    with pytest.raises(IndexError, match="index -4 is out of range for axis 0 of size 3"):
        t.take([-4], axis=0)
    with pytest.raises(TypeError, match="indices must be integers"):
        t.take([0.5])
    with pytest.raises(TypeError, match="indices must be int32 or uint32"):
        t.take(Tensor([0.0], backend=backend))
    with pytest.raises(ValueError, match="index shape"):
        t.take_along_axis(np.zeros((2, 4), np.int32), axis=1)


def test_take_along_axis_every_axis_and_dtype(backend):
    rng = np.random.default_rng(31)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (3, 4, 5), dtype)
        t = Tensor(x, backend=backend)
        for axis in (0, 1, 2, -2):
            shape = list(x.shape)
            shape[axis] = 7
            idx = rng.integers(0, x.shape[axis], shape)
            for form in index_forms(idx, backend):
                assert_exact(t.take_along_axis(form, axis=axis), np.take_along_axis(x, idx, axis=axis))
            picked = np.argsort(x, axis=axis, kind="stable")
            assert_exact(t.take_along_axis(picked, axis=axis), np.take_along_axis(x, picked, axis=axis))


@np.errstate(over="ignore")  # uint8 and int32 sums wrap around, as on the device
def scatter_reference(target, idx, src, axis, along):
    out = target.copy()
    moved = np.moveaxis(out, axis, 0)
    if along:
        idx_m, src_m = np.moveaxis(idx, axis, 0), np.moveaxis(src, axis, 0)
        for pos in np.ndindex(idx_m.shape):
            moved[(idx_m[pos],) + pos[1:]] += src_m[pos]
    else:
        src_m = np.moveaxis(src, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
        for pos in np.ndindex(idx.shape):
            moved[idx[pos]] += src_m[pos]
    return out


def scatter_dtypes(backend):
    """scatter_add needs atomic adds: float32/float64/int32/uint32 everywhere; bool and uint8
    only on numpy (OpenCL has no byte atomics)."""
    return [d for d in dtypes_of(backend) if d not in (U8, BOOL) or not backend.is_opencl]


def test_scatter_add_with_repeated_indices(backend):
    rng = np.random.default_rng(32)
    for dtype in scatter_dtypes(backend):
        small = dtype.kind == "f"  # integer-valued floats add exactly in any order
        target = random_array(rng, (5, 4, 3), dtype)
        if small:
            target = np.round(target)
        for axis in (0, 1, 2):
            n = target.shape[axis]
            idx = np.concatenate([np.zeros(6, np.int64), rng.integers(0, n, 9)])  # index 0 many times
            src_shape = target.shape[:axis] + idx.shape + target.shape[axis + 1:]
            src = random_array(rng, src_shape, dtype)
            src = np.round(src).astype(dtype) if small else src
            expected = scatter_reference(target, idx, src, axis, along=False)
            for form in index_forms(idx, backend):
                got = Tensor(target, backend=backend).scatter_add(form, Tensor(src, backend=backend), axis=axis)
                assert_exact(got, expected)
            along_idx = rng.integers(0, n, target.shape[:axis] + (8,) + target.shape[axis + 1:])
            src = random_array(rng, along_idx.shape, dtype)
            src = np.round(src).astype(dtype) if small else src
            got = Tensor(target, backend=backend).scatter_add(along_idx, Tensor(src, backend=backend),
                                                               axis=axis, along=True)
            assert_exact(got, scatter_reference(target, along_idx, src, axis, along=True))


def test_scatter_add_float32_many_collisions_within_rounding(backend):
    rng = np.random.default_rng(33)
    src = rng.uniform(-1, 1, (20000, 3)).astype(np.float32)
    idx = rng.integers(0, 4, 20000)
    got = Tensor(np.zeros((4, 3), np.float32), backend=backend).scatter_add(idx, Tensor(src, backend=backend))
    exact = np.zeros((4, 3))
    np.add.at(exact, idx, src.astype(np.float64))
    bound = 20000 * np.finfo(np.float32).eps * np.abs(src).sum(axis=0)
    assert got.dtype == F32 and np.all(np.abs(got.numpy() - exact) <= bound)


def test_scatter_add_keeps_the_target_and_checks_shapes(backend):
    target = Tensor(np.ones((3, 2), np.float32), backend=backend)
    out = target.scatter_add([2, 2], Tensor(np.ones((2, 2), np.float32), backend=backend))
    assert_exact(out, np.array([[1, 1], [1, 1], [3, 3]], np.float32))
    assert_exact(target, np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"src shape \(3, 2\) must be \(2, 2\)"):
        target.scatter_add([0, 1], Tensor(np.ones((3, 2), np.float32), backend=backend))
    row = target.scatter_add(np.array(1), Tensor(np.array([5.0, 6.0], np.float32), backend=backend))
    assert_exact(row, np.array([[1, 1], [6, 7], [1, 1]], np.float32))
    column = target.scatter_add(np.array(-1), Tensor(np.ones(3, np.float32), backend=backend), axis=1)
    assert_exact(column, np.array([[1, 2], [1, 2], [1, 2]], np.float32))
    empty = target.scatter_add(np.zeros(0, np.int32), Tensor(np.zeros((0, 2), np.float32), backend=backend))
    assert_exact(empty, np.ones((3, 2), np.float32))


def test_scatter_add_of_bytes_on_opencl_says_what_to_use(backend):
    target = Tensor(np.zeros(4, np.uint8), backend=backend)
    src = Tensor(np.ones(2, np.uint8), backend=backend)
    if backend.is_opencl:
        with pytest.raises(TypeError, match="uint8"):
            target.scatter_add([1, 1], src)
    else:
        assert_exact(target.scatter_add([1, 1], src), np.array([0, 2, 0, 0], np.uint8))
