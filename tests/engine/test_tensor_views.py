"""Shape primitives against numpy: reshape, transpose/permute, expand, basic indexing (steps,
negative steps, None, ellipsis, ints), __setitem__, concatenate and stack."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, basic_indices

from workbench.engine import Tensor

from .tensor_testing import ALL_DTYPES, assert_exact, dtypes_of, random_array

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES
HYPOTHESIS = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_reshape_and_flatten(backend):
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    t = Tensor(x, backend=backend)
    for shape in [(24,), (4, 6), (-1, 2), (2, -1, 3), (1, 24, 1), (2, 3, 4)]:
        assert_exact(t.reshape(shape), x.reshape(shape))
    assert_exact(t.reshape(6, 4), x.reshape(6, 4))
    assert_exact(t.flatten(), x.reshape(-1))
    assert_exact(Tensor(np.zeros((0, 3), np.float32), backend=backend).reshape(3, 0, 5),
                 np.zeros((3, 0, 5), np.float32))
    assert_exact(Tensor(np.float32(7), backend=backend).reshape(1, 1), np.full((1, 1), 7, np.float32))
    assert_exact(Tensor([7.0], backend=backend).reshape(()), np.float32(7))


def test_reshape_errors_say_what_was_wrong(backend):
    t = Tensor(np.zeros((2, 3)), backend=backend)
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match="at most one -1"):
        t.reshape(-1, -1)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3\) into \(-1, 4\)"):
        t.reshape(-1, 4)


def test_transpose_permute_swapaxes_every_dtype(backend):
    rng = np.random.default_rng(20)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (2, 3, 4, 5), dtype)
        t = Tensor(x, backend=backend)
        assert_exact(t.T, x.T)
        assert_exact(t.transpose(), x.transpose())
        assert_exact(t.transpose(1, 0, 3, 2), x.transpose(1, 0, 3, 2))
        assert_exact(t.permute(3, 1, 2, 0), x.transpose(3, 1, 2, 0))
        assert_exact(t.permute([0, 2, 1, 3]), x.transpose(0, 2, 1, 3))
        assert_exact(t.permute(-1, 0, 1, 2), x.transpose(3, 0, 1, 2))
        assert_exact(t.swapaxes(0, -1), x.swapaxes(0, -1))
    with pytest.raises(ValueError, match="not a permutation"):
        Tensor(np.zeros((2, 3)), backend=backend).permute(0, 0)


@settings(HYPOTHESIS)
@given(shape=array_shapes(min_dims=0, max_dims=9, min_side=1, max_side=3), seed=st.integers(0, 2**31))
def test_random_permutations_up_to_nine_dims(backend, shape, seed):
    """Views of any rank, including ones that no merging of axes brings down to six."""
    rng = np.random.default_rng(seed)
    x = random_array(rng, shape, I32)
    perm = tuple(rng.permutation(len(shape)))
    assert_exact(Tensor(x, backend=backend).permute(perm), x.transpose(perm))


def test_eight_dim_transpose_and_broadcast(backend):
    x = np.arange(2**8, dtype=np.float32).reshape((2,) * 8)
    t = Tensor(x, backend=backend)
    assert_exact(t.T, x.T)
    assert_exact(t.T + t, x.T + x)
    y = np.arange(2**4, dtype=np.float32).reshape(2, 1, 2, 1, 2, 1, 2, 1)
    assert_exact(t + Tensor(y, backend=backend), x + y)
    assert_exact(Tensor.where(t > 100, t, Tensor(y, backend=backend)), np.where(x > 100, x, y))
    assert_exact(t.sum(axis=3), x.sum(axis=3))
    assert_exact(t[::-1, :, 1, ..., ::-1], x[::-1, :, 1, ..., ::-1])


def test_expand(backend):
    x = np.arange(3, dtype=np.float32).reshape(3, 1)
    t = Tensor(x, backend=backend)
    assert_exact(t.expand((2, 3, 4)), np.broadcast_to(x, (2, 3, 4)))
    assert_exact(t.broadcast_to((3, 0)), np.zeros((3, 0), np.float32))
    with pytest.raises(ValueError, match=r"cannot expand shape \(3, 1\) to \(4, 4\)"):
        t.expand((4, 4))


@settings(HYPOTHESIS)
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6), data=st.data())
def test_basic_indexing_matches_numpy(backend, shape, data):
    index = data.draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    assert_exact(Tensor(x, backend=backend)[index], x[index])


def test_indexing_examples_every_dtype(backend):
    rng = np.random.default_rng(21)
    keys = [0, -1, (1, 2), (slice(None, None, -1),), (slice(5, 0, -2), None, Ellipsis),
            (Ellipsis, 3), (None, 1, slice(None), None), (slice(-3, None), slice(None, None, 3)),
            (slice(10, 20),), (slice(2, 2),), ()]
    for dtype in dtypes_of(backend):
        x = random_array(rng, (6, 7), dtype)
        t = Tensor(x, backend=backend)
        for key in keys:
            assert_exact(t[key], x[key])


def test_index_errors(backend):
    t = Tensor(np.zeros((2, 3)), backend=backend)
    with pytest.raises(IndexError, match="index 3 is out of range for axis 1 of size 3"):
        t[0, 3]
    with pytest.raises(IndexError, match="index -3 is out of range for axis 0 of size 2"):
        t[-3]
    with pytest.raises(IndexError, match=r"too many indices \(3\)"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., 0, ...]
    with pytest.raises(IndexError, match="unsupported index"):
        t[0.5]
    with pytest.raises(IndexError, match="unsupported index True"):
        t[True]


# -- __setitem__ ------------------------------------------------------------------------------------
@settings(HYPOTHESIS)
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5), data=st.data(),
       seed=st.integers(0, 2**31))
def test_setitem_matches_numpy(backend, shape, data, seed):
    rng = np.random.default_rng(seed)
    index = data.draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = random_array(rng, shape, F32)
    target_shape = x[index].shape
    value_shape = data.draw(st.sampled_from([target_shape, target_shape[1:], (), (1,) * len(target_shape)]))
    value = random_array(rng, value_shape, F32)
    t = Tensor(x, backend=backend)
    t[index] = Tensor(value, backend=backend)
    x[index] = value
    assert_exact(t, x)


def test_setitem_scalars_casts_and_dtypes(backend):
    for dtype in dtypes_of(backend):
        x = np.zeros((4, 5), dtype)
        t = Tensor(x, backend=backend)
        t[1] = 1
        t[:, ::-2] = Tensor(np.ones(3, np.int32), backend=backend)
        t[3, 4] = True
        x[1] = 1
        x[:, ::-2] = np.ones(3, np.int32)
        x[3, 4] = True
        assert_exact(t, x)


def test_setitem_from_an_overlapping_view_of_itself(backend):
    x = np.arange(10, dtype=np.float32)
    t = Tensor(x, backend=backend)
    t[::-1] = t
    x[::-1] = x.copy()
    assert_exact(t, x)
    t[1:] = t[:-1]
    x[1:] = x[:-1].copy()
    assert_exact(t, x)


def test_setitem_shape_mismatch_and_grad_errors(backend):
    t = Tensor(np.zeros((3, 4)), backend=backend)
    with pytest.raises(ValueError, match=r"cannot expand shape \(3,\) to \(3, 4\)"):
        t[...] = Tensor(np.zeros(3), backend=backend)
    with pytest.raises(IndexError, match="index array is not supported; .* scatter_add"):
        t[[0, 2]] = 1.0
    w = Tensor(np.zeros(3), backend=backend, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place assignment to a tensor that requires grad"):
        w[0] = 1.0


# -- concatenate / stack ------------------------------------------------------------------------------
def test_concatenate_every_axis_and_dtype(backend):
    rng = np.random.default_rng(22)
    for dtype in dtypes_of(backend):
        for axis in (0, 1, 2, -1):
            parts = []
            for n in (2, 0, 3, 1):
                shape = [3, 4, 5]
                shape[axis] = n
                parts.append(random_array(rng, shape, dtype))
            got = Tensor.concatenate([Tensor(p, backend=backend) for p in parts], axis=axis)
            assert_exact(got, np.concatenate(parts, axis=axis))


def test_concatenate_views_and_mixed_dtypes(backend):
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    b = np.linspace(0, 1, 8, dtype=np.float32).reshape(4, 2)
    got = Tensor.concatenate([Tensor(a, backend=backend).T[::-1], Tensor(b, backend=backend)], axis=1)
    assert_exact(got, np.concatenate([a.T[::-1].astype(np.float32), b], axis=1))


def test_stack(backend):
    rng = np.random.default_rng(23)
    xs = [random_array(rng, (3, 2), F32) for _ in range(4)]
    ts = [Tensor(x, backend=backend) for x in xs]
    for axis in (0, 1, 2, -1, -3):
        assert_exact(Tensor.stack(ts, axis=axis), np.stack(xs, axis=axis))
    scalars = [Tensor(np.int32(i), backend=backend) for i in range(3)]
    assert_exact(Tensor.stack(scalars), np.arange(3, dtype=np.int32))


def test_concatenate_and_stack_errors(backend):
    a = Tensor(np.zeros((2, 3)), backend=backend)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 4\) differ off axis 0"):
        Tensor.concatenate([a, Tensor(np.zeros((2, 4)), backend=backend)])
    with pytest.raises(ValueError, match="at least one tensor"):
        Tensor.concatenate([])
    with pytest.raises(ValueError, match="0-d"):
        Tensor.concatenate([Tensor(1.0, backend=backend), Tensor(2.0, backend=backend)])
    with pytest.raises(IndexError, match="axis 3 is out of range"):
        Tensor.stack([a, a], axis=3)
    with pytest.raises(ValueError, match=r"stack: shapes \(2, 3\) and \(3, 2\) differ"):
        Tensor.stack([a, Tensor(np.zeros((3, 2)), backend=backend)])
