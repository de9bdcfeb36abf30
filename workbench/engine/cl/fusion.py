"""Lazy elementwise expressions on OpenCL, each computed by one generated kernel (op fusion).

With fusion on, the OpenCL backend's elementwise primitives (unary, binary and scalar ops with
broadcasting, where, cast, fills, broadcasts and reshapes of such results) return a
:class:`LazyBuffer`: a node of an expression DAG whose leaves are device buffers and Python
scalars. Nothing runs until something needs the data (a matmul, a reduction, a gather, a copy
to the host, an in-place write, ...: anything that reads ``.data``); then the whole DAG becomes
one kernel that reads every leaf once and writes the result once. A chain of N elementwise ops
costs one launch and one pass over memory instead of N of each; on PoCL, where a launch costs
tens of microseconds, the small tensors of a training step are all launch cost.

The kernel's source is generated from the DAG's structure (ops, dtypes, which leaves are
broadcast and how), never from its data: scalars, sizes and strides are kernel arguments, so
after the first step of a training loop every kernel comes from the program cache.

Results equal the unfused kernels' bit for bit: each node is the same C expression the eager
kernel uses, in the same order and type, and elementwise.cl turns FP_CONTRACT off.

Hazards, and how they are met:

- *In-place writes.* A pending node must see its inputs as they were when the op was called.
  Every pending node is registered as a reader of the buffers it reads; before a kernel writes
  into an existing buffer (``strided_assign``, ``scatter_add``), :meth:`Fuser.before_write`
  computes the pending readers of that buffer.
- *Growth.* A DAG larger than :data:`MAX_NODES` nodes or :data:`MAX_ARGS` leaves and scalars
  computes its inputs first, so kernels stay small and within the device's argument space.
- *Writing an expression straight into its destination.* ``p[...] = p - lr * g`` writes the
  expression into ``p``'s own buffer when every read of ``p`` is at the element being written
  (so each work-item reads before it writes). The expression's node then shares ``p``'s
  memory; it is an *alias* and gets its own copy before either of them is written again.
"""

from __future__ import annotations

import math
import os
import re
import weakref
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..dtypes import CL_TYPE_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .backend import DeviceBuffer, OpenCLBackend

#: Most nodes in one generated kernel (counted with shared sub-expressions counted once per use
#: until a DAG gets near the limit, then exactly).
MAX_NODES = 48
#: Most leaves plus scalars in one generated kernel: 20 broadcast leaves of 32 bytes of
#: arguments each stay inside the 1 KB of kernel arguments every OpenCL device accepts.
MAX_ARGS = 20
#: Environment variable that turns fusion off for new backends when set to 0, off or false.
ENV_VAR = "WORKBENCH_FUSION"


def fusion_enabled_by_default() -> bool:
    """Fusion is on unless :data:`ENV_VAR` says 0, off, false or no."""
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "off", "false", "no")


@lru_cache(maxsize=None)
def template(expr: str, names: tuple[tuple[str, str], ...]) -> str:
    """An operator expression of the eager kernels (written in ``x``, ``a``, ``b``, ``v`` and
    ``TA``) with each name replaced as ``names`` says: operands by ``@0``, ``@1``, ... and
    ``TA`` by a type."""
    table = dict(names)
    return re.sub(r"\b(x|a|b|v|TA)\b", lambda m: table.get(m.group(1), m.group(1)), expr)


