"""Spatial Pooler rules computed on the host, in numpy, for both backends.

These are the steps of HTM_SPEC.md ("Spatial Pooler") that either run rarely (every 50
iterations) or involve ``exp``, whose last bit differs between numpy and OpenCL devices
(ARCHITECTURE.md, "Determinism"). Computing them once, here, from arrays the device hands back,
makes both backends agree bit for bit by construction. The per-step, data-parallel rules
(overlap, inhibition, learning, duty cycles, bumping) live in the engines.
"""

from __future__ import annotations

import functools
import math
from typing import Iterator

import numpy as np

from .rounding import round_half_away
from .sp_params import SpatialPoolerParams
from .topology import neighbourhoods

#: Entries per neighbourhood table block: bounds the memory of the vectorised neighbourhood walks.
TABLE_BLOCK = 1 << 22


def column_blocks(num: int, width: int):
    """Ranges ``(start, stop)`` over ``num`` rows such that a block's table has <= TABLE_BLOCK entries."""
    step = max(1, TABLE_BLOCK // max(width, 1))
    for start in range(0, num, step):
        yield start, min(num, start + step)


def neighbourhood_width(radius: int, shape: tuple[int, ...]) -> int:
    """The widest neighbourhood of ``radius`` in ``shape`` (an upper bound on the table width)."""
    return math.prod(min(2 * radius + 1, d) for d in shape)


@functools.lru_cache(maxsize=4)
def _column_table(radius: int, shape: tuple[int, ...], wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    table, counts = neighbourhoods(np.arange(math.prod(shape)), radius, shape, wrap)
    table = table.astype(np.int32)
    table.flags.writeable = False
    counts.flags.writeable = False
    return table, counts


def column_neighbourhoods(radius: int, params: SpatialPoolerParams,
                          columns: np.ndarray | None = None
                          ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(columns, table, counts)`` blocks: the neighbourhoods of ``columns`` (all by default)
    within ``radius`` in column space, as :func:`.topology.neighbourhoods` gives them.

    The inhibition radius changes at most every 50 iterations, so the table of every column is
    kept (a few recent radii, up to TABLE_BLOCK entries each) instead of being rebuilt per step.
    """
    shape, wrap = params.column_shape, params.wrap_around
    wanted = np.arange(params.num_columns) if columns is None else np.asarray(columns)
    width = neighbourhood_width(radius, shape)
    if params.num_columns * width <= TABLE_BLOCK:
        table, counts = _column_table(radius, shape, wrap)
        if columns is None:
            yield wanted, table, counts
        else:
            yield wanted, table[wanted], counts[wanted]
        return
    for start, stop in column_blocks(len(wanted), width):
        yield (wanted[start:stop],) + neighbourhoods(wanted[start:stop], radius, shape, wrap)


def inhibition_density(params: SpatialPoolerParams, radius: int) -> np.float32:
    """The fraction of columns allowed to win, in float32.

    local_area_density when set; otherwise (the spec is silent, NuPIC's rule)
    num_active_columns_per_inh_area / inhibition area, area = min(num_columns, (2r + 1)^d),
    capped at 0.5.
    """
    if params.local_area_density > 0:
        return np.float32(params.local_area_density)
    area = min(params.num_columns, (2 * radius + 1) ** len(params.column_shape))
    density = np.float32(params.num_active_columns_per_inh_area) / np.float32(area)
    return min(np.float32(density), np.float32(0.5))


def global_winner_count(density: np.float32, num_columns: int) -> int:
    """n = trunc(density * num_columns) in float32 (spec step 3), at most num_columns."""
    return min(num_columns, int(np.float32(density) * np.float32(num_columns)))


def local_winner_quota(density: np.float32, neighbours_plus_one: np.ndarray) -> np.ndarray:
    """trunc(0.5 + density * (neighbours + 1)) in float32 (spec step 3, local inhibition)."""
    area = np.asarray(neighbours_plus_one).astype(np.float32)
    return (np.float32(0.5) + np.float32(density) * area).astype(np.int64)


def duty_cycle_factors(period: int) -> tuple[np.float32, np.float32]:
    """(decay, increment) = ((period - 1) / period, 1 / period) in float32 (spec step 4b)."""
    p = np.float32(period)
    return np.float32(np.float32(period - 1) / p), np.float32(np.float32(1) / p)


def raise_to_threshold(rows: np.ndarray, params: SpatialPoolerParams) -> None:
    """Spec step 4a / init step 4, in place on permanence rows (-1 marks non-potential inputs).

    A row with fewer than stimulus_threshold connected synapses gets (connected - 1e-6 - p_k)
    added to all its potential permanences, p_k its k-th largest. The spec is silent on two
    edges, which follow NuPIC: k is capped at the pool size, and permanences are clipped to
    [0, 1] afterwards, as every other permanence change is. At reduced precision the rows hold
    stored values and the target is the smallest stored connected value
    (:attr:`.SpatialPoolerParams.raise_target`, :mod:`.sp_storage`).
    """
    k = params.stimulus_threshold
    if k == 0 or rows.size == 0:
        return
    threshold = params.connected_threshold
    potential = rows >= 0
    short = np.flatnonzero(((rows >= threshold).sum(axis=1) < k) & potential.any(axis=1))
    for r in short:
        mask = potential[r]
        values = rows[r, mask]
        kk = min(k, values.size)
        p_k = np.partition(values, values.size - kk)[values.size - kk]
        increment = np.float32(params.raise_target - p_k)
        rows[r, mask] = np.minimum(np.maximum(values + increment, np.float32(0)), np.float32(1))


def boost_factors(active_duty_cycles: np.ndarray, params: SpatialPoolerParams, radius: int,
                  global_inhibition: bool) -> np.ndarray:
    """boost = exp((target_density - active_duty_cycle) * boost_strength), float32 (step 4d).

    The argument is computed in float32; exp in float64, rounded once to float32 (correctly
    rounded but for astronomically rare double-rounding cases). The target density is the
    inhibition density under global inhibition; otherwise (the spec is silent, NuPIC's rule) the
    mean active duty cycle of the column's neighbourhood within the inhibition radius, summed in
    float32 in neighbourhood order.
    """
    adc = np.asarray(active_duty_cycles, dtype=np.float32)
    if global_inhibition:
        target: np.ndarray | np.float32 = inhibition_density(params, radius)
    else:
        target = _local_mean(adc, radius, params)
    argument = (target - adc) * np.float32(params.boost_strength)
    return np.exp(argument.astype(np.float64)).astype(np.float32)


def _local_mean(values: np.ndarray, radius: int, params: SpatialPoolerParams) -> np.ndarray:
    out = np.empty(params.num_columns, dtype=np.float32)
    if len(params.column_shape) == 1:
        total = np.zeros(params.num_columns, dtype=np.float32)
        for neighbour in window_walk(values, radius, params.wrap_around, np.float32(0)):
            total += neighbour  # the leading and trailing zeros of clipped windows add nothing
        counts = window_sizes(radius, params)
        return total / counts.astype(np.float32)
    for cols, table, counts in column_neighbourhoods(radius, params):
        padded = np.where(table >= 0, values[np.maximum(table, 0)], np.float32(0))
        # accumulate adds strictly left to right (reduce would sum pairwise); padding adds 0.
        total = np.add.accumulate(padded, axis=1, dtype=np.float32)[:, -1]
        out[cols] = total / counts.astype(np.float32)
    return out


def window_walk(values: np.ndarray, radius: int, wrap: bool, fill) -> Iterator[np.ndarray]:
    """1-D columns: for each step t of the neighbourhood walk, every column's t-th neighbour.

    Each yield is a contiguous view (no gather): with wrap-around, column c's t-th neighbour is
    values[(c - r + t) mod n]; without, it is values[c - r + t] with ``fill`` outside the
    columns, so a clipped window's neighbours come in walk order between runs of ``fill``.
    """
    n = len(values)
    if wrap:
        ext = np.concatenate((values, values, values))
        first = (-radius) % n
        for t in range(min(2 * radius + 1, n)):
            yield ext[first + t: first + t + n]
    else:
        pad = np.full(radius, fill, dtype=values.dtype)
        ext = np.concatenate((pad, values, pad))
        for t in range(2 * radius + 1):
            yield ext[t: t + n]


def window_sizes(radius: int, params: SpatialPoolerParams) -> np.ndarray:
    """1-D columns: each column's neighbourhood size, itself included."""
    n = params.num_columns
    if params.wrap_around:
        return np.full(n, min(2 * radius + 1, n), dtype=np.int64)
    c = np.arange(n)
    return np.minimum(c + radius + 1, n) - np.maximum(c - radius, 0)


def min_overlap_duty_cycles(overlap_duty_cycles: np.ndarray, params: SpatialPoolerParams,
                            radius: int) -> np.ndarray:
    """Spec step 4e: min_pct * max overlap duty cycle, over all columns or per neighbourhood.

    Global when the inhibition radius is at least the largest column dimension; otherwise the
    max runs over the column's neighbourhood within the radius, itself included.
    """
    odc = np.asarray(overlap_duty_cycles, dtype=np.float32)
    pct = np.float32(params.min_pct_overlap_duty_cycle)
    if radius >= max(params.column_shape):
        return np.full(params.num_columns, pct * odc.max(), dtype=np.float32)
    out = np.empty(params.num_columns, dtype=np.float32)
    for cols, table, _ in column_neighbourhoods(radius, params):
        values = np.where(table >= 0, odc[np.maximum(table, 0)], np.float32(-np.inf))
        out[cols] = pct * values.max(axis=1)
    return out


def inhibition_radius(params: SpatialPoolerParams, global_inhibition: bool,
                      span_sums: np.ndarray | None) -> int:
    """Spec step 4e: the largest column dimension under global inhibition, else from spans.

    ``span_sums[c]`` is the sum over input dimensions of column c's connected span
    (max - min + 1 coordinate of its synapses with perm >= connected + 1e-6; 0 with none).
    A column's span is the mean over dimensions (NuPIC's N-d rule; in 1-D, the spec's). The
    average over columns times columns-per-input is the diameter; radius = max(1,
    (diameter - 1) / 2), rounded half away from zero. Computed in float64.
    """
    if global_inhibition:
        return max(params.column_shape)
    ndim = len(params.input_shape)
    average_span = float(np.sum(span_sums, dtype=np.int64)) / (ndim * params.num_columns)
    columns_per_input = float(np.mean(np.asarray(params.column_shape, dtype=np.float64)
                                      / np.asarray(params.input_shape, dtype=np.float64)))
    diameter = average_span * columns_per_input
    return int(round_half_away(max(1.0, (diameter - 1.0) / 2.0)))


def connected_span_sums(perm: np.ndarray, params: SpatialPoolerParams) -> np.ndarray:
    """Per column, the sum over input dimensions of its connected span (see inhibition_radius).

    ``perm`` holds stored permanences (:attr:`.SpatialPoolerParams.storage`)."""
    threshold, at_least = params.span_threshold, params.storage.at_least
    shape = params.input_shape
    out = np.zeros(perm.shape[0], dtype=np.int64)
    for start, stop in column_blocks(perm.shape[0], params.num_inputs):
        mask = at_least(perm[start:stop], threshold).reshape((stop - start,) + shape)
        for axis, dim in enumerate(shape):
            others = tuple(a + 1 for a in range(len(shape)) if a != axis)
            line = mask.any(axis=others) if others else mask
            has = line.any(axis=1)
            first = np.argmax(line, axis=1)
            last = dim - 1 - np.argmax(line[:, ::-1], axis=1)
            out[start:stop] += np.where(has, last - first + 1, 0)
    return out
