"""The OpenCL backend: the numpy backend's primitives as kernels from ``kernels/*.cl``.

Buffers are :class:`DeviceBuffer` objects: a contiguous pooled OpenCL buffer with its shape and
dtype (bool is stored as uchar). Kernels are specialised by ``#define`` preludes (types,
operator expressions, layout) and fetched once from the runtime's cache.

Launch shapes follow what PoCL (the CPU driver CI uses) needs to vectorise: it runs a
work-group as a loop over work-items, so bodies have no per-item bounds check (a GUARD=1 variant
takes the last, partial group), no per-element division (views and broadcasts run on a 3-D
range after merging axes, see elementwise.cl) and no builtin calls in cheap expressions (PoCL
calls builtins as functions). Work-group sizes come from a small set, because PoCL compiles a
kernel anew for every size it meets. Matmul and reductions have a CPU kernel (register blocks,
vector types) beside the GPU one (local-memory tiles, one work-item per output); both are
tested on every device. A view that still has more than six axes after merging goes through a
copy kernel that reads its shape and strides from a small buffer.

With ``fusion`` on (the default; ``WORKBENCH_FUSION=0`` or ``backend.fusion = False`` turns it
off) elementwise primitives return lazy expressions that run as one generated kernel when their
data is needed (see fusion.py); every method here accepts them wherever it takes a buffer.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..dtypes import CL_TYPE_NAMES, is_float
from .fusion import Fuser, LazyBuffer, fusion_enabled_by_default, template
from .runtime import CLRuntime

MAX_DIMS = 6
#: Partial results a CPU reduction work-item keeps (two AVX2 vectors of float32).
REDUCE_LANES = 16
#: Columns a CPU work-item of sum_rows.cl owns (1 KB of float32 per row it reads).
SUM_ROWS_CHUNK = 256
#: Work-items up to which a CPU launch is one guarded launch rather than an unguarded bulk plus
#: a guarded rest: for so little work a second launch costs more than vectorising saves.
SMALL_LAUNCH = 1 << 14

# Operator expressions. Cheap ones avoid OpenCL builtins (isnan, fabs, max, min): PoCL calls
# those as functions, which stops it vectorising a kernel and makes it several times slower.
# `x != x` is isnan(x) (kernels are never built with fast-math, so it is not folded away), and
# conditions are joined with `|`, not `||`, so they compile to selects rather than branches.
_FLOAT_UNARY = {
    "neg": "(-(x))",
    "exp": "exp(x)",
    "log": "log(x)",
    "sqrt": "sqrt(x)",
    "relu": "((x) <= (TA)0 ? (TA)0 : (x))",
    "sigmoid": "((TA)1 / ((TA)1 + exp(-(x))))",
    "tanh": "tanh(x)",
}
_FLOAT32_UNARY = {  # vectorisable float32 versions from elementwise.cl
    "exp": "exp_f32(x)",
    "log": "log_f32(x)",
    "tanh": "tanh_f32(x)",
    "sigmoid": "(1.0f / (1.0f + exp_f32(-(x))))",
}
_FLOAT_ABS = {  # clear the sign bit, as fabs does (abs(-0.0) is +0.0, NaN stays NaN)
    "float": "as_float(as_uint(x) & 0x7fffffffu)",
    "double": "as_double(as_ulong(x) & 0x7fffffffffffffffUL)",
}
_INT_UNARY = {"neg": "(TA)(-(x))", "abs": "((x) < (TA)0 ? (TA)(-(x)) : (x))", "relu": "((x) > (TA)0 ? (x) : (TA)0)"}

_COMMON_BINARY = {
    "add": "((a) + (b))",
    "sub": "((a) - (b))",
    "mul": "((a) * (b))",
    "eq": "(uchar)((a) == (b))",
    "ne": "(uchar)((a) != (b))",
    "lt": "(uchar)((a) < (b))",
    "le": "(uchar)((a) <= (b))",
    "gt": "(uchar)((a) > (b))",
    "ge": "(uchar)((a) >= (b))",
    "logical_and": "(uchar)((a) != 0 && (b) != 0)",
    "logical_or": "(uchar)((a) != 0 || (b) != 0)",
}
_FLOAT_BINARY = {
    "div": "((a) / (b))",
    "pow": "pow((a), (b))",
    "maximum": "((((a) != (a)) | ((a) >= (b))) ? (a) : (b))",
    "minimum": "((((a) != (a)) | ((a) <= (b))) ? (a) : (b))",
}
_INT_BINARY = {"maximum": "((a) >= (b) ? (a) : (b))", "minimum": "((a) <= (b) ? (a) : (b))"}
_BOOL_OUT = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or"}

_LIMITS = {
    "float": ("-INFINITY", "INFINITY"), "double": ("-INFINITY", "INFINITY"),
    "int": ("INT_MIN", "INT_MAX"), "uint": ("0", "UINT_MAX"), "uchar": ("0", "UCHAR_MAX"),
}


@lru_cache(maxsize=None)
def _unary_expr(op: str, dtype: np.dtype) -> str:
    """The operator expression (in ``x`` and ``TA``) of unary ``op`` on ``dtype`` storage."""
    if op == "logical_not":
        return "(uchar)((x) == 0)"
    t = CL_TYPE_NAMES[dtype]
    if t == "float":
        table = {**_FLOAT_UNARY, **_FLOAT32_UNARY, "abs": _FLOAT_ABS[t]}
    elif is_float(dtype):
        table = {**_FLOAT_UNARY, "abs": _FLOAT_ABS[t]}
    else:
        table = _INT_UNARY
    if op not in table:
        raise TypeError(f"{op} is not defined for {dtype} tensors")
    return table[op]


@lru_cache(maxsize=None)
def _binary_expr(op: str, dtype: np.dtype) -> tuple[str, str]:
    """The operator expression (in ``a``, ``b``) of binary ``op`` on ``dtype`` storage, and the
    C type of its result."""
    table = {**_COMMON_BINARY, **(_FLOAT_BINARY if is_float(dtype) else _INT_BINARY)}
    if op not in table:
        raise TypeError(f"{op} is not defined for {dtype} tensors")
    return table[op], "uchar" if op in _BOOL_OUT else CL_TYPE_NAMES[dtype]


def _storage(dt: np.dtype) -> np.dtype:
    return np.dtype(np.uint8) if dt == np.bool_ else dt


def _merge_axes(shape: tuple[int, ...], *strides: tuple[int, ...]) -> tuple[list[int], list[list[int]]]:
    """Drop size-1 axes and merge neighbours that are contiguous in every operand."""
    dims: list[int] = []
    strs: list[list[int]] = [[] for _ in strides]
    for axis, n in enumerate(shape):
        if n == 1:
            continue
        if dims and all(s[-1] == st[axis] * n for s, st in zip(strs, strides)):
            dims[-1] *= n
            for s, st in zip(strs, strides):
                s[-1] = st[axis]
            continue
        dims.append(n)
        for s, st in zip(strs, strides):
            s.append(st[axis])
    return dims, strs


def _collapse(shape: tuple[int, ...], *strides: tuple[int, ...]) -> tuple[int, list[int], list[list[int]]] | None:
    """(RANK, dims, strides) for the strided kernels: merged axes left-padded to MAX_DIMS, RANK 3
    when at most three axes are left (the kernels then need no division), else 6; None when the
    view needs more than MAX_DIMS axes even after merging."""
    dims, strs = _merge_axes(shape, *strides)
    if len(dims) > MAX_DIMS:
        return None
    pad = MAX_DIMS - len(dims)
    return 3 if len(dims) <= 3 else 6, [1] * pad + dims, [[0] * pad + s for s in strs]


def _inner_steps(names: str, strides: list[list[int]]) -> dict[str, str]:
    """``<operand>_STEP`` defines: each operand's innermost stride, as a literal when it is 0
    (broadcast) or 1 (contiguous), so the compiler emits plain or broadcast vector loads instead
    of gathers; other strides stay the kernel argument ``<operand>5``."""
    return {f"{n}_STEP": str(s[-1]) if s[-1] in (0, 1) else f"{n}5" for n, s in zip(names, strides)}


def _next_pow2(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def _whole(shape: tuple[int, ...], strides: tuple[int, ...], size: int) -> bool:
    """Whether a view of ``shape`` and ``strides`` (at offset 0) covers a buffer of ``size``
    elements in order."""
    dims, (s,) = _merge_axes(shape, strides)
    return math.prod(shape) == size and (not dims or len(dims) == 1 and s[0] == 1)


def _is_broadcast(shape: tuple[int, ...], out_shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether the view of a contiguous ``shape`` as ``out_shape`` with ``strides`` (offset 0)
    is numpy's broadcast of it."""
    return len(out_shape) >= len(shape) and all(n in (1, m) for n, m in zip(reversed(shape), reversed(out_shape))) \
        and tuple(strides) == _broadcast_strides(shape, out_shape)


