"""The Tensor: a backend buffer, its shape and dtype, and (when it needs one) its autograd node.

The primitive set is small (tinygrad and micrograd are the models): elementwise unary and binary
ops with broadcasting, where, cast, reductions over an axis, matmul, strided copies (which give
reshape, transpose, slicing, broadcasting and concatenation), gather/scatter-add along an axis,
and seeded random numbers. Everything else is composed from these.

Storage is always contiguous. A view such as a transpose or a slice is materialised by one
strided-copy kernel: on a device that costs one pass over the data, and in exchange every
kernel can assume contiguous inputs, which keeps each of them simple and fast.
"""

from __future__ import annotations

import math
import weakref
from typing import Iterable, Sequence

import numpy as np

from . import autograd
from .autograd import Node, is_grad_enabled
from .backend import get_backend
from .dtypes import (DEFAULT_FLOAT, SUPPORTED, as_dtype, compute_dtype, is_float, promote, scalar_dtype,
                     sum_dtype, supported_names)

Shape = tuple[int, ...]

_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
_LOGICAL = ("logical_and", "logical_or")
_FLOAT_UNARY = ("exp", "log", "sqrt", "sigmoid", "tanh")


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """numpy's broadcasting rule, with the error message naming both shapes."""
    if a == b:  # the common case, without numpy's call overhead
        return tuple(a)
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ValueError(f"shapes {a} and {b} cannot be broadcast together") from None


def contiguous_strides(shape: Shape) -> Shape:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


def _normalise_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise IndexError(f"axis {axis} is out of range for a tensor of {ndim} dimensions")
    return axis % max(ndim, 1)


