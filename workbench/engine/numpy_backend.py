"""The numpy backend: the reference every other backend is tested against.

Buffers are C-contiguous numpy arrays of exactly the tensor's shape (0-d included). Each method is the numpy expression of one primitive of
the tensor engine; :mod:`workbench.engine.cl.backend` implements the same methods as OpenCL
kernels, and the test suite holds the two to the same results.
"""

from __future__ import annotations

import math

import numpy as np

from .dtypes import is_float

_UNARY = {
    "neg": np.negative,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "relu": lambda x: np.maximum(x, x.dtype.type(0)),
    "sigmoid": lambda x: (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False),
    "tanh": np.tanh,
    "logical_not": np.logical_not,
}

_BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "pow": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
}

_REDUCE = {"sum": np.sum, "max": np.max, "min": np.min, "argmax": np.argmax}

#: Bytes of gathered rows :meth:`NumpyBackend.sum_rows` sums per block (about one core's L2).
GATHER_BYTES = 1 << 20


def _contiguous(x: object, dtype: np.dtype | None = None) -> np.ndarray:
    """``x`` as a C-contiguous array of its own shape (``np.ascontiguousarray`` would turn a 0-d
    result into shape (1,))."""
    x = np.asarray(x, dtype=dtype)
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


class NumpyBackend:
    """Primitives on host memory."""

    name = "numpy"
    is_opencl = False
    fp64 = True

    def __repr__(self) -> str:
        return "NumpyBackend()"

    # -- memory -------------------------------------------------------------------------------
    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return np.array(array, order="C", copy=True)

    def to_numpy(self, buf: np.ndarray) -> np.ndarray:
        return buf.copy()

    def full(self, shape: tuple[int, ...], value: object, dtype: np.dtype) -> np.ndarray:
        return np.full(shape, value, dtype=dtype)

    def reshape(self, buf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return buf.reshape(shape)

    def shares_memory(self, a: np.ndarray, b: np.ndarray) -> bool:
        return np.may_share_memory(a, b)

    # -- elementwise --------------------------------------------------------------------------
    def unary(self, op: str, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return _contiguous(_UNARY[op](x))

    def binary(self, op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = _BINARY[op](a, b)
        if op in ("div", "pow") and is_float(a.dtype):
            out = out.astype(a.dtype, copy=False)
        return _contiguous(out)

    def binary_scalar(self, op: str, x: np.ndarray, value: object, scalar_first: bool) -> np.ndarray:
        s = x.dtype.type(value)
        return self.binary(op, np.asarray(s), x) if scalar_first else self.binary(op, x, np.asarray(s))

    def where(self, cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _contiguous(np.where(cond, a, b))

    def cast(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return x.astype(dtype)

    # -- reductions and products --------------------------------------------------------------
    def reduce(self, op: str, x: np.ndarray, axis: int | None) -> np.ndarray:
        out = _REDUCE[op](x, axis=axis)
        if op == "argmax":
            return _contiguous(out, np.int32)
        return _contiguous(out, x.dtype)

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _contiguous(np.matmul(a, b))

    # -- data movement ------------------------------------------------------------------------
    def strided_copy(self, x: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...],
                     offset: int) -> np.ndarray:
        """A contiguous copy of the view ``x.flat[offset + sum(i_d * strides_d)]`` (element units)."""
        if math.prod(shape) == 0:
            return np.empty(shape, dtype=x.dtype)
        return np.array(self._view(x, shape, strides, offset), order="C", copy=True)

    @staticmethod
    def _view(x: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> np.ndarray:
        """The strided view of ``x`` (element units; negative strides reach back into ``x``'s
        own memory, never outside it, because every view the tensor makes lies inside it)."""
        flat = x.reshape(-1)
        return np.lib.stride_tricks.as_strided(flat[offset:], shape=shape,
                                               strides=tuple(s * x.itemsize for s in strides))

    def strided_assign(self, dst: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...],
                       offset: int, src: np.ndarray) -> None:
        """Write ``src`` (already of ``shape``) into the strided view of ``dst``, in place."""
        if src.size == 0:
            return
        self._view(dst, shape, strides, offset)[...] = src

    def take(self, x: np.ndarray, idx: np.ndarray, axis: int, along: bool) -> np.ndarray:
        if along:
            return _contiguous(np.take_along_axis(x, idx.astype(np.intp), axis=axis))
        return _contiguous(np.take(x, idx.astype(np.intp), axis=axis))

    def scatter_add(self, target: np.ndarray, idx: np.ndarray, src: np.ndarray, axis: int,
                    along: bool) -> None:
        """``target[..., idx, ...] += src`` with repeated indices accumulating, in place."""
        moved = np.moveaxis(target, axis, 0)
        if along:
            src_m = np.moveaxis(src, axis, 0)
            idx_m = np.moveaxis(idx.astype(np.intp), axis, 0)
            rest = np.indices(idx_m.shape[1:])
            np.add.at(moved, (idx_m, *[np.broadcast_to(r, idx_m.shape) for r in rest]), src_m)
        else:
            src_m = np.moveaxis(src, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
            _add_rows(moved, idx.reshape(-1).astype(np.intp), src_m.reshape((idx.size,) + moved.shape[1:]))

    def sum_rows(self, table: np.ndarray, indices: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
        """``out[b] = sum(table[indices[b, j]] for j < counts[b])``, rows added in order.

        Samples are gathered a few at a time (about ``GATHER_BYTES`` of rows), so the gathered
        block is summed while it is still in cache; padding past a sample's count is zeroed
        there. (``np.add.reduceat`` over all gathered rows would be one call, but it reduces
        along axis 0 segment by segment and measured 5-10x slower.)
        """
        batch, k = indices.shape
        out = np.zeros((batch, table.shape[1]), dtype=table.dtype)
        if out.size == 0 or k == 0:
            return out
        step = max(1, GATHER_BYTES // (k * table.shape[1] * table.itemsize))
        for start in range(0, batch, step):
            stop = min(batch, start + step)
            # (samples, k, D); "clip" because padding may hold any value (real indices are checked)
            rows = np.take(table, indices[start:stop], axis=0, mode="clip")
            if counts is not None:
                padding = np.arange(k) >= counts[start:stop, None]
                if padding.any():
                    rows[padding] = 0
            np.sum(rows, axis=1, out=out[start:stop])
        return out

    def sum_rows_backward(self, grad: np.ndarray, indices: np.ndarray, counts: np.ndarray | None,
                          num_rows: int) -> np.ndarray:
        """The table's gradient of :meth:`sum_rows`: ``grad[b]`` added into every row sample
        ``b`` read, samples in order (so each row's sum is the same as OpenCL's), zero elsewhere.

        One fancy-indexed ``+=`` per sample adds its gradient row to all its rows at once; that
        is exact when a sample names each row once (an SDR), which one vectorised test over the
        batch confirms for sorted rows; a sample that repeats a row takes ``np.add.at``.
        """
        batch, k = indices.shape
        out = np.zeros((num_rows, grad.shape[1]), dtype=grad.dtype)
        lengths = np.full(batch, k) if counts is None else counts
        increasing = indices[:, 1:] > indices[:, :-1]
        if counts is not None:
            increasing |= np.arange(1, k) >= counts[:, None]  # pairs that reach into padding
        all_distinct = bool(increasing.all())
        for b in range(batch):
            rows = indices[b, :lengths[b]]
            if all_distinct or np.unique(rows).size == rows.size:
                out[rows] += grad[b]
            else:
                np.add.at(out, rows, grad[b])
        return out


def _add_rows(target: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> None:
    """``np.add.at(target, idx, rows)``, bit for bit, fast for wide rows.

    ``ufunc.at`` works element by element, which makes the gradient of a row gather (an
    embedding or SparseLinear layer) hundreds of times slower than the gather. Instead, round k
    adds the k-th occurrence of every index with one fancy-indexed ``+=`` (indices are unique
    within a round), so each row receives its additions in the same order as with ``add.at``.
    Many collisions on few rows (more than 64 rounds) or narrow rows keep ``add.at``.
    """
    width = rows[0].size if rows.ndim > 1 and len(rows) else 0
    if width < 16 or idx.size < 2:
        np.add.at(target, idx, rows)
        return
    order = np.argsort(idx, kind="stable")
    ranked = idx[order]
    first = np.ones(idx.size, dtype=bool)
    first[1:] = ranked[1:] != ranked[:-1]
    position = np.arange(idx.size)
    occurrence = position - np.maximum.accumulate(np.where(first, position, 0))
    if occurrence.max() >= 64:
        np.add.at(target, idx, rows)
        return
    for k in range(int(occurrence.max()) + 1):
        pick = order[occurrence == k]
        target[idx[pick]] += rows[pick]