class LazyBuffer:
    """An elementwise result not computed yet: a node of an expression DAG.

    It stands in for a :class:`~workbench.engine.cl.backend.DeviceBuffer` (shape, dtype, size,
    ``data``, ``reshape``); reading ``data`` computes it. ``template`` is its C expression with
    ``@k`` for ``operands[k]`` (a pending LazyBuffer, a DeviceBuffer or a numpy scalar passed
    as a kernel argument). A *view* node is a reshape of its one operand: computing it computes
    the operand and shares its memory, as a reshape of a computed buffer does.
    """

    __slots__ = ("fuser", "template", "operands", "shape", "dtype", "size", "nbytes", "nodes", "args",
                 "flat", "view", "buffer", "alias", "readers", "__weakref__")

    def __init__(self, fuser: "Fuser", template_: str, operands: Iterable, shape: tuple[int, ...],
                 dtype: np.dtype, view: bool = False) -> None:
        self.fuser = fuser
        self.template = template_
        self.shape = shape
        self.dtype = dtype
        self.size = size = math.prod(shape)
        self.nbytes = size * dtype.itemsize
        self.view = view
        self.buffer: DeviceBuffer | None = None  # set once computed
        self.alias = False  # computed straight into a buffer someone else owns
        self.readers: list | None = None  # weak references to pending nodes that read this one
        ops = []
        nodes, args, flat = 1, 0, True
        for op in operands:
            if type(op) is LazyBuffer:
                if op.buffer is None:
                    nodes += op.nodes
                    args += op.args
                    flat = flat and (op.size == 1 or op.size == size and op.flat)
                    ops.append(op)
                    continue
                op = op.buffer  # computed: a leaf
            args += 1
            if not isinstance(op, np.generic):
                flat = flat and op.size in (1, size)
            ops.append(op)
        self.operands = tuple(ops)
        self.nodes, self.args, self.flat = nodes, args, flat

    @property
    def pending(self) -> bool:
        return self.buffer is None

    @property
    def data(self):
        """The OpenCL buffer, computing it first if needed."""
        return self.fuser.materialise(self).data

    @property
    def base_data(self):
        """The memory this buffer lives in, or None while it is not computed (a pending result
        will get fresh memory, so it shares none)."""
        return None if self.buffer is None else self.buffer.data

    def reshape(self, shape: tuple[int, ...]):
        return self.fuser.reshape(self, tuple(shape))

    def __repr__(self) -> str:
        state = "pending" if self.pending else "computed"
        return f"LazyBuffer(shape={self.shape}, dtype={self.dtype}, {state}, {self.nodes} nodes)"


def _resolve(op):
    """A computed LazyBuffer stands for its buffer; anything else for itself."""
    if type(op) is LazyBuffer and op.buffer is not None:
        return op.buffer
    return op


class _Plan:
    """One generated kernel for some roots of one shape: its structure (the cache key) and its
    arguments. Built by walking the DAG once; every node and leaf gets a name in order."""

    def __init__(self, shape: tuple[int, ...], watch: int | None = None) -> None:
        self.shape = shape
        self.watch = watch  # id of a cl buffer whose reading nodes are noted in watch_readers
        self.size = math.prod(shape)
        self.memo: dict[tuple, str] = {}
        self.nodes: list[tuple[str, str, tuple[str, ...]]] = []  # (template, C type, operand names)
        self.node_ids: set[int] = set()
        self.leaves: list = []  # DeviceBuffers, viewed as leaf_shapes
        self.leaf_shapes: list[tuple[int, ...]] = []
        self.leaf_access: list[str] = []  # "one" (size 1), "id" (the output's layout) or "bc"
        self.leaf_types: list[tuple[str, str]] = []  # (access, C type): part of the structure
        self.leaf_index: dict[tuple, int] = {}
        self.watch_readers: set[int] = set()  # ids of nodes reading the watched buffer
        self.scalars: list[np.generic] = []
        self.outputs: list[tuple[str, str]] = []  # (value name, C type)

    def visit(self, node, view: tuple[int, ...] | None = None, reader: int | None = None) -> str:
        """The name of ``node``'s value in the kernel. ``view`` is the shape full-size leaves
        are seen in, inside a reshape of a DAG without broadcasting (see :class:`LazyBuffer`)."""
        if type(node) is LazyBuffer:
            if node.buffer is None:
                if node.view:
                    return self.visit(node.operands[0], view if view is not None else node.shape, reader)
                nid = id(node)
                key = nid if view is None else (nid, view)
                name = self.memo.get(key)
                if name is None:
                    self.node_ids.add(nid)
                    refs = tuple([self.visit(op, view, nid) for op in node.operands])
                    name = f"v{len(self.nodes)}"
                    self.nodes.append((node.template, CL_TYPE_NAMES[node.dtype], refs))
                    self.memo[key] = name
                return name
            node = node.buffer
        elif isinstance(node, np.generic):
            self.scalars.append(node)
            return f"k{len(self.scalars) - 1}"
        return self._leaf(node, view, reader)

    def _leaf(self, buf, view: tuple[int, ...] | None, reader: int | None) -> str:
        shape = view if view is not None and buf.size != 1 else buf.shape
        data = id(buf.data)
        key = (data, shape, buf.dtype)
        index = self.leaf_index.get(key)
        if index is None:
            index = len(self.leaves)
            self.leaf_index[key] = index
            self.leaves.append(buf)
            self.leaf_shapes.append(shape)
            access = "one" if buf.size == 1 else "id" if buf.size == self.size else "bc"
            self.leaf_access.append(access)
            self.leaf_types.append((access, CL_TYPE_NAMES[buf.dtype]))
        if data == self.watch:
            self.watch_readers.add(reader)
        return f"a{index}"

    def output(self, root: LazyBuffer) -> None:
        self.outputs.append((self.visit(root), CL_TYPE_NAMES[root.dtype]))

    @property
    def args(self) -> int:
        return len(self.leaves) + len(self.scalars)