class Tensor:
    """An n-dimensional array on a backend, optionally tracked by autograd."""

    __slots__ = ("_buf", "shape", "dtype", "backend", "requires_grad", "grad", "_node", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our operators

    def __init__(self, data: object, dtype: object = None, backend: object = "numpy",
                 requires_grad: bool = False) -> None:
        array = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
        if dtype is not None:
            dt = as_dtype(dtype)
        else:
            dt = data.dtype if isinstance(data, Tensor) else _infer_dtype(data, array)
        self.backend = get_backend(backend)
        self._check_dtype(dt)
        self._buf = self.backend.from_numpy(array.astype(dt, copy=False))
        self.shape: Shape = tuple(array.shape)
        self.dtype = dt
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self._node: Node | None = None
        if requires_grad and not is_float(dt):
            raise TypeError(f"only float tensors can require grad (got {dt})")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def _wrap(cls, buf: object, shape: Shape, dtype: np.dtype, backend: object) -> "Tensor":
        t = object.__new__(cls)
        t._buf = buf
        t.shape = tuple(shape)
        t.dtype = dtype
        t.backend = backend
        t.requires_grad = False
        t.grad = None
        t._node = None
        return t

    def _check_dtype(self, dt: np.dtype) -> None:
        if dt == np.float64 and not self.backend.fp64:
            raise TypeError(f"backend {self.backend.name} has no float64 support; use float32")

    @classmethod
    def from_numpy(cls, array: np.ndarray, backend: object = "numpy", dtype: object = None,
                   requires_grad: bool = False) -> "Tensor":
        """A tensor holding a copy of ``array`` (its dtype kept unless ``dtype`` is given)."""
        array = np.asarray(array)
        return cls(array, dtype=dtype if dtype is not None else array.dtype, backend=backend,
                   requires_grad=requires_grad)

    @classmethod
    def full(cls, shape: Iterable[int], value: object, dtype: object = DEFAULT_FLOAT,
             backend: object = "numpy", requires_grad: bool = False) -> "Tensor":
        be = get_backend(backend)
        shape = tuple(int(n) for n in shape)
        dt = as_dtype(dtype)
        if dt == np.float64 and not be.fp64:
            raise TypeError(f"backend {be.name} has no float64 support; use float32")
        return cls._wrap(be.full(shape, value, dt), shape, dt, be).requires_grad_(requires_grad)

    @classmethod
    def zeros(cls, shape: Iterable[int], dtype: object = DEFAULT_FLOAT, backend: object = "numpy",
              requires_grad: bool = False) -> "Tensor":
        return cls.full(shape, 0, dtype, backend, requires_grad)

    @classmethod
    def ones(cls, shape: Iterable[int], dtype: object = DEFAULT_FLOAT, backend: object = "numpy",
             requires_grad: bool = False) -> "Tensor":
        return cls.full(shape, 1, dtype, backend, requires_grad)

    @classmethod
    def arange(cls, n: int, dtype: object = np.int32, backend: object = "numpy") -> "Tensor":
        return cls.from_numpy(np.arange(n, dtype=as_dtype(dtype)), backend=backend)

    # -- conversion ---------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """A host copy (bool tensors come back as numpy bool)."""
        out = self.backend.to_numpy(self._buf)
        if self.dtype == np.bool_ and out.dtype != np.bool_:
            out = out.astype(np.bool_)
        return out.reshape(self.shape)

    def item(self) -> float | int | bool:
        if self.size != 1:
            raise ValueError(f"item() needs a tensor of one element (got shape {self.shape})")
        return self.numpy().reshape(-1)[0].item()

    def to(self, backend: object) -> "Tensor":
        """This tensor on another backend (a copy; the result does not track gradients)."""
        be = get_backend(backend)
        if be is self.backend:
            return self
        return Tensor.from_numpy(self.numpy(), backend=be, dtype=self.dtype)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor._wrap(self._buf, self.shape, self.dtype, self.backend)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        if flag and not is_float(self.dtype):
            raise TypeError(f"only float tensors can require grad (got {self.dtype})")
        self.requires_grad = flag
        return self

    def backward(self, grad: "Tensor | None" = None) -> None:
        """Accumulate gradients of this tensor into every leaf that requires them."""
        autograd.backward(self, grad)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; any other size is ambiguous, as in numpy."""
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "reduce it to one element first, e.g. t.max() or (t != 0).sum()")
        return bool(self.item())

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return (f"Tensor(shape={self.shape}, dtype={self.dtype}, backend={self.backend.name}{grad})\n"
                f"{self.numpy()}")

    __hash__ = object.__hash__

    # -- graph helpers ------------------------------------------------------------------------
    def _result(self, buf: object, shape: Shape, dtype: np.dtype, parents: Sequence["Tensor"],
                backward_fn) -> "Tensor":
        out = Tensor._wrap(buf, shape, dtype, self.backend)
        if backward_fn is not None and is_grad_enabled() and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._node = Node(parents, backward_fn)
        return out

    def _same_backend(self, other: "Tensor") -> None:
        if other.backend is not self.backend:
            raise ValueError(f"tensors live on different backends ({self.backend.name} and "
                             f"{other.backend.name}); move one with .to(...)")

    def _coerce(self, other: object) -> "Tensor":
        """``other`` as a tensor on this backend (Python scalars take a weak dtype)."""
        if isinstance(other, Tensor):
            self._same_backend(other)
            return other
        arr = np.asarray(other)
        dtype = scalar_dtype(arr.item(), self.dtype) if arr.ndim == 0 else None
        return Tensor(arr, dtype=dtype, backend=self.backend)

    # -- elementwise --------------------------------------------------------------------------
    def _unary(self, op: str, backward_fn=None) -> "Tensor":
        """``op`` elementwise; transcendental functions of integers and bools compute in float32."""
        x = self.cast(DEFAULT_FLOAT) if op in _FLOAT_UNARY and not is_float(self.dtype) else self
        return x._result(x.backend.unary(op, x._buf), x.shape, x.dtype, (x,), backward_fn)

    def _unary_from_output(self, op: str, rule) -> "Tensor":
        """``op`` elementwise, with a gradient ``rule(g, out)`` written in terms of the output.
        The rule reaches the output through a weak reference: a closure holding the output
        itself would make output -> node -> closure -> output a reference cycle, which keeps
        the whole graph (and, on OpenCL, its pending expressions) alive until the garbage
        collector runs instead of until the last tensor of it goes. While backward runs, the
        output is alive (backward holds every tensor of the graph)."""
        out_ref = None
        out = self._unary(op, lambda g: rule(g, out_ref()))
        out_ref = weakref.ref(out)
        return out

    def __neg__(self) -> "Tensor":
        if self.dtype == np.bool_:
            raise TypeError("cannot negate a bool tensor; use ~x (logical_not) instead")
        return self._unary("neg", lambda g: (-g,))

    def exp(self) -> "Tensor":
        return self._unary_from_output("exp", lambda g, out: (g * out,))

    def log(self) -> "Tensor":
        return self._unary("log", lambda g: (g / self,))

    def sqrt(self) -> "Tensor":
        return self._unary_from_output("sqrt", lambda g, out: (g / (out * 2.0),))

    def abs(self) -> "Tensor":
        return self._unary("abs", lambda g: (g * self.sign(),))

    def relu(self) -> "Tensor":
        return self._unary("relu", lambda g: (Tensor.where(self > 0, g, 0.0),))

    def sigmoid(self) -> "Tensor":
        return self._unary_from_output("sigmoid", lambda g, out: (g * out * (1.0 - out),))

    def tanh(self) -> "Tensor":
        return self._unary_from_output("tanh", lambda g, out: (g * (1.0 - out * out),))

    def sign(self) -> "Tensor":
        """-1, 0 or +1 (no gradient: it is piecewise constant)."""
        return (self > 0).cast(self.dtype) - (self < 0).cast(self.dtype)

    def logical_not(self) -> "Tensor":
        return self.cast(np.bool_)._unary("logical_not")

    def _binary(self, op: str, other: object, reverse: bool = False) -> "Tensor":
        if (isinstance(other, (int, float)) or not isinstance(other, Tensor) and np.ndim(other) == 0) \
                and op not in _LOGICAL:
            return self._binary_scalar(op, other, reverse)
        b = self._coerce(other)
        a = self
        if reverse:
            a, b = b, a
        dt = np.dtype(np.bool_) if op in _LOGICAL else compute_dtype(op, promote(a.dtype, b.dtype))
        a_c, b_c = a.cast(dt), b.cast(dt)
        shape = broadcast_shapes(a.shape, b.shape)
        out_dt = np.dtype(np.bool_) if op in _COMPARISONS or op in _LOGICAL else dt
        buf = self.backend.binary(op, a_c._buf, b_c._buf)
        return a._result(buf, shape, out_dt, (a_c, b_c), _binary_backward(op, a_c, b_c, shape))

    def _binary_scalar(self, op: str, value: object, reverse: bool) -> "Tensor":
        dt = compute_dtype(op, scalar_dtype(value, self.dtype))
        x = self.cast(dt)
        out_dt = np.dtype(np.bool_) if op in _COMPARISONS else dt
        buf = self.backend.binary_scalar(op, x._buf, value, reverse)
        return x._result(buf, self.shape, out_dt, (x,), _scalar_backward(op, x, value, reverse))

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, reverse=True)
    def __sub__(self, o): return self._binary("sub", o)
    def __rsub__(self, o): return self._binary("sub", o, reverse=True)
    def __mul__(self, o): return self._binary("mul", o)
    def __rmul__(self, o): return self._binary("mul", o, reverse=True)
    def __truediv__(self, o): return self._binary("div", o)
    def __rtruediv__(self, o): return self._binary("div", o, reverse=True)
    def __pow__(self, o): return self._binary("pow", o)
    def __rpow__(self, o): return self._binary("pow", o, reverse=True)
    def __lt__(self, o): return self._binary("lt", o)
    def __le__(self, o): return self._binary("le", o)
    def __gt__(self, o): return self._binary("gt", o)
    def __ge__(self, o): return self._binary("ge", o)
    def __eq__(self, o): return self._binary("eq", o)  # type: ignore[override]
    def __ne__(self, o): return self._binary("ne", o)  # type: ignore[override]
    def __and__(self, o): return self.logical_and(o)
    def __or__(self, o): return self.logical_or(o)
    def __invert__(self): return self.logical_not()
    def __matmul__(self, o): return self.matmul(o)

    def maximum(self, other: object) -> "Tensor":
        return self._binary("maximum", other)

    def minimum(self, other: object) -> "Tensor":
        return self._binary("minimum", other)

    def logical_and(self, other: object) -> "Tensor":
        return self.cast(np.bool_)._binary("logical_and", self._coerce(other).cast(np.bool_))

    def logical_or(self, other: object) -> "Tensor":
        return self.cast(np.bool_)._binary("logical_or", self._coerce(other).cast(np.bool_))

    @staticmethod
    def where(cond: "Tensor", a: object, b: object) -> "Tensor":
        """``a`` where ``cond`` is true, else ``b`` (broadcasting all three)."""
        if not isinstance(cond, Tensor):
            raise TypeError("where() needs a boolean Tensor as its condition")
        ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
        if ref is None:
            dt = promote(scalar_dtype(a, DEFAULT_FLOAT), scalar_dtype(b, DEFAULT_FLOAT))
        else:
            dt = ref.dtype
            for other in (a, b):
                dt = promote(dt, other.dtype) if isinstance(other, Tensor) else dt
        ta = a.cast(dt) if isinstance(a, Tensor) else Tensor.full((), a, dt, cond.backend)
        tb = b.cast(dt) if isinstance(b, Tensor) else Tensor.full((), b, dt, cond.backend)
        c = cond.cast(np.bool_)
        c._same_backend(ta)
        c._same_backend(tb)
        shape = broadcast_shapes(broadcast_shapes(c.shape, ta.shape), tb.shape)
        buf = c.backend.where(c._buf, ta._buf, tb._buf)

        def backward_fn(g):
            zero = Tensor.zeros((), g.dtype, g.backend)
            return (None,
                    Tensor.where(c, g, zero)._unbroadcast(ta.shape) if ta.requires_grad else None,
                    Tensor.where(c, zero, g)._unbroadcast(tb.shape) if tb.requires_grad else None)

        return c._result(buf, shape, dt, (c, ta, tb), backward_fn)

    def cast(self, dtype: object) -> "Tensor":
        """This tensor converted to ``dtype`` (itself when already of that dtype)."""
        if dtype is self.dtype:
            return self
        dt = as_dtype(dtype)
        if dt == self.dtype:
            return self
        self._check_dtype(dt)
        src_dt = self.dtype
        backward_fn = (lambda g: (g.cast(src_dt),)) if is_float(dt) and is_float(src_dt) else None
        return self._result(self.backend.cast(self._buf, dt), self.shape, dt, (self,), backward_fn)

    astype = cast

    # -- reductions ---------------------------------------------------------------------------
    def _reduce(self, op: str, axis: int | None, keepdims: bool) -> tuple[object, Shape, Shape]:
        if axis is None:
            if self.size == 0 and op != "sum":
                raise ValueError(f"{op} of an empty tensor")
            keep_shape = (1,) * self.ndim
            out_shape = keep_shape if keepdims else ()
            buf = self.backend.reduce(op, self._buf, None)
        else:
            axis = _normalise_axis(axis, self.ndim)
            keep_shape = self.shape[:axis] + (1,) + self.shape[axis + 1:]
            out_shape = keep_shape if keepdims else self.shape[:axis] + self.shape[axis + 1:]
            if self.shape[axis] == 0 and op != "sum":
                raise ValueError(f"{op} over an empty axis {axis} of shape {self.shape}")
            buf = self.backend.reduce(op, self._buf, axis)
        return self.backend.reshape(buf, out_shape), out_shape, keep_shape

    def sum(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        """Sum over ``axis`` (everything when None); bools count in int32, uint8 sums in uint32."""
        x = self.cast(sum_dtype(self.dtype))
        buf, shape, keep = x._reduce("sum", axis, keepdims)
        return x._result(buf, shape, x.dtype, (x,), lambda g: (g.reshape(keep).expand(x.shape),))

    def mean(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        """Mean over ``axis`` (float32 for integer tensors; NaN over nothing, as in numpy)."""
        n = self.size if axis is None else self.shape[_normalise_axis(axis, self.ndim)]
        x = self if is_float(self.dtype) else self.cast(DEFAULT_FLOAT)
        return x.sum(axis, keepdims) / float(n)

    def _extreme(self, op: str, axis: int | None, keepdims: bool) -> "Tensor":
        buf, shape, keep = self._reduce(op, axis, keepdims)

        def backward_fn(g):  # the output through a weak reference: see _unary_from_output
            hit = (self == out_ref().reshape(keep)).cast(g.dtype)
            count = hit.sum(axis, keepdims=True) if axis is not None else hit.sum().reshape(keep)
            return (hit * (g.reshape(keep) / count),)

        out = self._result(buf, shape, self.dtype, (self,), backward_fn)
        out_ref = weakref.ref(out)
        return out

    def max(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        return self._extreme("max", axis, keepdims)

    def min(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        return self._extreme("min", axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        """Index of the first maximum (int32), over the flattened tensor when axis is None."""
        buf, shape, _ = self._reduce("argmax", axis, keepdims)
        return Tensor._wrap(buf, shape, np.dtype(np.int32), self.backend)

    # -- matmul -------------------------------------------------------------------------------
    def matmul(self, other: "Tensor") -> "Tensor":
        """Matrix product with numpy's rules (1-D operands promoted, batch dims broadcast)."""
        other = self._coerce(other)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError("matmul needs operands of at least one dimension")
        a = self.reshape((1,) + self.shape) if self.ndim == 1 else self
        b = other.reshape(other.shape + (1,)) if other.ndim == 1 else other
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul: inner dimensions differ ({self.shape} @ {other.shape})")
        dt = compute_dtype("matmul", promote(a.dtype, b.dtype))
        a, b = a.cast(dt), b.cast(dt)
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_full = a.expand(batch + a.shape[-2:]) if a.shape[:-2] != batch else a
        b_full = b.expand(batch + b.shape[-2:]) if b.shape[:-2] != batch else b
        buf = self.backend.matmul(a_full._buf, b_full._buf)
        shape = batch + (a.shape[-2], b.shape[-1])

        def backward_fn(g):
            ga = (g @ b_full.swapaxes(-1, -2))._unbroadcast(a.shape) if a.requires_grad else None
            gb = (a_full.swapaxes(-1, -2) @ g)._unbroadcast(b.shape) if b.requires_grad else None
            return ga, gb

        out = a._result(buf, shape, dt, (a, b), backward_fn)
        if self.ndim == 1:
            out = out.reshape(out.shape[:-2] + out.shape[-1:])
        if other.ndim == 1:
            out = out.reshape(out.shape[:-1])
        return out

    # -- shape --------------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(int(n) for n in shape)
        if shape.count(-1) > 1:
            raise ValueError(f"reshape: at most one -1 (got {shape})")
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            if known == 0 or self.size % known:
                raise ValueError(f"cannot reshape {self.shape} into {shape}")
            shape = tuple(self.size // known if n == -1 else n for n in shape)
        if math.prod(shape) != self.size:
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                             f"into {shape}")
        src_shape = self.shape
        return self._result(self.backend.reshape(self._buf, shape), shape, self.dtype, (self,),
                            lambda g: (g.reshape(src_shape),))

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def _strided(self, shape: Shape, strides: Shape, offset: int, backward_fn) -> "Tensor":
        buf = self.backend.strided_copy(self._buf, shape, strides, offset)
        return self._result(buf, shape, self.dtype, (self,), backward_fn)

    def permute(self, *axes: int | Sequence[int]) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(_normalise_axis(a, self.ndim) for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of {self.ndim} axes")
        if axes == tuple(range(self.ndim)):
            return self
        src = contiguous_strides(self.shape)
        inverse = tuple(np.argsort(axes))
        return self._strided(tuple(self.shape[a] for a in axes), tuple(src[a] for a in axes), 0,
                             lambda g: (g.permute(inverse),))

    def transpose(self, *axes: int) -> "Tensor":
        """Reverse the axes, or permute them as given (numpy's ``transpose``)."""
        return self.permute(axes if axes else tuple(reversed(range(self.ndim))))

    def swapaxes(self, a: int, b: int) -> "Tensor":
        order = list(range(self.ndim))
        a, b = _normalise_axis(a, self.ndim), _normalise_axis(b, self.ndim)
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def expand(self, shape: Sequence[int]) -> "Tensor":
        """Broadcast to ``shape`` (materialised)."""
        shape = tuple(int(n) for n in shape)
        if shape == self.shape:
            return self
        try:
            target = tuple(np.broadcast_shapes(self.shape, shape))
        except ValueError:
            target = None
        if target != shape:
            raise ValueError(f"cannot expand shape {self.shape} to {shape}")
        lead = len(shape) - self.ndim
        src = contiguous_strides(self.shape)
        strides = tuple(0 if i < lead or self.shape[i - lead] == 1 else src[i - lead]
                        for i in range(len(shape)))
        src_shape = self.shape
        return self._strided(shape, strides, 0, lambda g: (g._unbroadcast(src_shape),))

    broadcast_to = expand

    def _unbroadcast(self, shape: Shape) -> "Tensor":
        """Sum a gradient back over the axes along which ``shape`` was broadcast."""
        if self.shape == tuple(shape):
            return self
        g = self
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        for axis, n in enumerate(shape):
            if n == 1 and g.shape[axis] != 1:
                g = g.sum(axis=axis, keepdims=True)
        return g.reshape(shape)

    def __getitem__(self, key: object) -> "Tensor":
        advanced = _advanced_axis(key, self.ndim)
        if advanced is not None:
            axis, index = advanced
            return self.take(index, axis=axis)
        shape, strides, offset = _basic_view(self.shape, key)
        src_shape = self.shape

        def backward_fn(g):
            full = Tensor.zeros(src_shape, g.dtype, g.backend)
            full.backend.strided_assign(full._buf, shape, strides, offset, g._buf)
            return (full,)

        return self._strided(shape, strides, offset, backward_fn)

    def __setitem__(self, key: object, value: object) -> None:
        """In-place assignment through basic indexing (not recorded by autograd)."""
        shape, strides, offset, src = self._assignment(key, value)
        self.backend.strided_assign(self._buf, shape, strides, offset, src._buf)

    def assign_(self, value: object, together: Sequence["Tensor"] = ()) -> "Tensor":
        """``self[...] = value``, computing the lazily evaluated tensors in ``together`` in the
        same pass (see :meth:`realize`). An optimiser writes a parameter's new value and its new
        moments this way: on OpenCL with fusion they are one kernel, which reads the old values
        and writes the new ones in place."""
        _, _, _, src = self._assignment(Ellipsis, value)
        if self.backend.is_opencl:
            self.backend.assign(self._buf, src._buf, [t._buf for t in together])
        else:
            self.backend.strided_assign(self._buf, self.shape, contiguous_strides(self.shape), 0, src._buf)
        return self

    def _assignment(self, key: object, value: object) -> tuple[Shape, Shape, int, "Tensor"]:
        """The view an assignment through ``key`` writes (shape, strides, offset) and the
        values it writes, checked and broadcast to that view."""
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("in-place assignment to a tensor that requires grad; "
                               "wrap it in no_grad() or use detach()")
        if _advanced_axis(key, self.ndim) is not None:
            raise IndexError("assignment through an index array is not supported; "
                             "build the new values with scatter_add or where")
        shape, strides, offset = _basic_view(self.shape, key)
        src = self._coerce(value).cast(self.dtype)
        if src.shape != shape:
            src = src.expand(shape)
        if self.backend.shares_memory(src._buf, self._buf):  # e.g. t[::-1] = t
            src = src._strided(src.shape, contiguous_strides(src.shape), 0, None)
        return shape, strides, offset, src

    @staticmethod
    def realize(*tensors: "Tensor") -> None:
        """Compute every lazily evaluated tensor given, together.

        On OpenCL with fusion (the default) elementwise results are expressions that run as one
        generated kernel when their data is first needed; tensors of one shape realised together
        share that kernel. Needed only to bound a chain that would otherwise keep growing (an
        optimiser's moments, step after step); results are the same either way.
        """
        for be in {id(t.backend): t.backend for t in tensors}.values():
            if be.is_opencl:
                be.realize([t._buf for t in tensors if t.backend is be])

    @staticmethod
    def concatenate(tensors: Sequence["Tensor"], axis: int = 0) -> "Tensor":
        """Join tensors along an existing axis."""
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        first = tensors[0]
        if first.ndim == 0:
            raise ValueError("concatenate: 0-d tensors have no axis to join along; use stack")
        axis = _normalise_axis(axis, first.ndim)
        dt = first.dtype
        for t in tensors[1:]:
            first._same_backend(t)
            dt = promote(dt, t.dtype)
            if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1:] != \
                    first.shape[:axis] + first.shape[axis + 1:]:
                raise ValueError(f"concatenate: shapes {first.shape} and {t.shape} differ off axis {axis}")
        parts = [t.cast(dt) for t in tensors]
        sizes = [t.shape[axis] for t in parts]
        shape = first.shape[:axis] + (sum(sizes),) + first.shape[axis + 1:]
        out = Tensor.zeros(shape, dt, first.backend)
        strides = contiguous_strides(shape)
        start = 0
        for t, n in zip(parts, sizes):
            out.backend.strided_assign(out._buf, t.shape, strides, start * strides[axis],
                                       t._buf)
            start += n

        def backward_fn(g):
            grads, begin = [], 0
            for n in sizes:
                index = (slice(None),) * axis + (slice(begin, begin + n),)
                grads.append(g[index])
                begin += n
            return grads

        return first._result(out._buf, shape, dt, parts, backward_fn)

    @staticmethod
    def stack(tensors: Sequence["Tensor"], axis: int = 0) -> "Tensor":
        if not tensors:
            raise ValueError("stack needs at least one tensor")
        first = tensors[0]
        axis = _normalise_axis(axis, first.ndim + 1)
        for t in tensors[1:]:
            if t.shape != first.shape:
                raise ValueError(f"stack: shapes {first.shape} and {t.shape} differ")
        return Tensor.concatenate([t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors],
                                  axis)

    # -- gather / scatter ---------------------------------------------------------------------
    def _index_tensor(self, index: object, axis: int) -> "Tensor":
        """``index`` as an int32/uint32 tensor on this backend, for an axis of this tensor.

        Negative indices count from the end, as in numpy. Indices that live on the host are
        range-checked here; a device tensor is not read back for that (an out-of-range index on
        a device reads 0 and is not scattered).
        """
        n = self.shape[axis]
        if isinstance(index, Tensor):
            self._same_backend(index)
            if index.dtype not in (np.int32, np.uint32):
                raise TypeError(f"indices must be int32 or uint32 (got {index.dtype})")
            if not index.backend.is_opencl:
                _check_index_range(index.numpy(), n, axis)
            return index
        arr = np.asarray(index)
        if arr.size == 0:
            arr = arr.astype(np.int32)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"indices must be integers (got {arr.dtype})")
        _check_index_range(arr, n, axis)
        return Tensor.from_numpy(arr.astype(np.int32), backend=self.backend)

    def take(self, index: object, axis: int = 0) -> "Tensor":
        """Rows (or slices along ``axis``) picked by an integer index array (numpy's ``take``)."""
        axis = _normalise_axis(axis, self.ndim)
        idx = self._index_tensor(index, axis)
        shape = self.shape[:axis] + idx.shape + self.shape[axis + 1:]
        buf = self.backend.take(self._buf, idx._buf, axis, False)
        src_shape = self.shape
        return self._result(buf, shape, self.dtype, (self,),
                            lambda g: (Tensor.zeros(src_shape, g.dtype, g.backend)
                                       .scatter_add(idx, g, axis),))

    def take_along_axis(self, index: object, axis: int) -> "Tensor":
        """numpy's ``take_along_axis``: the index has this tensor's shape except along ``axis``."""
        axis = _normalise_axis(axis, self.ndim)
        idx = self._index_tensor(index, axis)
        if idx.ndim != self.ndim or any(i != s for d, (i, s) in enumerate(zip(idx.shape, self.shape))
                                        if d != axis):
            raise ValueError(f"take_along_axis: index shape {idx.shape} must match {self.shape} "
                             f"except along axis {axis}")
        buf = self.backend.take(self._buf, idx._buf, axis, True)
        src_shape = self.shape
        return self._result(buf, idx.shape, self.dtype, (self,),
                            lambda g: (Tensor.zeros(src_shape, g.dtype, g.backend)
                                       .scatter_add(idx, g, axis, along=True),))

    def scatter_add(self, index: object, src: "Tensor", axis: int = 0, along: bool = False) -> "Tensor":
        """A copy of this tensor with ``src`` added at ``index`` along ``axis``.

        The inverse of :meth:`take` (``along=False``) and :meth:`take_along_axis` (``along=True``);
        repeated indices accumulate.
        """
        axis = _normalise_axis(axis, self.ndim)
        idx = self._index_tensor(index, axis)
        src = self._coerce(src).cast(self.dtype)
        expected = idx.shape if along else self.shape[:axis] + idx.shape + self.shape[axis + 1:]
        if src.shape != expected:
            raise ValueError(f"scatter_add: src shape {src.shape} must be {expected}")
        buf = self.backend.strided_copy(self._buf, self.shape, contiguous_strides(self.shape), 0)
        self.backend.scatter_add(buf, idx._buf, src._buf, axis, along)

        def backward_fn(g):
            gs = g.take_along_axis(idx, axis) if along else g.take(idx, axis)
            return g, gs

        return self._result(buf, self.shape, self.dtype, (self, src), backward_fn)

    # -- fused sparse rows ------------------------------------------------------------------
    def sum_rows(self, indices: object, counts: object = None) -> "Tensor":
        """For each sample, the sum of this table's rows that its indices name:
        ``out[b] = sum(self[indices[b, j]] for j < counts[b])``.

        ``self`` is a float table (N, D); ``indices`` (B, k) integers, one row per sample padded
        to a common length; ``counts`` (B,) how many of each row are real (all k when None).
        This is ``x @ self`` for a 0/1 matrix ``x`` given by its active bits (an SDR batch into
        a SparseLinear layer) in O(B k D) work instead of O(B N D). It is one primitive rather
        than take + sum because the composition writes and reads back the (B, k, D) gathered
        rows, and its gradient (a scatter-add) needs atomics. The gradient here adds each
        sample's output gradient straight into the rows it read, summing over samples in order:
        deterministic on every backend, zero in rows no sample read. A row named twice in one
        sample counts twice. Indices must lie in 0..N-1 (checked when they live on the host; on
        a device an index out of range reads as a zero row).
        """
        if self.ndim != 2 or not is_float(self.dtype):
            raise ValueError(f"sum_rows needs a 2-D float table (got {self.dtype} of shape {self.shape})")
        host = not isinstance(indices, Tensor) or not indices.backend.is_opencl
        idx = self._coerce(indices if isinstance(indices, Tensor) else np.asarray(indices))
        if idx.ndim != 2 or idx.dtype not in (np.int32, np.uint32):
            raise ValueError(f"sum_rows: indices must be a (samples, k) int32 array (got {idx.dtype} "
                             f"of shape {idx.shape})")
        batch, k = idx.shape
        cnt = None
        if counts is not None:
            cnt = self._coerce(counts if isinstance(counts, Tensor) else np.asarray(counts, dtype=np.int32))
            if cnt.shape != (batch,) or cnt.dtype not in (np.int32, np.uint32):
                raise ValueError(f"sum_rows: counts must be {batch} int32 values (got {cnt.dtype} of "
                                 f"shape {cnt.shape})")
            cnt = cnt.cast(np.int32)
        num_rows = self.shape[0]
        if host:
            host_idx = indices.numpy() if isinstance(indices, Tensor) else np.asarray(indices)
            host_counts = None if cnt is None else (
                counts.numpy() if isinstance(counts, Tensor) else np.asarray(counts))
            _check_rows(host_idx, host_counts, num_rows, k)
        cnt_buf = None if cnt is None else cnt._buf
        buf = self.backend.sum_rows(self._buf, idx._buf, cnt_buf)

        def backward_fn(g):
            grad = self.backend.sum_rows_backward(g._buf, idx._buf, cnt_buf, num_rows)
            return (Tensor._wrap(grad, (num_rows, g.shape[1]), g.dtype, g.backend),)

        return self._result(buf, (batch, self.shape[1]), self.dtype, (self,), backward_fn)


