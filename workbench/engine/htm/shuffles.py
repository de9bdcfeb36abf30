"""Many Fisher-Yates shuffles at once, each exactly as :meth:`.rng.CompatRNG.shuffle` makes it.

HTM_SPEC.md's shuffle ("for i = n-1 .. 1 swap a[i] with a[draw % (i + 1)]") is a sequential
walk, and the HTM layers need many of them: the Spatial Pooler's initialisation shuffles one
potential pool per column, and a Temporal Memory learning step one list of candidates (the
previous winners) per segment that grows or is created, which at 65,536 columns is 1,311 lists
of 1,311 cells, most of the step's time in numpy.

A Temporal Memory reads only the first few positions of each shuffle (a growth's walk stops
within the first ``max_new_synapse_count`` candidates). The walk from position n-1 down settles
position i at its step i, so a step at a position past those kept only moves the value at i to
its partner (one read and one write instead of a swap: nothing reads position i again), and the
positions kept are swapped as usual; the result is the whole shuffle's, cut (numpy's learning
at 65,536 columns: 18.3-18.7 -> 16.4 ms a step).

On an OpenCL device each work item walks its own row in the shuffle's natural order
(kernels/shuffle.cl), and only the rows (or the positions kept) come back. numpy can only run
every row in lock-step, one position at a time; it keeps the rows positions-major (each step's
row of positions is contiguous) in the narrowest integer type that holds the values (uint16
when they fit: at 1,311 x 1,311 that ran 2.5 times faster than int64, the array then fitting in
cache). Both do integer work only, so they give identical results.

The caller draws the random numbers (so that the stream is spent in its own order) and says
where each row's ``n - 1`` draws start in them; for rows made on a device it may hand over a
device buffer of draws made there (:func:`.rng_cl.draws_on_device`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_KERNELS = "shuffle.cl"
_GROUP = 64
_FEW_ROWS = 8  # below this many rows, plain Python lists beat numpy's per-position calls


def shuffle_rows(pools: np.ndarray, counts: np.ndarray, raw: np.ndarray, first_draw: np.ndarray,
                 runtime: Any = None) -> np.ndarray:
    """``pools`` (rows x width) with row r's first ``counts[r]`` entries shuffled by the draws
    ``raw[first_draw[r]:first_draw[r] + counts[r] - 1]`` (raw 32-bit draws; the entries past
    ``counts[r]`` stay as they are), on ``runtime``'s device (a CLRuntime) or, with None, in
    numpy; with no draws to make, the rows are returned as they are. Returns a new array of
    some integer type (int32 from a device; on numpy possibly uint16, and possibly a transposed
    view of positions-major rows): index with it, or convert it."""
    pools = np.asarray(pools)
    counts = np.asarray(counts, dtype=np.int64)
    width = pools.shape[1]
    if runtime is not None and pools.size and counts.max() >= 2:
        return _on_device(runtime, width, counts, raw, first_draw, pools, width)
    return _on_host(pools, counts, raw, first_draw, width)


def shuffled_prefixes(rows: int, n: int, keep: int, raw: np.ndarray, first_draw: np.ndarray,
                      runtime: Any = None) -> np.ndarray:
    """``rows`` x ``keep``: the first ``keep`` positions (1 <= keep <= n) of row r = 0 .. n-1
    shuffled by the draws ``raw[first_draw[r]:first_draw[r] + n - 1]``; on ``runtime``'s
    device the rows are made there, so only the draws go over (none when ``raw`` is a buffer
    on that device already, of uint32), and only the kept positions come back. The array's
    integer type varies as :func:`shuffle_rows`' does."""
    if not 1 <= keep <= n:
        raise ValueError(f"keep must be in [1, n] = [1, {n}] (got {keep})")
    counts = np.full(rows, n, dtype=np.int64)
    if runtime is not None and rows and n >= 2:
        return _on_device(runtime, n, counts, raw, first_draw, None, keep)
    dtype = np.uint16 if n <= 1 << 16 else np.int32
    return _on_host(np.broadcast_to(np.arange(n, dtype=dtype), (rows, n)), counts, raw,
                    first_draw, keep)


