"""Spatial Pooler initialisation: potential pools and first permanences (HTM_SPEC.md, init 1-4).

Per column, in index order: map the column to its input centre, walk its neighbourhood, take
``sample(neighbourhood, round(len * potential_pct))`` as the potential pool, then for each
potential input in ascending order draw a coin (``real() <= 0.5``) and a permanence
(``real_range(connected, 1)`` or ``real_range(0, connected)``), and finally raise the column to
threshold. At reduced precision (:mod:`.sp_storage`) the permanences are rounded to the
storage before they are raised, so that the raise counts the connected synapses the model will
hold.

The draws are exactly those a column-by-column loop over :class:`CompatRNG` would make, in the
same order: a column consumes ``len - 1`` shuffle draws then two draws per potential input, so
each column's slice of the stream is known in advance. That lets a block of columns take its
draws in one call and shuffle side by side: on numpy one vectorised Fisher-Yates step per
position for all rows at once; on an OpenCL device (the one the model will live on) one work
item per row, which is far faster for wide neighbourhoods (numpy's lock-step walk is bound by
memory latency: about a minute per 4,096 columns of 16,384 inputs). Both are exact integer
work, so the result does not depend on the backend; tests check both against the plain
per-column loop.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .rng import CompatRNG
from .rounding import round_half_away
from .shuffles import shuffle_rows
from .sp_params import SpatialPoolerParams
from .sp_rules import neighbourhood_width, raise_to_threshold
from .topology import map_columns_to_inputs, neighbourhoods

_UINT32_MAX = 4294967295.0
#: Table entries per block of columns: large blocks keep the per-position Python steps of the
#: shuffle few (65,536 columns x 16,384 inputs: 16 blocks), at about 30 bytes an entry.
_BLOCK_ENTRIES = 1 << 26


def pool_sizes(neighbourhood_sizes: np.ndarray, potential_pct: float) -> np.ndarray:
    """round(len * potential_pct), the product in float32 (potential_pct is a float32 ratio)."""
    product = np.asarray(neighbourhood_sizes).astype(np.float32) * np.float32(potential_pct)
    return round_half_away(product).astype(np.int64)


def _first_permanences(coins: np.ndarray, reals: np.ndarray, connected: np.float32) -> np.ndarray:
    """Init step 3, vectorised: real_range(connected, 1) where real() <= 0.5, else
    real_range(0, connected); real_range(a, b) = a + float32(float32(b - a) * real)."""
    heads = coins <= 0.5
    low = np.where(heads, connected, np.float32(0))
    span = np.where(heads, np.float32(np.float32(1) - connected), np.float32(connected - np.float32(0)))
    return low + (span.astype(np.float64) * reals).astype(np.float32)


def initial_permanences(params: SpatialPoolerParams, rng: CompatRNG, runtime=None) -> np.ndarray:
    """The dense (num_columns, num_inputs) float32 permanences; -1 marks non-potential inputs
    (all of :func:`initial_permanence_blocks` in one array)."""
    perm = np.empty((params.num_columns, params.num_inputs), dtype=np.float32)
    for start, rows in initial_permanence_blocks(params, rng, runtime):
        perm[start:start + len(rows)] = rows
    return perm


def initial_permanence_blocks(params: SpatialPoolerParams, rng: CompatRNG,
                              runtime=None) -> Iterator[tuple[int, np.ndarray]]:
    """``(first column, rows)``: the initial float32 permanences of consecutive blocks of
    columns, raised to threshold; -1 marks non-potential inputs. At reduced precision they are
    the stored values, but for the raise's last rounding, which the engine's encoding does.

    A model takes them block by block into its own storage, so initialisation never holds the
    whole float32 matrix (at reduced precision that would be 2-4 times the model's size).
    ``runtime`` (a :class:`CLRuntime`) runs the shuffles on that device; None runs them in numpy.
    """
    centres = map_columns_to_inputs(params.column_shape, params.input_shape)
    width = neighbourhood_width(params.potential_radius, params.input_shape)
    block = max(1, _BLOCK_ENTRIES // max(width, params.num_inputs))
    for start in range(0, params.num_columns, block):
        perm = _initial_block(params, rng, runtime, centres[start:start + block])
        raise_to_threshold(perm, params)  # row by row: blocks give the same result
        yield start, perm


def _initial_block(params: SpatialPoolerParams, rng: CompatRNG, runtime,
                   centres: np.ndarray) -> np.ndarray:
    """Init steps 2-3 for the columns whose input centres are ``centres`` (the next ones in
    the generator's order): their float32 rows, -1 outside the pools, not yet raised."""
    num_inputs = params.num_inputs
    table, counts = neighbourhoods(centres, params.potential_radius, params.input_shape,
                                   params.wrap_around)
    sizes = pool_sizes(counts, params.potential_pct)
    shuffle_draws = np.maximum(counts - 1, 0)
    offsets = np.concatenate(([0], np.cumsum(shuffle_draws + 2 * sizes)))
    raw = rng.draws(int(offsets[-1]))
    positions = np.arange(table.shape[1], dtype=np.int64)[None, :]
    pools = shuffle_rows(table.astype(np.int32), counts, raw, offsets[:-1], runtime)
    del table
    # The first size_r entries of each shuffled row, in ascending input order: a mask's
    # row-major nonzero walks each row's inputs upwards.
    rows = len(centres)
    chosen = np.zeros((rows, num_inputs), dtype=bool)
    if (sizes == sizes[0]).all() and (shuffle_draws == shuffle_draws[0]).all():
        # Every column alike (wrap-around, or a radius covering the input): each row's
        # permanence draws are one slice of a (rows, draws per row) view, no index arrays.
        size, skip = int(sizes[0]), int(shuffle_draws[0])
        chosen[np.arange(rows)[:, None], pools[:, :size]] = True
        draws = raw.reshape(rows, skip + 2 * size)[:, skip:]
        coins, reals = draws[:, 0::2] / _UINT32_MAX, draws[:, 1::2] / _UINT32_MAX
    else:
        keep = positions < sizes[:, None]
        chosen[np.nonzero(keep)[0], pools[keep]] = True
        rank = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        row_of = np.repeat(np.arange(rows), sizes)
        first = offsets[:-1][row_of] + shuffle_draws[row_of] + 2 * rank
        coins, reals = raw[first] / _UINT32_MAX, raw[first + 1] / _UINT32_MAX
    values = params.storage.quantize(_first_permanences(coins, reals, params.connected))
    perm = np.full((rows, num_inputs), -1.0, dtype=np.float32)
    perm[chosen] = values.ravel()
    return perm
