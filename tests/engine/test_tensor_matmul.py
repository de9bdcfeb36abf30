"""Matrix products against numpy: 2-D from 1x1x1 up to 513x1025x257, batched with batch
broadcasting, 1-D operands, every dtype, and transposed inputs."""

import numpy as np
import pytest

from workbench.engine import Tensor, get_backend

from .tensor_testing import ALL_DTYPES, BACKEND_NAMES, assert_exact, dtypes_of, random_array

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES
OPENCL_NAMES = [name for name in BACKEND_NAMES if name.startswith("opencl:")]

# (M, K, N): tiny, odd, one short of / one past a 64 tile, tall-skinny, and the largest.
SHAPES = [(1, 1, 1), (1, 7, 1), (3, 1, 5), (2, 3, 4), (17, 31, 13), (63, 65, 64), (64, 64, 64),
          (65, 129, 33), (1, 300, 200), (200, 300, 1), (513, 1025, 257)]


def assert_matmul_close(got: Tensor, a: np.ndarray, b: np.ndarray) -> None:
    """Within Higham's bound for a length-K dot product in the inputs' precision:
    |C - exact| <= K * eps * (|A| @ |B|), whatever the summation order or fused multiply-adds."""
    exact = a.astype(np.float64) @ b.astype(np.float64)
    k = a.shape[-1]
    bound = 1.01 * max(k, 1) * np.finfo(a.dtype).eps * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))
    assert got.dtype == a.dtype and got.shape == exact.shape
    err = np.abs(got.numpy().astype(np.float64) - exact)
    assert np.all(err <= bound), f"max error {err.max()} over bound {bound.max()}"


@pytest.mark.parametrize("mkn", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_float32_matmul_2d(backend, mkn):
    m, k, n = mkn
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    a, b = random_array(rng, (m, k), F32, -1, 1), random_array(rng, (k, n), F32, -1, 1)
    assert_matmul_close(Tensor(a, backend=backend) @ Tensor(b, backend=backend), a, b)


@pytest.mark.parametrize("mkn", [(1, 1, 1), (33, 70, 65), (513, 1025, 257)], ids=lambda s: "x".join(map(str, s)))
def test_matmul_of_small_integers_in_float32_is_exact(backend, mkn):
    """Small integer entries make every partial sum exact: a missing or doubled term shows."""
    m, k, n = mkn
    rng = np.random.default_rng(14)
    a = rng.integers(-3, 4, (m, k)).astype(np.float32)
    b = rng.integers(-3, 4, (k, n)).astype(np.float32)
    assert_exact(Tensor(a, backend=backend) @ Tensor(b, backend=backend), a @ b)


def test_matmul_every_dtype(backend):
    rng = np.random.default_rng(15)
    for dtype in dtypes_of(backend):
        for m, k, n in [(1, 1, 1), (5, 9, 3), (70, 33, 66)]:
            a, b = random_array(rng, (m, k), dtype, -1, 1), random_array(rng, (k, n), dtype, -1, 1)
            got = Tensor(a, backend=backend) @ Tensor(b, backend=backend)
            if dtype.kind == "f":
                assert_matmul_close(got, a, b)
            elif dtype == BOOL:
                assert_exact(got, a.astype(np.int32) @ b.astype(np.int32))  # bools count
            else:
                assert_exact(got, a @ b)  # uint8 wraps around like numpy's


@pytest.mark.parametrize("sa,sb", [
    ((4, 3, 5), (4, 5, 2)),          # same batch
    ((2, 3, 4, 5), (5, 6)),          # 2-D right operand broadcast over the batch
    ((5, 6), (3, 6, 2)),             # 2-D left operand broadcast
    ((3, 1, 4, 5), (2, 5, 6)),       # both batches broadcast
    ((1, 7, 9), (6, 9, 1)),
    ((5,), (5, 4)), ((4, 5), (5,)), ((5,), (5,)),   # 1-D operands
    ((5,), (3, 5, 2)), ((3, 2, 5), (5,)),
    ((2, 0, 3), (3, 4)), ((2, 3, 0), (0, 4)), ((0, 3, 4), (4, 2)),   # empty
])
def test_batched_and_1d_matmul(backend, sa, sb):
    rng = np.random.default_rng(16)
    a, b = random_array(rng, sa, F32, -1, 1), random_array(rng, sb, F32, -1, 1)
    got = Tensor(a, backend=backend) @ Tensor(b, backend=backend)
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == expected.shape and got.dtype == F32
    bound = 1.01 * max(a.shape[-1], 1) * np.finfo(np.float32).eps * np.matmul(np.abs(a), np.abs(b)).astype(np.float64)
    assert np.all(np.abs(got.numpy() - expected) <= bound)


def test_matmul_of_transposed_and_sliced_views(backend):
    rng = np.random.default_rng(17)
    a = rng.integers(-5, 5, (40, 30)).astype(np.float32)
    b = rng.integers(-5, 5, (50, 40)).astype(np.float32)
    ta, tb = Tensor(a, backend=backend), Tensor(b, backend=backend)
    assert_exact(ta.T @ tb.T, a.T @ b.T)
    assert_exact(ta[::-2, 1::3].T @ tb[:10, ::-2].T, a[::-2, 1::3].T @ b[:10, ::-2].T)


def test_matmul_mixed_dtypes_promote(backend):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    got = Tensor(a, backend=backend) @ Tensor(b, backend=backend)
    assert got.dtype == F32
    np.testing.assert_allclose(got.numpy(), a.astype(np.float32) @ b, rtol=1e-6)


def test_matmul_shape_errors(backend):
    a = Tensor(np.zeros((2, 3), np.float32), backend=backend)
    with pytest.raises(ValueError, match=r"inner dimensions differ \(\(2, 3\) @ \(4, 5\)\)"):
        a @ Tensor(np.zeros((4, 5), np.float32), backend=backend)
    with pytest.raises(ValueError, match="at least one dimension"):
        a @ Tensor(np.float32(1), backend=backend)
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\) cannot be broadcast"):
        Tensor(np.zeros((2, 2, 3)), backend=backend) @ Tensor(np.zeros((3, 3, 1)), backend=backend)


@pytest.mark.parametrize("name", OPENCL_NAMES)
@pytest.mark.parametrize("gpu_kernel", [False, True], ids=["cpu-panels", "gpu-tiles"])
def test_both_opencl_matmul_kernels_on_this_device(name, gpu_kernel, monkeypatch):
    """The backend picks the register-panel kernel on CPUs and the local-memory tiled one on
    GPUs; both are valid OpenCL, so both are checked here whatever the device is."""
    be = get_backend(name)
    monkeypatch.setattr(be.runtime, "is_gpu", gpu_kernel)
    rng = np.random.default_rng(18)
    for dtype in [d for d in dtypes_of(be) if d != BOOL]:  # bools multiply as int32
        for sa, sb in [((1, 1), (1, 1)), ((7, 13), (13, 5)), ((65, 70), (70, 129)), ((3, 17, 9), (3, 9, 33))]:
            a = rng.integers(-3, 4, sa).astype(dtype) if dtype.kind != "u" else rng.integers(0, 4, sa).astype(dtype)
            b = rng.integers(-3, 4, sb).astype(dtype) if dtype.kind != "u" else rng.integers(0, 4, sb).astype(dtype)
            assert_exact(Tensor(a, backend=be) @ Tensor(b, backend=be), a @ b)
