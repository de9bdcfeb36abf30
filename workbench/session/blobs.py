"""Numpy arrays packed into one byte string, referred to from JSON by [dtype, shape, offset, nbytes].

Frames and checkpoints both store a JSON description plus raw array bytes; this is the one place
that lays the bytes out and, when reading an untrusted file, checks every reference (known
non-object dtype, shape matching the byte count, bytes inside the blob) before touching memory.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from .errors import CorruptSessionError

# bool, signed and unsigned ints, floats, complex, fixed-width unicode and bytes: never objects
STORABLE_KINDS = "biufcUS"

ArrayRef = list  # [dtype.str, shape, offset, nbytes]


def storable(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` can be stored (plain numbers or fixed-width text)."""
    return dtype.kind in STORABLE_KINDS and dtype.fields is None


class BlobWriter:
    """Collects copies of arrays' bytes, laid out in the order they were added."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, array: np.ndarray) -> ArrayRef:
        """Copy ``array``'s bytes in and return its reference (the caller checks the dtype)."""
        data = np.ascontiguousarray(array).tobytes()
        ref = [array.dtype.str, list(array.shape), self._size, len(data)]
        self._parts.append(data)
        self._size += len(data)
        return ref

    def compressed(self, level: int, prefix: bytes = b"") -> bytes:
        """zlib of ``prefix`` + the blob, streamed part by part (no joined copy of large states)."""
        packer = zlib.compressobj(level)
        out = [packer.compress(prefix), *(packer.compress(part) for part in self._parts), packer.flush()]
        return b"".join(out)


class BlobReader:
    """Arrays out of a blob, every reference checked; damage raises :class:`CorruptSessionError`."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self._buffer = memoryview(data)
        self._what = what

    def array(self, ref: Any, writable: bool) -> np.ndarray:
        """The referenced array: a private writable copy, or a read-only view into the blob."""
        if not (isinstance(ref, list) and len(ref) == 4 and isinstance(ref[0], str)
                and isinstance(ref[1], list)
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (*ref[1], *ref[2:]))):
            raise CorruptSessionError(f"{self._what} has a malformed array reference {ref!r:.80}")
        dtype_text, shape, offset, nbytes = ref
        try:
            dtype = np.dtype(dtype_text)
        except TypeError:
            raise CorruptSessionError(f"{self._what} names an unknown dtype {dtype_text!r:.40}") from None
        if not storable(dtype):
            raise CorruptSessionError(f"{self._what} holds a forbidden dtype {dtype_text!r:.40}")
        if math.prod(shape) * dtype.itemsize != nbytes or offset + nbytes > len(self._buffer):
            raise CorruptSessionError(f"{self._what}: array bytes do not match the array's shape and dtype")
        array = np.frombuffer(self._buffer[offset:offset + nbytes], dtype=dtype).reshape(shape)
        if writable:
            return array.copy()
        array.flags.writeable = False
        return array
