"""Topology of HTM layers: N-d coordinates and neighbourhoods, with or without wrap-around.

HTM_SPEC.md ("Spatial Pooler", initialisation step 2) defines a neighbourhood as every
coordinate within ``radius`` of a centre, offsets -r..+r per dimension, the last dimension
varying fastest. With wrap-around a coordinate is taken modulo its dimension and no coordinate
is visited twice: per dimension the walk starts at ``centre - r`` and stops after
``min(2r + 1, dim)`` coordinates. Without wrap-around the walk is clipped at the edges.

The order matters, not just the set: the Spatial Pooler's potential pool is a shuffle-sample of
the neighbourhood *in this order*, so a different order gives a different (still valid, but not
reproducible) model. Every neighbourhood in the Spatial Pooler (potential pools, local
inhibition, minimum duty cycles, local boosting) comes from this module.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def coordinates(index: int | np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Row-major coordinates of flat ``index`` (an int gives shape (d,), an array (n, d))."""
    coords = np.unravel_index(np.asarray(index, dtype=np.int64), tuple(shape))
    return np.stack(coords, axis=-1).astype(np.int64)


def flat_index(coords: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Row-major flat indices of ``coords`` (shape (..., d))."""
    coords = np.asarray(coords, dtype=np.int64)
    strides = np.cumprod((1,) + tuple(shape)[:0:-1])[::-1]
    return coords @ strides.astype(np.int64)


def _axis_ranges(centres: np.ndarray, radius: int, dim: int, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per centre, the coordinates of one axis in walk order, padded at the end; and the counts.

    Returns ``(coords (n, width), counts (n,))``; ``coords[k, t]`` is meaningful for
    ``t < counts[k]`` only.
    """
    if wrap:
        width = min(2 * radius + 1, dim)
        coords = ((centres - radius) % dim)[:, None] + np.arange(width)[None, :]
        coords[coords >= dim] -= dim  # < 2 * dim: one subtraction instead of a modulo
        return coords, np.full(len(centres), width, dtype=np.int64)
    lo = np.maximum(centres - radius, 0)
    hi = np.minimum(centres + radius, dim - 1)
    counts = hi - lo + 1
    width = int(counts.max()) if len(centres) else 0
    coords = np.minimum(lo[:, None] + np.arange(width)[None, :], dim - 1)
    return coords, counts


def neighbourhoods(centres: np.ndarray, radius: int, shape: Sequence[int],
                   wrap_around: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flat neighbourhoods of many centres at once, each in the spec's walk order.

    ``centres`` is (n, d) coordinates (or (n,) flat indices). Returns ``(table, counts)``:
    ``table`` is (n, width) int64, row k holding the ``counts[k]`` neighbours of centre k in
    order followed by -1 padding (rows differ in length only without wrap-around). The centre
    itself is included.
    """
    shape = tuple(shape)
    centres = np.asarray(centres, dtype=np.int64)
    if centres.ndim == 1:
        centres = coordinates(centres, shape).reshape(len(centres), len(shape))
    if radius < 0:
        raise ValueError(f"a neighbourhood radius must be >= 0 (got {radius})")
    n = centres.shape[0]
    if len(shape) == 1:
        coords, counts = _axis_ranges(centres[:, 0], radius, shape[0], wrap_around)
        coords[np.arange(coords.shape[1])[None, :] >= counts[:, None]] = -1
        return coords, counts
    flat = np.zeros((n, 1), dtype=np.int64)
    valid = np.ones((n, 1), dtype=bool)
    for axis, dim in enumerate(shape):
        coords, counts = _axis_ranges(centres[:, axis], radius, dim, wrap_around)
        width = coords.shape[1]
        axis_valid = np.arange(width)[None, :] < counts[:, None]
        # Cartesian product, the new (later) axis varying fastest.
        flat = (flat[:, :, None] * dim + coords[:, None, :]).reshape(n, -1)
        valid = (valid[:, :, None] & axis_valid[:, None, :]).reshape(n, -1)
    counts = valid.sum(axis=1)
    if not valid.all():
        # Move the valid entries to the front of each row, keeping their order.
        order = np.argsort(~valid, axis=1, kind="stable")
        flat = np.take_along_axis(flat, order, axis=1)
        flat[np.arange(flat.shape[1])[None, :] >= counts[:, None]] = -1
    return flat, counts.astype(np.int64)


def neighbourhood(centre: int | Sequence[int], radius: int, shape: Sequence[int],
                  wrap_around: bool) -> np.ndarray:
    """Flat indices of the neighbourhood of one centre (flat index or coordinates), in order."""
    shape = tuple(shape)
    centre_arr = np.asarray(centre, dtype=np.int64)
    coords = coordinates(centre_arr, shape) if centre_arr.ndim == 0 else centre_arr
    table, counts = neighbourhoods(coords.reshape(1, len(shape)), radius, shape, wrap_around)
    return table[0, : counts[0]]


def map_columns_to_inputs(column_shape: Sequence[int], input_shape: Sequence[int]) -> np.ndarray:
    """Input-space centre of every column, (num_columns, d): floor((c + 0.5) * in / col) per dim.

    Evaluated exactly in integers, floor((2c + 1) * in / (2 * col)), so the result never
    depends on floating-point rounding.
    """
    column_shape, input_shape = tuple(column_shape), tuple(input_shape)
    cols = coordinates(np.arange(int(np.prod(column_shape))), column_shape)
    cols = cols.reshape(-1, len(column_shape))
    col_dims = np.asarray(column_shape, dtype=np.int64)
    in_dims = np.asarray(input_shape, dtype=np.int64)
    return ((2 * cols + 1) * in_dims) // (2 * col_dims)
