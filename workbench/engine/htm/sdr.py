"""Sparse distributed representations (HTM_SPEC.md, "SDR").

An SDR is a binary array of fixed shape. It is stored the way HTM layers and session files use
it, as sorted unique flat indices (uint32), and a dense view is made only when someone asks for
it, then cached. Every model creates several SDRs per step, so an SDR is a small immutable value:
operations return new SDRs, the stored arrays are read-only (a cached view can never go stale),
and code that already holds sorted unique uint32 indices can skip validation.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from .rng import CompatRNG
from .rounding import round_half_away

Shape = tuple[int, ...]

_MAX_SIZE = 2**32  # flat indices are uint32


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


_EMPTY = _read_only(np.empty(0, dtype=np.uint32))


def as_shape(shape: int | Sequence[int]) -> Shape:
    """Normalise ``shape`` (an int or a sequence of ints) to a tuple, or say what is wrong."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not dims or any(not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1 for d in dims):
        raise ValueError(f"an SDR shape needs one or more whole dimensions, each >= 1 (got {shape!r})")
    dims = tuple(int(d) for d in dims)
    if math.prod(dims) > _MAX_SIZE:
        raise ValueError(f"an SDR holds at most 2**32 bits, indices being uint32 (got shape {dims})")
    return dims


def _integer_indices(indices: Iterable[int] | np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(indices)
    if array.size == 0:
        return _EMPTY
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional (got an array of shape {array.shape})")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{what} must be integers (got dtype {array.dtype})")
    return array