class Fuser:
    """Builds, tracks and computes the lazy expressions of one OpenCL backend."""

    def __init__(self, backend: "OpenCLBackend") -> None:
        self.backend = backend
        # id(cl buffer) -> weak references to nodes that read it (pending) or alias it
        self._readers: dict[int, list] = {}
        self._sweep_at = 1024
        self._kernels: dict[tuple, object] = {}  # plan structure -> its kernel builds (guard -> kernel)

    # -- building -----------------------------------------------------------------------------
    def node(self, template_: str, operands: Sequence, shape: tuple[int, ...], dtype: np.dtype,
             view: bool = False) -> LazyBuffer:
        """A pending node computing ``template_`` of ``operands`` (see :class:`LazyBuffer`)."""
        lazy = LazyBuffer(self, template_, operands, shape, dtype, view)
        if lazy.nodes > MAX_NODES or lazy.args > MAX_ARGS:
            lazy = self._within_limits(lazy)
        ref = weakref.ref(lazy)
        for op in lazy.operands:
            if type(op) is LazyBuffer:
                if op.readers is None:
                    op.readers = [ref]
                else:
                    op.readers.append(ref)
            elif not isinstance(op, np.generic):
                self._register(id(op.data), ref)
        return lazy

    def _within_limits(self, lazy: LazyBuffer) -> LazyBuffer:
        """``lazy`` with its exact size, or rebuilt on computed operands when that is too big."""
        plan = _Plan(lazy.shape)
        plan.visit(lazy)
        if len(plan.nodes) <= MAX_NODES and plan.args <= MAX_ARGS:
            lazy.nodes, lazy.args = len(plan.nodes), plan.args
            return lazy
        self.realize([op for op in lazy.operands if type(op) is LazyBuffer])
        return LazyBuffer(self, lazy.template, lazy.operands, lazy.shape, lazy.dtype, lazy.view)

    def reshape(self, lazy: LazyBuffer, shape: tuple[int, ...]):
        """A reshape that shares memory with ``lazy``, as a reshape of a computed buffer does:
        a pending view node when ``lazy`` has no broadcasting inside (so its elements can be
        computed in any shape), else ``lazy`` computed and its buffer reshaped."""
        if shape == lazy.shape:
            return lazy
        if lazy.pending and lazy.flat:
            source = lazy.operands[0] if lazy.view else lazy
            if isinstance(source, LazyBuffer) and source.pending:
                if source.shape == shape:
                    return source
                return self.node("@0", (source,), shape, lazy.dtype, view=True)
        if lazy.alias:
            self.own(lazy)
        return self.materialise(lazy).reshape(shape)

    # -- computing ----------------------------------------------------------------------------
    def materialise(self, lazy: LazyBuffer):
        """``lazy``'s DeviceBuffer, computing it first if needed."""
        if lazy.buffer is None:
            if lazy.view:
                self.realize([lazy])
            elif not self._run_one_node(lazy):
                plan = _Plan(lazy.shape)
                plan.output(lazy)
                self._run([lazy], plan)
        return lazy.buffer

    def _run_one_node(self, lazy: LazyBuffer) -> bool:
        """Compute a node whose operands are all computed and none broadcast (an op nothing was
        fused with, the commonest case) without walking a plan: its structure key is built
        here as :class:`_Plan` would build it. False, having done nothing, for any other node
        and the first time a structure is met."""
        leaves, keys, types, scalars, refs = [], [], [], [], []
        for op in lazy.operands:
            if type(op) is LazyBuffer:
                return False
            if isinstance(op, np.generic):
                refs.append(f"k{len(scalars)}")
                scalars.append(op)
                continue
            if op.size != 1 and op.size != lazy.size:
                return False
            key = (id(op.data), op.shape, op.dtype)
            if key not in keys:
                keys.append(key)
                leaves.append(op)
                types.append(("one" if op.size == 1 else "id", CL_TYPE_NAMES[op.dtype]))
            refs.append(f"a{keys.index(key)}")
        if not leaves:
            return False  # a constant: a fill
        ctype = CL_TYPE_NAMES[lazy.dtype]
        variant = self._kernels.get((((lazy.template, ctype, tuple(refs)),), tuple(types),
                                     tuple([s.dtype for s in scalars]), (("v0", ctype),)))
        if variant is None:
            return False
        out = self.backend._empty(lazy.shape, lazy.dtype)
        self.backend._launch_flat(variant, lazy.size, *[b.data for b in leaves], *scalars, out.data)
        self._settle(lazy, out)
        return True

    def realize(self, buffers: Iterable) -> None:
        """Compute every pending LazyBuffer in ``buffers``; those of one shape share kernels."""
        buffers = list(buffers)
        if len(buffers) == 1 and type(buffers[0]) is LazyBuffer and not buffers[0].view:
            self.materialise(buffers[0])
            return
        pending: dict[int, LazyBuffer] = {}
        views = []
        for b in buffers:
            if isinstance(b, LazyBuffer) and b.pending and id(b) not in pending:
                if b.view:
                    views.append(b)
                    b = b.operands[0]
                    if not (isinstance(b, LazyBuffer) and b.pending):
                        continue
                pending[id(b)] = b
        groups: dict[tuple, list[LazyBuffer]] = {}
        for b in pending.values():
            groups.setdefault(b.shape, []).append(b)
        for group in groups.values():
            for roots, plan in _plans(group):
                self._run(roots, plan)
        for v in views:
            if v.pending:
                source = v.operands[0]
                if isinstance(source, LazyBuffer) and source.alias:
                    self.own(source)
                self._settle(v, _resolve(source).reshape(v.shape))

    def assign(self, dst, src: LazyBuffer, together: Sequence = ()) -> bool:
        """Compute ``src`` straight into ``dst`` (a whole DeviceBuffer of src's size), with the
        pending buffers of ``together`` that have src's shape as further outputs of the same
        kernel. Returns False, having done nothing, when that is unsafe: ``src`` is a view or has
        pending readers, or the kernel would read ``dst`` other than at the element it writes."""
        if src.view or src.size != dst.size or _alive(src.readers):
            return False
        group = [src] + [t for t in together if isinstance(t, LazyBuffer) and t.pending and not t.view
                         and t.shape == src.shape and t is not src]
        key = id(dst.data)
        while True:
            group, plan = _plans(group, key)[0]
            outside = [n for n in self._pending_readers(key) if id(n) not in plan.node_ids]
            if not outside:
                break
            self.realize(outside)
        for i, leaf in enumerate(plan.leaves):
            if id(leaf.data) == key and plan.leaf_access[i] != "id":
                return False
        if not plan.watch_readers <= {id(n) for n in group}:
            return False
        self._snapshot_aliases(key)
        outs = [dst.reshape(src.shape) if dst.shape != src.shape else dst] + [None] * (len(group) - 1)
        self._launch(plan, group, outs)
        src.alias = True
        self._register(key, weakref.ref(src))
        self.realize(together)
        return True

    def before_write(self, buf) -> None:
        """Make an in-place write into ``buf`` (a DeviceBuffer) safe: give every alias of its
        memory its own copy, and compute every pending node that reads it."""
        key = id(buf.data)
        while key in self._readers:
            nodes = [n for n in (r() for r in self._readers.pop(key)) if n is not None]
            for n in nodes:
                if n.alias and id(n.buffer.data) == key:
                    self.own(n)
            self.realize(n for n in nodes if n.pending)

    def target(self, buf):
        """The DeviceBuffer that an in-place write into ``buf`` goes to: ``buf`` itself, or a
        LazyBuffer's memory (computed first; an alias gets its own copy, after the nodes that may
        read it are computed, since they would read the copy)."""
        if isinstance(buf, LazyBuffer):
            if buf.alias:
                self.realize(self._pending_readers(id(buf.buffer.data)))
                self.own(buf)
            buf = self.materialise(buf)
        return buf

    def writable(self, buf):
        """:meth:`target` made ready for the write (see :meth:`before_write`)."""
        buf = self.target(buf)
        self.before_write(buf)
        return buf

    def own(self, lazy: LazyBuffer) -> None:
        """Give an alias (see :meth:`assign`) a copy of its own memory."""
        if lazy.alias:
            lazy.alias = False
            lazy.buffer = self.backend._copy(lazy.buffer)

    # -- internals ----------------------------------------------------------------------------
    def _register(self, key: int, ref) -> None:
        refs = self._readers.get(key)
        if refs is None:
            self._readers[key] = [ref]
            if len(self._readers) > self._sweep_at:
                self._sweep()
            return
        refs.append(ref)
        if len(refs) > 64:
            refs[:] = [r for r in refs if (n := r()) is not None and (n.pending or n.alias)]

    def _sweep(self) -> None:
        """Forget buffers that no live pending node reads (their memory may be reused)."""
        for key in list(self._readers):
            refs = [r for r in self._readers[key] if (n := r()) is not None and (n.pending or n.alias)]
            if refs:
                self._readers[key] = refs
            else:
                del self._readers[key]
        self._sweep_at = max(1024, 2 * len(self._readers))

    def _pending_readers(self, key: int) -> list[LazyBuffer]:
        return [n for r in self._readers.get(key, ()) if (n := r()) is not None and n.pending]

    def _snapshot_aliases(self, key: int) -> None:
        for r in list(self._readers.get(key, ())):
            n = r()
            if n is not None and n.alias and id(n.buffer.data) == key:
                self.own(n)

    def _run(self, roots: list[LazyBuffer], plan: _Plan) -> None:
        root = roots[0]
        if len(roots) == 1 and root.template == "@0" and isinstance(root.operands[0], np.generic):
            # a constant: a fill, not a kernel
            self._settle(root, self.backend._fill(root.shape, root.operands[0]))
            return
        self._launch(plan, roots, [None] * len(roots))

    def _launch(self, plan: _Plan, roots: Sequence[LazyBuffer], outs: list) -> None:
        """Run ``plan``'s kernel, writing root k into ``outs[k]`` (a new buffer where None)."""
        be = self.backend
        outs = [o if o is not None else be._empty(r.shape, r.dtype) for r, o in zip(roots, outs)]
        bc = [i for i, a in enumerate(plan.leaf_access) if a == "bc"]
        collapsed = None
        if bc:
            from .backend import _broadcast_strides, _collapse  # noqa: PLC0415 - cycle

            collapsed = _collapse(plan.shape, *(_broadcast_strides(plan.leaf_shapes[i], plan.shape) for i in bc))
            if collapsed is None:  # more than six axes even after merging: expand those leaves
                for i in bc:
                    plan.leaves[i] = be._expand(plan.leaves[i].reshape(plan.leaf_shapes[i]), plan.shape)
                    plan.leaf_access[i] = "id"
                plan.leaf_types = [("id" if a == "bc" else a, t) for a, t in plan.leaf_types]
                bc = []
        key = (tuple(plan.nodes), tuple(plan.leaf_types), tuple([s.dtype for s in plan.scalars]),
               tuple(plan.outputs))
        if collapsed is not None:
            key += (collapsed[0], tuple([s[-1] if s[-1] in (0, 1) else -1 for s in collapsed[2]]))
        variant = self._kernels.get(key)
        if variant is None:
            name = "fused_flat" if collapsed is None else "fused_strided"
            variant = self._kernels[key] = be._variants("elementwise.cl", name, _defines(plan, bc, collapsed))
        args = [b.data for b in plan.leaves] + plan.scalars + [o.data for o in outs]
        if collapsed is None:
            be._launch_flat(variant, plan.size, *args)
        else:
            be._launch_strided_variants(variant, collapsed[1], collapsed[2], *args)
        for root, out in zip(roots, outs):
            self._settle(root, out)

    def _settle(self, lazy: LazyBuffer, buf) -> None:
        """``lazy`` is now ``buf``: drop its DAG, and register its pending readers as readers of
        the memory they will read."""
        lazy.buffer = buf
        lazy.operands = ()
        if lazy.readers:
            key = id(buf.data)
            for r in lazy.readers:
                n = r()
                if n is not None and n.pending:
                    self._register(key, r)
        lazy.readers = None


