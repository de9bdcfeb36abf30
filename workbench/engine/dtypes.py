"""The dtypes tensors support, and the promotion rule for mixing them.

Six dtypes cover what HTM and small networks need: float32 (the default), float64 (numpy, and
OpenCL devices with fp64), int32, uint32 (SDR indices), uint8 and bool (stored as uint8 on
OpenCL). Promotion follows numpy where numpy stays inside this set, and otherwise picks the
member of the set a user expects: int32 with uint32 gives int32 (numpy would widen to int64,
which no kernel supports), and dividing integers gives float32.
"""

from __future__ import annotations

import numpy as np

SUPPORTED = {np.dtype(t) for t in (np.float32, np.float64, np.int32, np.uint32, np.uint8, np.bool_)}

CL_TYPE_NAMES = {
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(np.int32): "int",
    np.dtype(np.uint32): "uint",
    np.dtype(np.uint8): "uchar",
    np.dtype(np.bool_): "uchar",
}

DEFAULT_FLOAT = np.dtype(np.float32)
DEFAULT_INT = np.dtype(np.int32)


def as_dtype(dtype: object) -> np.dtype:
    """Normalise a dtype given as a name, a numpy type or a numpy dtype; refuse unsupported ones."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; supported: {supported_names()}") from None
    if dt not in SUPPORTED:
        raise TypeError(f"dtype {dt} is not supported; supported: {supported_names()}")
    return dt


def supported_names() -> str:
    return "float32, float64, int32, uint32, uint8, bool"


def is_float(dt: np.dtype) -> bool:
    return dt.kind == "f"


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """The result dtype of a binary op on tensors of dtypes ``a`` and ``b``."""
    if a == b:
        return a
    if is_float(a) or is_float(b):
        return np.dtype(np.float64) if np.float64 in (a, b) else DEFAULT_FLOAT
    if a == np.bool_:
        return b
    if b == np.bool_:
        return a
    if np.int32 in (a, b):
        return DEFAULT_INT
    return np.dtype(np.uint32)  # uint8 with uint32


def compute_dtype(op: str, dt: np.dtype) -> np.dtype:
    """The dtype a binary op computes in, given the promoted dtype of its operands.

    Dividing or raising integers to a power gives float32 (no kernel does integer division);
    adding, subtracting, multiplying or matrix-multiplying bools counts, in int32 (numpy would
    give a logical or for ``+`` and refuse ``-``).
    """
    if op in ("div", "pow") and not is_float(dt):
        return DEFAULT_FLOAT
    if op in ("add", "sub", "mul", "matmul") and dt == np.bool_:
        return DEFAULT_INT
    return dt


def sum_dtype(dt: np.dtype) -> np.dtype:
    """The dtype of a sum: bools count in int32 and uint8 sums widen to uint32 (numpy widens both
    to 64 bits, which no kernel supports); every other dtype sums in itself."""
    if dt == np.bool_:
        return DEFAULT_INT
    if dt == np.uint8:
        return np.dtype(np.uint32)
    return dt


def scalar_dtype(value: object, other: np.dtype) -> np.dtype:
    """The dtype a Python scalar takes when combined with a tensor of dtype ``other``.

    Scalars are "weak": they adopt the tensor's dtype when of the same kind, so ``x * 2.0``
    stays float32 and ``i + 1`` stays int32.
    """
    if isinstance(value, (bool, np.bool_)):
        return other
    if isinstance(value, (int, np.integer)):
        return DEFAULT_INT if other == np.bool_ else other
    if isinstance(value, (float, np.floating)):
        return other if is_float(other) else DEFAULT_FLOAT
    raise TypeError(f"cannot combine a tensor with {type(value).__name__} {value!r}")