def _broadcast_strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, ...]:
    lead = len(out_shape) - len(shape)
    strides, acc = [0] * len(out_shape), 1
    for axis in range(len(shape) - 1, -1, -1):
        strides[axis + lead] = 0 if shape[axis] == 1 else acc
        acc *= shape[axis]
    return tuple(strides)


class DeviceBuffer:
    """A contiguous array on a device: a buffer from the runtime's memory pool, its shape and
    element dtype. Reshaping shares the buffer.

    Why not ``pyopencl.array.Array``: its constructor does tens of microseconds of bookkeeping
    per allocation, more than a small kernel takes to run; a tensor op only needs these fields.
    """

    __slots__ = ("data", "shape", "dtype", "size", "nbytes")

    def __init__(self, data, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.data = data  # None for an empty array
        self.shape = shape
        self.dtype = dtype
        self.size = math.prod(shape)
        self.nbytes = self.size * dtype.itemsize

    @property
    def base_data(self):
        return self.data

    def reshape(self, shape: tuple[int, ...]) -> "DeviceBuffer":
        shape = tuple(shape)
        if math.prod(shape) != self.size:
            raise ValueError(f"cannot reshape a buffer of {self.size} elements into {shape}")
        return DeviceBuffer(self.data, shape, self.dtype)

    def __repr__(self) -> str:
        return f"DeviceBuffer(shape={self.shape}, dtype={self.dtype})"


class OpenCLBackend:
    """Primitives on one OpenCL device."""

    is_opencl = True

    def __init__(self, runtime: CLRuntime) -> None:
        import pyopencl as cl  # noqa: PLC0415

        self.cl = cl
        self.runtime = runtime
        self.queue = runtime.queue
        self.name = f"opencl:{runtime.index}"
        self.fp64 = runtime.fp64
        self.int64_atomics = "cl_khr_int64_base_atomics" in runtime.device.extensions
        self.local_size = 256 if runtime.is_gpu else min(1024, runtime.max_work_group_size)
        self._typed_kernels: set[int] = set()  # ids of kernels (cached for good by the runtime)
        #: Whether elementwise ops build lazy expressions fused into one kernel (fusion.py).
        self.fusion = fusion_enabled_by_default()
        self.fuser = Fuser(self)

    def __repr__(self) -> str:
        return f"OpenCLBackend({self.runtime.info.describe()})"

    # -- plumbing -----------------------------------------------------------------------------
    def _empty(self, shape: tuple[int, ...], dtype: np.dtype) -> DeviceBuffer:
        dtype = _storage(dtype)
        shape = tuple(shape)
        nbytes = math.prod(shape) * dtype.itemsize
        return DeviceBuffer(self.runtime.allocator(nbytes) if nbytes else None, shape, dtype)

    def _launch(self, kernel, n: int, *args) -> None:
        """A flat launch over ``n`` items rounded up to the work-group size (the kernel's first
        argument is ``n``, and it skips the items past it)."""
        local = self.local_size
        self._call(kernel, (math.ceil(n / local) * local,), (local,), np.int32(n), *args)

    def _variants(self, filename: str, name: str, defines: dict):
        """``guard -> kernel``: the GUARD=0 and GUARD=1 builds of a kernel (see
        :meth:`_launch_exact`), each fetched from the runtime once by this function."""
        fetched: dict[int, object] = {}

        def variant(guard: int):
            kernel = fetched.get(guard)
            if kernel is None:
                kernel = fetched[guard] = self._kernel(filename, name, GUARD=guard, **defines)
            return kernel

        return variant

    def _launch_exact(self, filename: str, name: str, defines: dict, n: int, *args) -> None:
        """:meth:`_launch_flat` of a kernel of ``filename`` specialised by ``defines``."""
        self._launch_flat(self._variants(filename, name, defines), n, *args)

    def _launch_flat(self, variant, n: int, *args) -> None:
        """A flat launch of exactly ``n`` work-items (the kernel's first argument is ``n``). A
        kernel body without a bounds check is what lets PoCL vectorise it (LLVM will not
        unswitch a check out of a large body such as exp's), so the whole work-groups run the
        kernel built without one, and the remainder one group of the variant built with
        GUARD=1 (only these two variants: PoCL compiles a kernel anew for every work-group size).
        Small launches on a CPU, and every launch on a GPU (where the check costs nothing), are
        one launch of the guarded variant."""
        local = self.local_size
        bulk = n - n % local
        if bulk and n > bulk and self._one_launch(n):
            self._call(variant(1), (bulk + local,), (local,), np.int32(n), *args)
            return
        if bulk:
            self._call(variant(0), (bulk,), (local,), np.int32(n), *args)
        if n > bulk:
            self._call(variant(1), (local,), (local,), np.int32(n), *args, global_offset=(bulk,))

    def _launch_strided(self, name: str, defines: dict, dims: list[int], strides: list[list[int]],
                        *args) -> None:
        """A 3-D launch of a strided kernel of elementwise.cl (arguments: ``args``, then the sizes,
        then each operand's strides) over collapsed ``dims`` (six sizes): dimension 0 along d5,
        dimension 1 along d4, dimension 2 over the rest."""
        self._launch_strided_variants(self._variants("elementwise.cl", name, defines), dims, strides, *args)

    def _launch_strided_variants(self, variant, dims: list[int], strides: list[list[int]], *args) -> None:
        """:meth:`_launch_strided` of the kernel builds ``variant`` gives (see :meth:`_variants`)."""
        outer = math.prod(dims[:4])
        self._launch_grid(variant, dims[5], dims[4], outer, *args,
                          *map(np.int32, dims[1:] + [outer] + [v for s in strides for v in s]))

    def _launch_3d(self, filename: str, name: str, defines: dict, n0: int, n1: int, n2: int, *args) -> None:
        """:meth:`_launch_grid` of a kernel of ``filename`` specialised by ``defines``."""
        self._launch_grid(self._variants(filename, name, defines), n0, n1, n2, *args)

    def _launch_grid(self, variant, n0: int, n1: int, n2: int, *args) -> None:
        """Launch over n0 x n1 x n2 work-items. Along dimension 0 (the contiguous one) whole
        work-groups of a power-of-two width run the kernel without a bounds check there; the
        remaining columns, if any (at most 1/16 of them once groups are 64 wide), run the GUARD=1
        variant in one more column of groups at an offset. Dimensions 1 and 2 are rounded up to power-of-two groups and kernels skip the
        items past n1 and n2 (a test PoCL hoists out of its loop over dimension 0). Work-group
        sizes are powers of two, so PoCL compiles few variants of a kernel. Where n0 is not a
        multiple of the width, small launches on a CPU and every launch on a GPU are one launch
        of the guarded variant, in groups as wide as n0 rounded up to a power of two."""
        max_sizes = self.runtime.device.max_work_item_sizes
        l0 = min(self.local_size, max_sizes[0], 1 << (n0.bit_length() - 1))
        one = n0 % l0 and self._one_launch(n0 * n1 * n2)
        if one:
            l0 = min(self.local_size, max_sizes[0], _next_pow2(n0))
        while l0 > 64 and n0 % l0 > n0 // 16 and not one:  # keep the guarded share small
            l0 //= 2
        l1 = min(self.local_size // l0, _next_pow2(n1), max_sizes[1])
        l2 = min(self.local_size // (l0 * l1), _next_pow2(n2), max_sizes[2])
        rest = (math.ceil(n1 / l1) * l1, math.ceil(n2 / l2) * l2)
        if one:
            self._call(variant(1), (math.ceil(n0 / l0) * l0, *rest), (l0, l1, l2), *args)
            return
        bulk = n0 - n0 % l0
        self._call(variant(0), (bulk, *rest), (l0, l1, l2), *args)
        if n0 > bulk:
            self._call(variant(1), (l0, *rest), (l0, l1, l2), *args, global_offset=(bulk, 0, 0))

    def _one_launch(self, items: int) -> bool:
        """Whether a launch of ``items`` work-items whose size is not a multiple of the
        work-group size should be one guarded launch (see :meth:`_launch_flat`)."""
        return self.runtime.is_gpu or items <= SMALL_LAUNCH

    def _call(self, kernel, global_size: tuple, local_size: tuple | None, *args,
              global_offset: tuple | None = None) -> None:
        """Enqueue ``kernel``. On its first call the kernel learns which arguments are scalars
        (numpy scalars here) and of what type: pyopencl then packs them directly, which on PoCL
        makes a launch several times cheaper than its generic per-argument path."""
        if id(kernel) not in self._typed_kernels:
            kernel.set_scalar_arg_dtypes([a.dtype if isinstance(a, np.generic) else None for a in args])
            self._typed_kernels.add(id(kernel))
        kernel(self.queue, global_size, local_size, *args, global_offset=global_offset)
        self.runtime.launches += 1

    def _kernel(self, filename: str, name: str, **defines):
        return self.runtime.kernel(filename, name, defines)

    # -- memory -------------------------------------------------------------------------------
    def from_numpy(self, array: np.ndarray) -> DeviceBuffer:
        array = np.asarray(array)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        if array.dtype == np.bool_:
            array = array.view(np.uint8)
        if array.dtype == np.float64 and not self.fp64:
            raise TypeError(f"{self.runtime.info.name} has no float64 support; use float32")
        out = self._empty(array.shape, array.dtype)
        if out.size:
            self.cl.enqueue_copy(self.queue, out.data, array, is_blocking=True)
            self.runtime.transfers += 1
        return out

    def to_numpy(self, buf) -> np.ndarray:
        out = np.empty(buf.shape, buf.dtype)
        if buf.size:
            self.cl.enqueue_copy(self.queue, out, buf.data, is_blocking=True)
            self.runtime.transfers += 1
        return out

    def full(self, shape: tuple[int, ...], value: object, dtype: np.dtype):
        value = np.array([value], dtype=dtype).view(_storage(dtype))[0]  # bool: 0 or 1
        if self.fusion and math.prod(shape):
            return self.fuser.node("@0", (value,), tuple(shape), _storage(dtype))
        return self._fill(tuple(shape), value)

    def _fill(self, shape: tuple[int, ...], value: np.generic) -> DeviceBuffer:
        """A new buffer of ``shape`` holding ``value`` (of the storage dtype) everywhere."""
        out = self._empty(shape, value.dtype)
        if out.size:
            self.cl.enqueue_fill_buffer(self.queue, out.data, np.array([value]), 0, out.nbytes)
            self.runtime.transfers += 1
        return out

    def _copy(self, buf: DeviceBuffer) -> DeviceBuffer:
        """A new buffer holding a copy of ``buf``."""
        out = self._empty(buf.shape, buf.dtype)
        if out.size:
            self.cl.enqueue_copy(self.queue, out.data, buf.data, byte_count=out.nbytes)
            self.runtime.transfers += 1
        return out

    def realize(self, bufs) -> None:
        """Compute every lazy buffer in ``bufs``; those of one shape share generated kernels."""
        self.fuser.realize(bufs)

    def assign(self, dst, src, together=()) -> None:
        """Overwrite all of ``dst`` with ``src`` (same size), computing the lazy buffers in
        ``together`` in the same pass: one kernel when ``src`` is a lazy expression that reads
        ``dst`` only at the element it writes (an optimiser update and its new moments)."""
        target = self.fuser.target(dst)
        if isinstance(src, LazyBuffer) and src.pending and self.fuser.assign(target, src, together):
            return
        self.realize(together)
        source = src.data
        self.fuser.before_write(target)
        self.cl.enqueue_copy(self.queue, target.data, source, byte_count=target.nbytes)
        self.runtime.transfers += 1

    def reshape(self, buf, shape: tuple[int, ...]):
        return buf.reshape(shape) if buf.shape != tuple(shape) else buf

    def shares_memory(self, a, b) -> bool:
        return a.base_data is not None and a.base_data == b.base_data

    def _lazy(self, *bufs) -> bool:
        """Whether an elementwise op on ``bufs`` should build a lazy expression."""
        return self.fusion and all(b.size for b in bufs)

    # -- elementwise --------------------------------------------------------------------------
    def unary(self, op: str, x):
        t = CL_TYPE_NAMES[x.dtype]
        expr = _unary_expr(op, x.dtype)
        if self._lazy(x):
            return self.fuser.node(template(expr, (("x", "@0"), ("TA", t))), (x,), x.shape, x.dtype)
        out = self._empty(x.shape, x.dtype)
        if x.size:
            self._launch_exact("elementwise.cl", "unary_flat", {"TA": t, "TO": t, "UOP(x)": expr}, x.size,
                               x.data, out.data)
        return out

    def binary(self, op: str, a, b):
        expr, out_t = _binary_expr(op, a.dtype)
        t = CL_TYPE_NAMES[a.dtype]
        shape = a.shape if a.shape == b.shape else tuple(np.broadcast_shapes(a.shape, b.shape))
        out_dtype = np.dtype(np.uint8) if op in _BOOL_OUT else a.dtype
        if self._lazy(a, b) and math.prod(shape):
            return self.fuser.node(template(expr, (("a", "@0"), ("b", "@1"), ("TA", t))), (a, b), shape,
                                   out_dtype)
        out = self._empty(shape, out_dtype)
        n = out.size
        if n == 0:
            return out
        defines = {"TA": t, "TO": out_t, "BOP(a,b)": expr}
        if a.shape == b.shape:
            self._launch_exact("elementwise.cl", "binary_flat", defines, n, a.data, b.data, out.data)
            return out
        collapsed = _collapse(shape, _broadcast_strides(a.shape, shape), _broadcast_strides(b.shape, shape))
        if collapsed is None:
            a, b = self._expand(a, shape), self._expand(b, shape)
            self._launch_exact("elementwise.cl", "binary_flat", defines, n, a.data, b.data, out.data)
            return out
        rank, dims, strides = collapsed
        self._launch_strided("binary_strided", {"STRIDED": 1, "RANK": rank, **defines, **_inner_steps("ab", strides)},
                             dims, strides, a.data, b.data, out.data)
        return out

    def _expand(self, x, shape: tuple[int, ...]):
        """``x`` broadcast to ``shape`` and materialised."""
        return self._strided_copy(x, shape, _broadcast_strides(x.shape, shape), 0)

    def binary_scalar(self, op: str, x, value: object, scalar_first: bool):
        expr, out_t = _binary_expr(op, x.dtype)
        if op == "pow" and not scalar_first and value in (1, 2):
            # x ** 1 and x ** 2 exactly, without pow (a scalar function call on PoCL, ~100x slower)
            expr = "(a)" if value == 1 else "((a) * (a))"
        out_dtype = np.dtype(np.uint8) if op in _BOOL_OUT else x.dtype
        if self._lazy(x):
            t = CL_TYPE_NAMES[x.dtype]
            s = x.dtype.type(value)
            if scalar_first:
                names, operands = (("a", "@0"), ("b", "@1"), ("TA", t)), (s, x)
            elif "b" in expr:
                names, operands = (("a", "@0"), ("b", "@1"), ("TA", t)), (x, s)
            else:
                names, operands = (("a", "@0"), ("TA", t)), (x,)
            return self.fuser.node(template(expr, names), operands, x.shape, out_dtype)
        out = self._empty(x.shape, out_dtype)
        if x.size:
            name = "binary_scalar_left" if scalar_first else "binary_scalar_right"
            defines = {"TA": CL_TYPE_NAMES[x.dtype], "TO": out_t, "BOP(a,b)": expr}
            self._launch_exact("elementwise.cl", name, defines, x.size, x.data, x.dtype.type(value), out.data)
        return out

    def where(self, cond, a, b):
        shape = tuple(np.broadcast_shapes(cond.shape, a.shape, b.shape))
        if self._lazy(cond, a, b) and math.prod(shape):
            return self.fuser.node("((@0) ? (@1) : (@2))", (cond, a, b), shape, a.dtype)
        out = self._empty(shape, a.dtype)
        if out.size:
            collapsed = _collapse(shape, *(_broadcast_strides(x.shape, shape) for x in (cond, a, b)))
            if collapsed is None:
                cond, a, b = (self._expand(x, shape) for x in (cond, a, b))
                collapsed = _collapse(shape, *(_broadcast_strides(x.shape, shape) for x in (cond, a, b)))
            rank, dims, strides = collapsed
            defines = {"TA": CL_TYPE_NAMES[a.dtype], "WHERE": 1, "STRIDED": 1, "RANK": rank,
                       **_inner_steps("cab", strides)}
            self._launch_strided("where_strided", defines, dims, strides, cond.data, a.data, b.data, out.data)
        return out

    def cast(self, x, dtype: np.dtype):
        to_t = CL_TYPE_NAMES[dtype]
        expr = "(uchar)((v) != 0)" if dtype == np.bool_ else f"({to_t})(v)"
        if self._lazy(x):
            return self.fuser.node(template(expr, (("v", "@0"),)), (x,), x.shape, _storage(dtype))
        out = self._empty(x.shape, dtype)
        if x.size:
            defines = {"TA": CL_TYPE_NAMES[x.dtype], "TO": to_t, "CAST(v)": expr}
            self._launch_exact("elementwise.cl", "cast_flat", defines, x.size, x.data, out.data)
        return out

    # -- reductions ---------------------------------------------------------------------------
    def reduce(self, op: str, x, axis: int | None):
        if axis is None:
            outer, length, inner, out_shape = 1, x.size, 1, ()
        else:
            outer = math.prod(x.shape[:axis])
            length = x.shape[axis]
            inner = math.prod(x.shape[axis + 1:])
            out_shape = x.shape[:axis] + x.shape[axis + 1:]
        if op == "argmax":
            return self._argmax(x, outer, length, inner).reshape(out_shape)
        t = CL_TYPE_NAMES[x.dtype]
        lo, hi = _LIMITS[t]
        if op == "sum":
            init, combine = "0", "((acc) + (v))"
        elif is_float(x.dtype):
            init = lo if op == "max" else hi
            cmp = ">=" if op == "max" else "<="
            combine = f"((((acc) != (acc)) | ((acc) {cmp} (v))) ? (acc) : (v))"
        else:
            cmp = ">=" if op == "max" else "<="
            init, combine = lo if op == "max" else hi, f"((acc) {cmp} (v) ? (acc) : (v))"
        k = self._reduce_kernel("reduce", T=t, INIT=f"(({t}){init})", **{"COMBINE(acc,v)": combine})
        buf = x
        while True:
            chunks = self._chunks(self._reduce_items(outer, inner), length)
            chunk = math.ceil(length / chunks) if length else 0
            out = self._empty((outer, chunks, inner), x.dtype)
            if out.size:
                self._reduce_launch(k, outer, length, inner, chunk, chunks, buf.data, out.data)
            if chunks == 1:
                return out.reshape(out_shape)
            buf, length = out, chunks

    def _reduce_kernel(self, name: str, **defines):
        """``<name>_axis`` (one work-item per output element) on GPUs, ``<name>_lanes`` (each
        work-item a vector of REDUCE_LANES partial results) on CPUs."""
        if self.runtime.is_gpu:
            return self._kernel("reduce.cl", f"{name}_axis", **defines)
        return self._kernel("reduce.cl", f"{name}_lanes", LANES=REDUCE_LANES, **defines)

    def _reduce_items(self, outer: int, inner: int) -> int:
        """Work-items along dimension 0 of a reduction pass."""
        if self.runtime.is_gpu:
            return outer * inner
        return outer * math.ceil(inner / REDUCE_LANES)

    def _chunks(self, items: int, length: int) -> int:
        """How many pieces to split each reduced row into so the device has enough work."""
        target = 16384 if self.runtime.is_gpu else 64
        if items >= target or length <= 512:
            return 1
        return max(1, min(math.ceil(target / max(items, 1)), math.ceil(length / 256)))

    def _reduce_launch(self, kernel, outer, length, inner, chunk, chunks, *bufs) -> None:
        items = self._reduce_items(outer, inner)
        local = min(self.local_size, 64)
        self._call(kernel, (math.ceil(items / local) * local, chunks), (local, 1),
               np.int32(outer), np.int32(length), np.int32(inner), np.int32(chunk), *bufs)

    def _argmax(self, x, outer: int, length: int, inner: int):
        """First pass: indices are positions; later passes carry the winners' indices along."""
        t = CL_TYPE_NAMES[x.dtype]
        isnan = "((v) != (v))" if is_float(x.dtype) else "0"
        vals, idx = x, None
        while True:
            k = self._reduce_kernel("argmax", T=t, ARGMAX=1, HAS_IDX=int(idx is not None),
                                    **{"ISNAN(v)": isnan})
            chunks = self._chunks(self._reduce_items(outer, inner), length)
            chunk = math.ceil(length / chunks)
            out_v = self._empty((outer, chunks, inner), x.dtype)
            out_i = self._empty((outer, chunks, inner), np.dtype(np.int32))
            if out_v.size:
                idx_buf = idx.data if idx is not None else out_i.data  # not read without HAS_IDX
                self._reduce_launch(k, outer, length, inner, chunk, chunks, vals.data, idx_buf,
                                    out_v.data, out_i.data)
            if chunks == 1:
                return out_i
            vals, idx, length = out_v, out_i, chunks

    # -- matmul -------------------------------------------------------------------------------
    def matmul(self, a, b):
        *batch, m, k = a.shape
        n = b.shape[-1]
        batches = math.prod(batch)
        out = self._empty(tuple(batch) + (m, n), a.dtype)
        if out.size == 0:
            return out
        if k == 0:
            return self.full(out.shape, 0, a.dtype)
        if not self.runtime.is_gpu:
            return self._matmul_panels(a, b, out, batches, m, n, k)
        tsm, tsn, tsk, wptm, wptn = _GPU_MATMUL_TILE
        kern = self._kernel("matmul.cl", "matmul", T=CL_TYPE_NAMES[a.dtype], TSM=tsm, TSN=tsn,
                            TSK=tsk, WPTM=wptm, WPTN=wptn)
        local = (tsn // wptn, tsm // wptm, 1)
        glob = (math.ceil(n / tsn) * local[0], math.ceil(m / tsm) * local[1], batches)
        self._call(kern, glob, local, np.int32(m), np.int32(n), np.int32(k), a.data, b.data, out.data,
                   np.int32(m * k), np.int32(k * n), np.int32(m * n))
        return out

    def _matmul_panels(self, a, b, out, batches: int, m: int, n: int, k: int):
        """The CPU matmul: pack B into column panels, then one work-item per 6-row x panel block
        of C (see matmul.cl for why this shape suits PoCL)."""
        nv = 1 if a.dtype.itemsize == 8 else 2
        width = 8 * nv
        panels = math.ceil(n / width)
        defines = {"T": CL_TYPE_NAMES[a.dtype], "NV": nv, "PANELS": 1}
        packed = self._empty((batches, panels * k * width), a.dtype)
        # Fixed work-group sizes (the kernels skip items past the edges): PoCL compiles a kernel
        # anew for every work-group size it meets, and would meet many if it chose them.
        pack = self._kernel("matmul.cl", "pack_b", **defines)
        self._call(pack, (panels * width, math.ceil(k / 16) * 16, batches), (width, 16, 1), np.int32(k),
                   np.int32(n), b.data, packed.data, np.int32(k * n), np.int32(panels * k * width))
        kern = self._kernel("matmul.cl", "matmul_panels", **defines)
        self._call(kern, (math.ceil(m / 6), panels, batches), (1, 1, 1), np.int32(m), np.int32(n), np.int32(k),
                   a.data, packed.data, out.data, np.int32(m * k), np.int32(panels * k * width),
                   np.int32(m * n))
        return out

    # -- data movement ------------------------------------------------------------------------
    def strided_copy(self, x, shape: tuple[int, ...], strides: tuple[int, ...], offset: int):
        if offset == 0 and self._lazy(x) and math.prod(shape) and _is_broadcast(x.shape, shape, strides):
            return self.fuser.node("@0", (x,), tuple(shape), x.dtype)  # a broadcast: fused into its reader
        return self._strided_copy(x, shape, strides, offset)

    def _strided_copy(self, x, shape: tuple[int, ...], strides: tuple[int, ...], offset: int):
        out = self._empty(shape, x.dtype)
        if out.size:
            self._strided_launch("strided_copy", x, out, shape, strides, offset)
        return out

    def strided_assign(self, dst, shape: tuple[int, ...], strides: tuple[int, ...], offset: int,
                       src) -> None:
        if not src.size:
            return
        if isinstance(src, LazyBuffer) and src.pending and offset == 0 and _whole(shape, strides, dst.size):
            self.assign(dst, src)
            return
        target = self.fuser.writable(dst)
        self._strided_launch("strided_assign", src, target, shape, strides, offset)

    def _strided_launch(self, name: str, src, dst, shape, strides, offset: int) -> None:
        """One strided copy kernel over ``shape``. A view that merges into one contiguous run is
        a plain buffer copy; one of up to six axes runs the 3-D strided kernel; any other reads
        its shape and strides from a small buffer."""
        t = CL_TYPE_NAMES[dst.dtype]
        n = math.prod(shape)
        collapsed = _collapse(shape, strides)
        if collapsed is not None:
            rank, dims, (s,) = collapsed
            if s[-1] == 1 and math.prod(dims) == dims[-1]:
                size = dst.dtype.itemsize
                src_off, dst_off = (offset, 0) if name == "strided_copy" else (0, offset)
                self.cl.enqueue_copy(self.queue, dst.data, src.data, byte_count=n * size,
                                     src_offset=src_off * size, dst_offset=dst_off * size)
                self.runtime.transfers += 1
                return
            defines = {"TA": t, "COPY": 1, "STRIDED": 1, "RANK": rank, **_inner_steps("s", [s])}
            self._launch_strided(name, defines, dims, [s], src.data, dst.data, np.int32(offset))
            return
        dims, (s,) = _merge_axes(shape, strides)
        meta = self.from_numpy(np.array(dims + s, dtype=np.int32))
        k = self._kernel("elementwise.cl", name + "_nd", TA=t, COPY_ND=1)
        self._launch(k, n, src.data, dst.data, np.int32(offset), np.int32(len(dims)), meta.data)

    def _take_geometry(self, x_shape, idx_shape, axis: int, along: bool):
        outer = math.prod(x_shape[:axis])
        inner = math.prod(x_shape[axis + 1:])
        j = idx_shape[axis] if along else math.prod(idx_shape)
        return outer, x_shape[axis], inner, j

    def take(self, x, idx, axis: int, along: bool):
        shape = idx.shape if along else x.shape[:axis] + idx.shape + x.shape[axis + 1:]
        out = self._empty(shape, x.dtype)
        if out.size:
            geometry = self._take_geometry(x.shape, idx.shape, axis, along)
            defines = {"T": CL_TYPE_NAMES[x.dtype], "TI": CL_TYPE_NAMES[idx.dtype], "ALONG": int(along),
                       "INNER1": int(geometry[2] == 1)}
            self._launch_gather("take", defines, geometry, x.data, idx.data, out.data)
        return out

    def _launch_gather(self, name: str, defines: dict, geometry: tuple[int, int, int, int], *bufs) -> None:
        """A launch of a gather.cl kernel over (i along inner, j over indices, o over outer), or
        (j, o) when inner == 1 (the kernel's INNER1)."""
        outer, a, inner, j = geometry
        sizes = (inner, j, outer) if inner > 1 else (j, outer, 1)
        self._launch_3d("gather.cl", name, defines, *sizes, *map(np.int32, (outer, a, inner, j)), *bufs)

    def scatter_add(self, target, idx, src, axis: int, along: bool) -> None:
        if not src.size:
            return
        target = self.fuser.writable(target)
        t = CL_TYPE_NAMES[target.dtype]
        if t == "float":
            atomic = "atomic_add_float(p, v)"
        elif t == "double":
            if not self.int64_atomics:
                raise TypeError(f"{self.runtime.info.name} lacks 64-bit atomics; scatter_add float32")
            atomic = "atomic_add_double(p, v)"
        elif t in ("int", "uint"):
            atomic = "atomic_add(p, v)"
        else:
            raise TypeError(f"scatter_add is not supported for {target.dtype} on OpenCL")
        geometry = self._take_geometry(target.shape, idx.shape, axis, along)
        defines = {"T": t, "TI": CL_TYPE_NAMES[idx.dtype], "ALONG": int(along), "INNER1": int(geometry[2] == 1),
                   "ATOMIC_ADD(p,v)": atomic}
        if t == "double":
            defines["HAS_INT64_ATOMICS"] = 1
        self._launch_gather("scatter_add", defines, geometry, src.data, idx.data, target.data)

    # -- sparse rows ----------------------------------------------------------------------------
    def sum_rows(self, table, indices, counts):
        """``out[b] = sum(table[indices[b, j]] for j < counts[b])``: one work-item per output
        element walks its sample's indices (sum_rows.cl)."""
        batch, k = indices.shape
        num_rows, width = table.shape
        if batch * width == 0 or k == 0 or num_rows == 0:
            return self.full((batch, width), 0, table.dtype)
        if counts is None:
            counts = self.full((batch,), k, np.dtype(np.int32))
        out = self._empty((batch, width), table.dtype)
        self._launch_sum_rows("sum_rows", table.dtype, indices.dtype, width, batch, np.int32(width),
                              np.int32(num_rows), np.int32(batch), np.int32(k), table.data, indices.data,
                              counts.data, out.data)
        return out

    def sum_rows_backward(self, grad, indices, counts, num_rows: int):
        """The table's gradient of :meth:`sum_rows`. The indices come back to the host (B x k
        integers), which sorts them into the rows read and, per row, the samples that read it;
        then one work-item per (read row, column) sums those samples' gradients, in order:
        no float atomics, the same result on every run, and each element written once."""
        width = grad.shape[1]
        out = self.full((num_rows, width), 0, grad.dtype)
        host_counts = None if counts is None else self.to_numpy(counts)
        rows, offsets, samples = samples_by_row(self.to_numpy(indices), host_counts, num_rows)
        if out.size == 0 or rows.size == 0:
            return out
        self._launch_sum_rows("sum_rows_backward", grad.dtype, np.dtype(np.int32), width, rows.size,
                              np.int32(width), np.int32(rows.size), grad.data, self.from_numpy(rows).data,
                              self.from_numpy(offsets).data, self.from_numpy(samples).data, out.data)
        return out

    def _launch_sum_rows(self, name: str, dtype: np.dtype, index_dtype: np.dtype, width: int,
                         items: int, *args) -> None:
        """A sum_rows.cl kernel over (columns, items): on a GPU one work-item per column; on a
        CPU one per SUM_ROWS_CHUNK columns, in work-groups of 1 or 8 items (few sizes: PoCL
        compiles a kernel anew for each; 8 once there are many short items, as in a backward
        pass where most rows are read by a few samples)."""
        defines = {"T": CL_TYPE_NAMES[dtype], "TI": CL_TYPE_NAMES[index_dtype]}
        if self.runtime.is_gpu:
            self._launch_3d("sum_rows.cl", name, defines, width, items, 1, *args)
            return
        group = 8 if items >= 64 else 1
        kernel = self._kernel("sum_rows.cl", name, CHUNK=SUM_ROWS_CHUNK, **defines)
        self._call(kernel, (math.ceil(width / SUM_ROWS_CHUNK), math.ceil(items / group) * group),
                   (1, group), *args)


def samples_by_row(indices: np.ndarray, counts: np.ndarray | None,
                   num_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The transpose of a batch's padded row indices, as int32 CSR arrays: ``rows`` (each row
    some sample reads, ascending), ``offsets`` (len(rows) + 1) and ``samples``, where
    ``samples[offsets[r]:offsets[r + 1]]`` are the samples that read ``rows[r]``, ascending (a
    sample naming a row twice is listed twice). Entries past a sample's count, and indices
    outside 0..num_rows-1 (which read as zero rows), are left out.

    A stable sort of the row numbers, taken sample by sample, keeps each row's samples in
    order; row numbers below 2**16 sort as uint16, which numpy radix-sorts (5-10x faster).
    """
    batch, k = indices.shape
    real = (indices >= 0) & (indices < num_rows)
    if counts is not None:
        real &= np.arange(k) < counts[:, None]
    flat = indices[real]
    sample_of = np.repeat(np.arange(batch, dtype=np.int32), real.sum(axis=1))
    order = np.argsort(flat.astype(np.uint16) if num_rows <= 1 << 16 else flat, kind="stable")
    row_of = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], row_of[1:] != row_of[:-1]))) if flat.size else order
    offsets = np.append(starts, flat.size).astype(np.int32)
    return row_of[starts].astype(np.int32), offsets, sample_of[order]


#: (TSM, TSN, TSK, WPTM, WPTN) of the GPU matmul: 128 x 128 tiles of C per work-group of 16 x 16
#: work-items, each holding an 8 x 8 register block, over K in steps of 8. Measured on an H200 at
#: 4096^3 float32 (benchmarks/bench_matmul_torch.py): 25.9 TFLOP/s, against 17.4 for 64 x 64
#: tiles with 4 x 4 blocks and 50.9 for PyTorch with TF32 off.
_GPU_MATMUL_TILE = (128, 128, 8, 8, 8)