def _check_rows(idx: np.ndarray, counts: np.ndarray | None, n: int, k: int) -> None:
    """Host-side indices of :meth:`Tensor.sum_rows`: counts in 0..k, the real indices in 0..n-1."""
    if counts is not None and counts.size and (counts.min() < 0 or counts.max() > k):
        raise ValueError(f"sum_rows: counts must lie in 0..{k} (got {counts.min()}..{counts.max()})")
    real = idx if counts is None else idx[np.arange(k) < counts[:, None]]
    if real.size and (real.min() < 0 or real.max() >= n):
        bad = real.max() if real.max() >= n else real.min()
        raise IndexError(f"sum_rows: index {bad} is out of range for a table of {n} rows")


def _check_index_range(arr: np.ndarray, n: int, axis: int) -> None:
    if arr.size and (arr.min() < -n or arr.max() >= n):
        bad = arr.max() if arr.max() >= n else arr.min()
        raise IndexError(f"index {bad} is out of range for axis {axis} of size {n}")


def _infer_dtype(data: object, array: np.ndarray) -> np.dtype:
    """Default dtype of new data: numpy arrays keep theirs where supported (int64 -> int32,
    float16 -> float32); Python numbers and lists give float32, int32 or bool."""
    kind = array.dtype.kind
    if isinstance(data, np.ndarray) and array.dtype in SUPPORTED:
        return array.dtype
    if kind == "f":
        return DEFAULT_FLOAT
    if kind in "iu":
        return np.dtype(np.int32)
    if kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"cannot make a tensor from {array.dtype} data; supported: {supported_names()}")


