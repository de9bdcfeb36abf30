"""Helpers shared by the tensor engine tests: random data of each dtype, and comparisons with a
tolerance stated per dtype.

Exact comparisons are used wherever IEEE arithmetic is exactly specified (integer ops, float
add/sub/mul/min/max/compare, copies and casts). Transcendental functions may differ from numpy's
in the last bits on OpenCL, so they are compared with a relative tolerance of a few ulp.
"""

from __future__ import annotations

import numpy as np

from workbench.engine import Tensor, available_backends

#: Every backend once: the alias ``opencl`` is the same object as ``opencl:0``.
BACKEND_NAMES = [name for name in available_backends() if name != "opencl"]

ALL_DTYPES = [np.dtype(t) for t in (np.float32, np.float64, np.int32, np.uint32, np.uint8, np.bool_)]
FLOAT_DTYPES = [d for d in ALL_DTYPES if d.kind == "f"]
INT_DTYPES = [d for d in ALL_DTYPES if d.kind in "iu"]

#: Relative tolerance of transcendental functions (exp, log, tanh, pow, ...) per float dtype.
RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-13}
#: Smallest magnitude compared relatively; below it the comparison is absolute.
ATOL = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-300}


def dtypes_of(backend) -> list[np.dtype]:
    """The dtypes ``backend`` supports (float64 only where the device has fp64)."""
    return [d for d in ALL_DTYPES if d != np.float64 or backend.fp64]


def random_array(rng: np.random.Generator, shape, dtype, low: float = -10.0,
                 high: float = 10.0) -> np.ndarray:
    """Random values of ``dtype``: floats in [low, high), signed ints in [-100, 100), unsigned
    in [0, 200) (uint8 over its whole range), bools half true."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if dtype.kind == "f":
        return rng.uniform(low, high, size=shape).astype(dtype)
    if dtype == np.int32:
        return rng.integers(-100, 100, size=shape).astype(dtype)
    if dtype == np.uint32:
        return rng.integers(0, 200, size=shape).astype(dtype)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape).astype(dtype)
    return rng.random(size=shape) < 0.5


def assert_exact(t: Tensor, expected: np.ndarray) -> None:
    """Same dtype, same shape, same values (NaNs in the same places)."""
    expected = np.asarray(expected)
    got = t.numpy()
    assert t.dtype == expected.dtype, f"dtype {t.dtype} != expected {expected.dtype}"
    assert t.shape == expected.shape, f"shape {t.shape} != expected {expected.shape}"
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def assert_close(t: Tensor, expected: np.ndarray, rtol: float | None = None,
                 atol: float | None = None) -> None:
    """Same dtype and shape; values within ``rtol`` (default: :data:`RTOL` of the dtype)."""
    expected = np.asarray(expected)
    assert t.dtype == expected.dtype, f"dtype {t.dtype} != expected {expected.dtype}"
    assert t.shape == expected.shape, f"shape {t.shape} != expected {expected.shape}"
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(t.numpy(), expected)
        return
    np.testing.assert_allclose(t.numpy(), expected,
                               rtol=RTOL[expected.dtype] if rtol is None else rtol,
                               atol=ATOL[expected.dtype] if atol is None else atol)


def sum_tolerance(x: np.ndarray, axis, dtype) -> np.ndarray:
    """A bound on the rounding error of any summation order: (n - 1) * eps * sum(|x|)
    along ``axis`` (Higham's gamma_{n-1}), so the test holds for pairwise and chunked sums."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return np.zeros(())
    n = x.size if axis is None else x.shape[axis]
    eps = np.finfo(dtype).eps
    return 1.01 * max(n - 1, 1) * eps * np.abs(x.astype(np.float64)).sum(axis=axis)