def _on_host(pools: np.ndarray, counts: np.ndarray, raw: np.ndarray, first_draw: np.ndarray,
             keep: int) -> np.ndarray:
    """The shuffles in numpy, all rows in lock-step; returns the first ``keep`` positions."""
    rows, width = pools.shape
    raw32 = np.asarray(raw).astype(np.uint32, copy=False)
    if not pools.size or not len(raw32):  # no draws: no row has two entries to swap
        return pools[:, :keep].copy()
    if rows < _FEW_ROWS:
        return _few_on_host(pools, counts, raw32, first_draw)[:, :keep]
    if pools.dtype != np.uint16 and 0 <= pools.min() and pools.max() < 1 << 16:
        pools = pools.astype(np.uint16)
    a = np.array(pools.T, order="C")  # positions x rows, a copy
    flat = a.reshape(-1)
    row = np.arange(rows)
    first = np.asarray(first_draw, dtype=np.int64)
    uniform = bool((counts == counts[0]).all())
    step = max(1, (1 << 22) // rows)  # positions per block of precomputed swap targets
    for top in range(int(counts.max()) - 1, 0, -step):
        positions = np.arange(top, max(top - step, 0), -1)
        # draw number n - 1 - i picks position i's partner: j = draw % (i + 1)
        moduli = (positions + 1).astype(np.uint32)
        if uniform:  # each row's draws for the block are contiguous: read them row by row
            picks = raw32[first[:, None] + (int(counts[0]) - 1 - positions)[None, :]]
            picks %= moduli
            targets = picks.T.astype(np.int64, order="C")
            live = None
        else:
            live = positions[:, None] < counts[None, :]
            drawn = raw32[np.where(live, first[None, :] + counts[None, :] - 1 - positions[:, None], 0)]
            targets = (drawn % moduli[:, None]).astype(np.int64)
        targets *= rows
        targets += row
        for k, (i, target) in enumerate(zip(positions.tolist(), targets)):
            if live is None:
                here = slice(i * rows, (i + 1) * rows)
            else:
                r = row[live[k]]
                here, target = i * rows + r, target[live[k]]
            if i >= keep:  # position i is not kept: its value only moves to its partner
                flat[target] = flat[here]
                continue
            held = flat[here].copy() if live is None else flat[here]
            flat[here] = flat[target]
            flat[target] = held
    return a[:keep].T


def _few_on_host(pools: np.ndarray, counts: np.ndarray, raw32: np.ndarray,
                 first_draw: np.ndarray) -> np.ndarray:
    """:func:`_on_host` for a few rows, one at a time over Python lists (a TM step that grows
    a handful of segments: 13 us for one row of 40 against 75 in lock-step)."""
    out = np.array(pools, dtype=np.int64)
    for r, (count, first) in enumerate(zip(counts.tolist(), np.asarray(first_draw).tolist())):
        if count < 2:
            continue
        values = out[r, :count].tolist()
        picks = (raw32[first: first + count - 1] % np.arange(count, 1, -1, dtype=np.uint32)).tolist()
        for i, j in zip(range(count - 1, 0, -1), picks):
            values[i], values[j] = values[j], values[i]
        out[r, :count] = values
    return out


def _on_device(runtime: Any, width: int, counts: np.ndarray, raw: np.ndarray,
               first_draw: np.ndarray, pools: np.ndarray | None, keep: int) -> np.ndarray:
    """The shuffles on one OpenCL device: ``pools`` go over (None: each row starts as
    0 .. width-1, made there), with the draws (unless they are a device buffer already); the
    first ``keep`` positions of the shuffled rows come back."""
    cl = runtime.cl
    mf = cl.mem_flags
    rows = len(counts)

    def upload(array: np.ndarray):
        return cl.Buffer(runtime.context, mf.READ_WRITE | mf.COPY_HOST_PTR,
                         hostbuf=np.ascontiguousarray(array))

    out = np.empty((rows, keep), dtype=np.int32)
    # scratch from the runtime's memory pool: a learning step at 65,536 columns needs 6.9 MB
    rows_buf = (upload(pools.astype(np.int32)) if pools is not None
                else runtime.allocator(4 * rows * width))
    kept = rows_buf if keep == width else runtime.allocator(out.nbytes)
    kernel = runtime.kernel(_KERNELS, "shuffle_rows")
    kernel(runtime.queue, (-(-rows // _GROUP) * _GROUP,), (_GROUP,), rows_buf, np.uint32(width),
           np.uint32(rows), np.int32(pools is None),
           raw if isinstance(raw, cl.MemoryObjectHolder)  # on the device already (or pooled)
           else upload(np.asarray(raw).astype(np.uint32)),
           upload(np.asarray(first_draw, dtype=np.uint64)), upload(counts.astype(np.int32)),
           np.uint32(keep), kept)
    cl.enqueue_copy(runtime.queue, out, kept, is_blocking=True)
    return out