def _binary_backward(op: str, a: Tensor, b: Tensor, shape: Shape):
    """The gradient rule of a tensor-tensor op, or None for non-differentiable ones."""
    if op in _COMPARISONS or op in _LOGICAL or not is_float(a.dtype):
        return None

    def backward_fn(g):
        if op == "add":
            ga, gb = g, g
        elif op == "sub":
            ga, gb = g, -g
        elif op == "mul":
            ga, gb = g * b, g * a
        elif op == "div":
            ga, gb = g / b, -g * a / (b * b)
        elif op == "pow":
            out = a ** b
            ga = g * b * a ** (b - 1.0)
            gb = g * out * Tensor.where(a > 0, a, 1.0).log() if b.requires_grad else None
        elif op == "maximum":
            pick = (a >= b).cast(g.dtype)
            ga, gb = g * pick, g * (1.0 - pick)
        elif op == "minimum":
            pick = (a <= b).cast(g.dtype)
            ga, gb = g * pick, g * (1.0 - pick)
        else:  # pragma: no cover - every float op is listed above
            raise AssertionError(op)
        return (ga._unbroadcast(a.shape) if a.requires_grad and ga is not None else None,
                gb._unbroadcast(b.shape) if b.requires_grad and gb is not None else None)

    return backward_fn