class SDR:
    """A binary array of fixed ``shape``: sorted unique flat indices plus a cached dense view.

    Build one with :meth:`from_sparse` (sorted unique indices), :meth:`from_indices` (any order,
    duplicates merged), :meth:`from_dense` or :meth:`from_coordinates`; ``SDR(shape)`` is the
    all-zero SDR.
    """

    __slots__ = ("_shape", "_size", "_sparse", "_dense")

    def __init__(self, shape: int | Sequence[int]) -> None:
        self._shape = as_shape(shape)
        self._size = math.prod(self._shape)
        self._sparse = _EMPTY
        self._dense: np.ndarray | None = None

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_sparse(
        cls, shape: int | Sequence[int], indices: Iterable[int] | np.ndarray, *, validate: bool = True
    ) -> SDR:
        """An SDR from strictly increasing flat indices.

        ``validate=False`` skips the checks, for callers whose indices are sorted, unique and in
        range by construction (encoders, layers): the SDR then keeps a read-only view of their
        array (cast to uint32 if needed), so they must not modify that array afterwards.
        """
        sdr = cls.__new__(cls)
        sdr._dense = None
        if not validate:
            sdr._shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
            sdr._size = math.prod(sdr._shape)
            array = np.asarray(indices)
            sdr._sparse = _read_only(array.view() if array.dtype == np.uint32 else array.astype(np.uint32))
            return sdr
        sdr._shape = as_shape(shape)
        sdr._size = math.prod(sdr._shape)
        array = _integer_indices(indices, "SDR indices")
        if array.size:
            _check_range(array, sdr._size, sdr._shape)
            steps = np.diff(array.astype(np.int64))
            if steps.size and steps.min() <= 0:
                at = int(np.argmax(steps <= 0)) + 1
                problem = "appears twice" if steps[at - 1] == 0 else f"follows {array[at - 1]}"
                raise ValueError(
                    f"SDR indices must be strictly increasing: index {array[at]} {problem} at "
                    f"position {at} (use SDR.from_indices for unsorted or repeated indices)"
                )
            array = _read_only(array.astype(np.uint32))
        sdr._sparse = array
        return sdr

    @classmethod
    def from_indices(cls, shape: int | Sequence[int], indices: Iterable[int] | np.ndarray) -> SDR:
        """An SDR from flat indices in any order; repeated indices count once."""
        dims = as_shape(shape)
        array = _integer_indices(indices, "SDR indices")
        if array.size:
            _check_range(array, math.prod(dims), dims)
            array = np.unique(array).astype(np.uint32)
        return cls.from_sparse(dims, array, validate=False)

    @classmethod
    def from_dense(cls, dense: np.ndarray | Sequence, shape: int | Sequence[int] | None = None) -> SDR:
        """An SDR whose active bits are the non-zero entries of ``dense``.

        With ``shape`` given, ``dense`` must have exactly that shape.
        """
        array = np.asarray(dense)
        if shape is not None and array.shape != as_shape(shape):
            raise ValueError(f"dense array has shape {array.shape}, expected {as_shape(shape)}")
        dims = as_shape(array.shape)
        active = array != 0
        sdr = cls.from_sparse(dims, np.flatnonzero(active).astype(np.uint32), validate=False)
        sdr._dense = _read_only(active.view(np.uint8))
        return sdr

    @classmethod
    def from_coordinates(cls, shape: int | Sequence[int], coordinates: Sequence[Iterable[int]]) -> SDR:
        """An SDR from one index array per dimension (as ``numpy.nonzero`` returns), any order."""
        dims = as_shape(shape)
        if len(coordinates) != len(dims):
            raise ValueError(
                f"coordinates need one index array per dimension: {len(dims)} for shape {dims} "
                f"(got {len(coordinates)})"
            )
        columns = [_integer_indices(c, "SDR coordinates") for c in coordinates]
        lengths = {c.size for c in columns}
        if len(lengths) != 1:
            raise ValueError(f"coordinate arrays must have equal lengths (got {sorted(lengths)})")
        if lengths == {0}:
            return cls(dims)
        for axis, (column, dim) in enumerate(zip(columns, dims)):
            bad = (column < 0) | (column >= dim)
            if bad.any():
                raise ValueError(
                    f"coordinate {column[np.argmax(bad)]} is out of range for dimension {axis} "
                    f"of size {dim}"
                )
        flat = np.ravel_multi_index(tuple(c.astype(np.intp) for c in columns), dims)
        return cls.from_sparse(dims, np.unique(flat).astype(np.uint32), validate=False)

    # -- views --------------------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return self._shape

    @property
    def size(self) -> int:
        """Number of bits (product of the shape)."""
        return self._size

    @property
    def sparse(self) -> np.ndarray:
        """Sorted unique flat indices of the active bits (read-only uint32)."""
        return self._sparse

    @property
    def active_count(self) -> int:
        return int(self._sparse.size)

    @property
    def dense(self) -> np.ndarray:
        """The bits as a read-only uint8 array of :attr:`shape`, made once and cached."""
        if self._dense is None:
            flat = np.zeros(self._size, dtype=np.uint8)
            flat[self._sparse] = 1
            self._dense = _read_only(flat.reshape(self._shape))
        return self._dense

    @property
    def coordinates(self) -> tuple[np.ndarray, ...]:
        """One index array per dimension, in the order of :attr:`sparse`."""
        return np.unravel_index(self._sparse, self._shape)

    @property
    def sparsity(self) -> float:
        """Fraction of bits that are active."""
        return self._sparse.size / self._size

    # -- value semantics ----------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SDR):
            return NotImplemented
        return self._shape == other._shape and np.array_equal(self._sparse, other._sparse)

    def __hash__(self) -> int:
        return hash((self._shape, self._sparse.tobytes()))

    def __reduce__(self):
        return (SDR.from_sparse, (self._shape, self._sparse))

    def __repr__(self) -> str:
        shown = ", ".join(str(i) for i in self._sparse[:8])
        more = ", ..." if self._sparse.size > 8 else ""
        return f"SDR(shape={self._shape}, active={self._sparse.size}: [{shown}{more}])"

    # -- operations ---------------------------------------------------------------------------
    def reshape(self, shape: int | Sequence[int]) -> SDR:
        """The same bits under another shape of the same size (flat indices are unchanged)."""
        dims = as_shape(shape)
        size = math.prod(dims)
        if size != self._size:
            raise ValueError(f"cannot reshape an SDR of size {self._size} to {dims} (size {size})")
        return SDR.from_sparse(dims, self._sparse, validate=False)

    def _same_shape(self, other: SDR, operation: str) -> None:
        if not isinstance(other, SDR):
            raise TypeError(f"{operation} needs another SDR (got {type(other).__name__})")
        if other._shape != self._shape:
            raise ValueError(f"{operation} needs SDRs of the same shape (got {self._shape} and {other._shape})")

    def overlap(self, other: SDR) -> int:
        """Number of bits active in both."""
        self._same_shape(other, "overlap")
        return int(np.count_nonzero(other.dense.reshape(-1)[self._sparse]))

    def union(self, other: SDR) -> SDR:
        """Bits active in either."""
        self._same_shape(other, "union")
        merged = np.union1d(self._sparse, other._sparse).astype(np.uint32)
        return SDR.from_sparse(self._shape, merged, validate=False)

    def intersection(self, other: SDR) -> SDR:
        """Bits active in both."""
        self._same_shape(other, "intersection")
        common = np.intersect1d(self._sparse, other._sparse, assume_unique=True).astype(np.uint32)
        return SDR.from_sparse(self._shape, common, validate=False)

    @staticmethod
    def concatenate(sdrs: Sequence[SDR], axis: int = 0) -> SDR:
        """Join SDRs along ``axis``; their shapes must agree on every other axis."""
        if not sdrs:
            raise ValueError("concatenate needs at least one SDR")
        first = sdrs[0]._shape
        if not -len(first) <= axis < len(first):
            raise ValueError(f"axis {axis} is out of range for SDRs with {len(first)} dimensions")
        axis %= len(first)
        for sdr in sdrs[1:]:
            if len(sdr._shape) != len(first) or any(
                a != b for d, (a, b) in enumerate(zip(sdr._shape, first)) if d != axis
            ):
                raise ValueError(
                    f"concatenate along axis {axis} needs shapes that agree on the other axes "
                    f"(got {first} and {sdr._shape})"
                )
        length = sum(s._shape[axis] for s in sdrs)
        shape = first[:axis] + (length,) + first[axis + 1 :]
        if axis == 0:  # flat offsets keep every part sorted and in order
            step = math.prod(first[1:])
            offsets = np.cumsum([0] + [s._shape[0] * step for s in sdrs[:-1]])
            joined = np.concatenate([s._sparse + np.uint32(o) for s, o in zip(sdrs, offsets)])
            return SDR.from_sparse(as_shape(shape), joined.astype(np.uint32), validate=False)
        parts, start = [], 0
        for sdr in sdrs:
            coords = list(sdr.coordinates)
            coords[axis] = coords[axis] + start
            parts.append(np.ravel_multi_index(tuple(coords), shape))
            start += sdr._shape[axis]
        joined = np.sort(np.concatenate(parts)).astype(np.uint32)
        return SDR.from_sparse(as_shape(shape), joined, validate=False)

    def add_noise(self, fraction: float, rng: CompatRNG) -> SDR:
        """Move ``round(fraction * active)`` active bits to random inactive places (spec "SDR").

        turn_off = sample(sorted active indices, n), then turn_on = sample(ascending inactive
        indices, n): two full shuffles, so the RNG advances by (active - 1) + (inactive - 1)
        draws whatever n is. The active count is unchanged.
        """
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"noise fraction must be in [0, 1] (got {fraction})")
        active = self._sparse
        n = round_half_away(fraction * active.size)
        inactive = np.flatnonzero(self.dense.reshape(-1) == 0)
        if n > inactive.size:
            raise ValueError(
                f"cannot move {n} active bits: only {inactive.size} of {self._size} bits are inactive"
            )
        turn_off = rng.sample(active, n)
        turn_on = rng.sample(inactive.astype(np.uint32), n)
        kept = np.setdiff1d(active, turn_off, assume_unique=True)
        noisy = np.union1d(kept, turn_on).astype(np.uint32)
        return SDR.from_sparse(self._shape, noisy, validate=False)

    def randomize(self, sparsity: float, rng: CompatRNG) -> SDR:
        """A random SDR of this shape: sample(0..size-1, round(size * sparsity)), sorted."""
        if not 0.0 <= sparsity <= 1.0:
            raise ValueError(f"sparsity must be in [0, 1] (got {sparsity})")
        count = round_half_away(self._size * sparsity)
        chosen = np.sort(rng.sample(np.arange(self._size, dtype=np.uint32), count))
        return SDR.from_sparse(self._shape, chosen, validate=False)


def _check_range(array: np.ndarray, size: int, shape: Shape) -> None:
    low, high = array.min(), array.max()
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise ValueError(f"SDR index {bad} is out of range for shape {shape} (size {size})")
