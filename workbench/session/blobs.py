"""Numpy arrays packed into one byte string, referred to from JSON by [dtype, shape, offset, nbytes].

Frames and checkpoints both store a JSON description plus raw array bytes; this is the one place
that lays the bytes out and, when reading an untrusted file, checks every reference (known
non-object dtype, shape matching the byte count, bytes inside the blob) before touching memory.
"""

from __future__ import annotations

import itertools
import math
import threading
from typing import Any

import numpy as np

from . import codec
from .errors import CorruptSessionError

# bool, signed and unsigned ints, floats, complex, fixed-width unicode and bytes: never objects
STORABLE_KINDS = "biufcUS"

ArrayRef = list  # [dtype.str, shape, offset, nbytes]


def storable(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` can be stored (plain numbers or fixed-width text)."""
    return dtype.kind in STORABLE_KINDS and dtype.fields is None


class BlobWriter:
    """Lays arrays out one after another, in the order they were added.

    Arrays are kept by reference until the blob is packed, not copied: frames add arrays made
    for the chunk and pack them at once; a checkpoint, whose arrays the model may change right
    after, takes a :meth:`snapshot` first.
    """

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._size = 0

    @property
    def nbytes(self) -> int:
        """The blob's length so far."""
        return self._size

    def add(self, array: np.ndarray) -> ArrayRef:
        """Lay ``array`` out next and return its reference (the caller checks the dtype)."""
        array = np.asarray(array)  # strided views stay views: the snapshot copies them once
        ref = [array.dtype.str, list(array.shape), self._size, array.nbytes]
        self._parts.append(array)
        self._size += array.nbytes
        return ref

    def snapshot(self, buffer: np.ndarray | None = None) -> np.ndarray:
        """The blob's bytes copied now into ``buffer`` (a uint8 array of exactly :attr:`nbytes`,
        see :class:`SnapshotBuffers`) or a new array; later changes to the arrays added do not
        reach it."""
        out = np.empty(self.nbytes, np.uint8) if buffer is None else buffer
        if out.dtype != np.uint8 or out.shape != (self.nbytes,):
            raise ValueError(f"a snapshot needs a uint8 buffer of {self.nbytes} bytes (got {out.dtype} {out.shape})")
        offset = 0
        for part in self._parts:
            # through a typed view of the bytes, so that a strided part is gathered in this one copy
            np.copyto(out[offset:offset + part.nbytes].view(part.dtype).reshape(part.shape), part)
            offset += part.nbytes
        return out

    def compressed(self, prefix: bytes = b"") -> bytes:
        """``prefix`` + the blob, compressed part by part (no joined copy; see :mod:`.codec`)."""
        return codec.pack_parts(itertools.chain([prefix], map(_bytes_of, self._parts)), len(prefix) + self.nbytes)


def _bytes_of(array: np.ndarray) -> np.ndarray:
    """An array's bytes in C order as a flat uint8 array (a view when it is C-contiguous)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


class SnapshotBuffers:
    """Byte buffers for checkpoint snapshots, reused once their checkpoint is stored.

    Copying a model's tens of megabytes into fresh memory costs page faults (and, where numpy
    asks for huge pages, memory compaction) that make the copy several times slower than the
    copying itself, and the recording run waits for that copy. Reusing the buffer of the last
    checkpoint, whose compression on the writer thread finished long ago, leaves only the
    copying. A buffer that has become too small (models grow) is replaced by one with headroom.
    Safe to use from two threads: the recording thread takes, the writer thread gives back.
    """

    HEADROOM = 1.25  # a replaced buffer grows by this factor, so a growing model rarely reallocates
    KEPT = 2  # free buffers kept at most (one in use while the next is taken is the usual case)

    def __init__(self) -> None:
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()

    def take(self, nbytes: int) -> np.ndarray:
        """A uint8 array of exactly ``nbytes`` for :meth:`BlobWriter.snapshot`, reused when one
        is free; hand it back with :meth:`give_back` when its bytes are no longer needed."""
        with self._lock:
            for i, buffer in enumerate(self._free):
                if buffer.nbytes >= nbytes:
                    return self._free.pop(i)[:nbytes]
            self._free.clear()  # all too small for the model as it is now
        return np.empty(math.ceil(nbytes * self.HEADROOM), np.uint8)[:nbytes]

    def give_back(self, view: np.ndarray) -> None:
        """Return a buffer from :meth:`take` (the view it returned) for reuse."""
        buffer = view if view.base is None else view.base
        with self._lock:
            if len(self._free) < self.KEPT:
                self._free.append(buffer)


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