def _scalar_backward(op: str, x: Tensor, value: object, reverse: bool):
    """The gradient rule of ``x op value`` (or ``value op x`` when ``reverse``)."""
    if op in _COMPARISONS or not is_float(x.dtype):
        return None
    v = float(value)

    def backward_fn(g):
        if op == "add":
            return (g,)
        if op == "sub":
            return (-g if reverse else g,)
        if op == "mul":
            return (g * v,)
        if op == "div":
            return (-g * v / (x * x),) if reverse else (g / v,)
        if op == "pow":
            if reverse:  # v ** x
                return (g * (v ** x) * math.log(v),) if v > 0 else (g * 0.0,)
            return (g * v * x ** (v - 1.0),)
        if op in ("maximum", "minimum"):
            keep = (x >= v) if op == "maximum" else (x <= v)
            return (g * keep.cast(g.dtype),)
        raise AssertionError(op)  # pragma: no cover

    return backward_fn


def _advanced_axis(key: object, ndim: int) -> tuple[int, object] | None:
    """(axis, index) when ``key`` is integer-array indexing on one axis, else None."""
    def is_array(k):
        return isinstance(k, (Tensor, list, np.ndarray)) and not isinstance(k, bool)

    if is_array(key):
        return 0, key
    if isinstance(key, tuple):
        arrays = [i for i, k in enumerate(key) if is_array(k)]
        if not arrays:
            return None
        if len(arrays) > 1 or any(k != slice(None) for i, k in enumerate(key) if i != arrays[0]):
            raise IndexError("indexing with an array is supported on one axis, other axes ':' only")
        return arrays[0], key[arrays[0]]
    return None


def _basic_view(shape: Shape, key: object) -> tuple[Shape, Shape, int]:
    """Shape, element strides and offset of ``tensor[key]`` for ints, slices, None and '...'."""
    if not isinstance(key, tuple):
        key = (key,)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > len(shape):
        raise IndexError(f"too many indices ({n_real}) for a tensor of {len(shape)} dimensions")
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis")
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_real) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - n_real)
    src_strides = contiguous_strides(shape)
    out_shape, out_strides, offset, dim = [], [], 0, 0
    for k in key:
        if k is None:
            out_shape.append(1)
            out_strides.append(0)
            continue
        n, s = shape[dim], src_strides[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            count = len(range(start, stop, step))
            out_shape.append(count)
            out_strides.append(s * step)
            offset += start * s if count else 0
        elif isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            i = int(k)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of range for axis {dim} of size {n}")
            offset += (i % n) * s
        else:
            raise IndexError(f"unsupported index {k!r}: use ints, slices, None, ... or one int array")
        dim += 1
    return tuple(out_shape), tuple(out_strides), offset