def _alive(refs: list | None) -> bool:
    return bool(refs) and any((n := r()) is not None and n.pending for r in refs)


def _plans(group: list[LazyBuffer], watch: int | None = None) -> list[tuple[list[LazyBuffer], _Plan]]:
    """Kernels for ``group`` (roots of one shape), in order: as few as :data:`MAX_ARGS` and
    :data:`MAX_NODES` allow, each root joining the current kernel while it fits (a root alone
    always fits: :meth:`Fuser.node` keeps every DAG within the limits)."""
    out: list[tuple[list[LazyBuffer], _Plan]] = []
    roots: list[LazyBuffer] = []
    plan = _Plan(group[0].shape, watch)
    for b in group:
        plan.output(b)
        roots.append(b)
        if len(roots) > 1 and (plan.args > MAX_ARGS or len(plan.nodes) > MAX_NODES):
            roots.pop()
            plan = _Plan(group[0].shape, watch)
            for r in roots:
                plan.output(r)
            out.append((roots, plan))
            roots, plan = [b], _Plan(group[0].shape, watch)
            plan.output(b)
    out.append((roots, plan))
    return out


def _defines(plan: _Plan, bc: list[int], collapsed) -> dict:
    """The ``#define`` prelude that turns elementwise.cl's fused kernels into ``plan``'s."""
    strided = collapsed is not None
    params, loads = [], []
    for i, (buf, access) in enumerate(zip(plan.leaves, plan.leaf_access)):
        t = CL_TYPE_NAMES[buf.dtype]
        params.append(f"__global const {t}* in{i}")
        index = {"one": "0", "id": "row + i" if strided else "i", "bc": f"r{i} + i * st{i}__STEP"}[access]
        loads.append(f"const {t} a{i} = in{i}[{index}];")
    params += [f"const {CL_TYPE_NAMES[np.dtype(s.dtype)]} k{i}" for i, s in enumerate(plan.scalars)]
    params += [f"__global {t}* out{i}" for i, (_, t) in enumerate(plan.outputs)]
    body = loads + [f"const {t} v{k} = {_fill(tpl, refs)};" for k, (tpl, t, refs) in enumerate(plan.nodes)]
    body += [f"out{i}[{'row + i' if strided else 'i'}] = {name};" for i, (name, _) in enumerate(plan.outputs)]
    defines = {"FUSED": 1, "FUSED_PARAMS": ", ".join(params), "FUSED_BODY": " ".join(body)}
    if strided:
        from .backend import _inner_steps  # noqa: PLC0415 - cycle

        rank, _, strides = collapsed
        defines.update({"STRIDED": 1, "RANK": rank,
                        "FUSED_STRIDES": "".join(f", STRIDES(st{i}_)" for i in bc),
                        "FUSED_ROWS": " ".join(f"ROW_START(st{i}_, r{i})" for i in bc),
                        **_inner_steps([f"st{i}_" for i in bc], strides)})
    return defines


def _fill(tpl: str, refs: tuple[str, ...]) -> str:
    return re.sub(r"@(\d)", lambda m: refs[int(m.group(1))], tpl)
