"""Encoder -> Spatial Pooler -> Temporal Memory, with the streams, views and inspector that every
HTM experiment shows. The built-in experiments differ in their data and encoders; this is the
part they share, so the column, cell and synapse views look and behave the same in all of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.engine.htm.sdr import SDR
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.temporal_memory import TemporalMemory
from workbench.plugins.api import View
from workbench.session.frames import Stream, StreamKind

PERMANENCE_BINS = 20
PERMANENCE_EDGES = tuple(float(e) for e in np.linspace(0.0, 1.0, PERMANENCE_BINS + 1))
_HISTOGRAM_BLOCK = 1 << 16  # elements per bincount: the float64 scratch stays in cache


def permanence_counts(perms: np.ndarray) -> np.ndarray:
    """How many of the float32 ``perms`` fall in each bin of :data:`PERMANENCE_EDGES` (the last
    bin includes 1); negative entries (inputs outside a potential pool) are not counted. The
    same counts as ``np.histogram(perms[perms >= 0], PERMANENCE_EDGES)``, about ten times faster.

    Why it is exact: 20 * x is exact in float64 for a float32 x (24 + 5 significant bits), so
    ``floor(20 * x)`` is the bin of x for the edges i / 20; the float64 edges differ from i / 20
    by less than an ulp and no float32 lies between the two (the tests check every edge). Adding
    20 first sends -1 to bin 0 of one bincount, whose bins 20-40 are then the counts.
    """
    flat = np.asarray(perms, dtype=np.float32).ravel()
    bins = PERMANENCE_BINS
    totals = np.zeros(2 * bins + 1, dtype=np.int64)
    scratch = np.empty(min(len(flat), _HISTOGRAM_BLOCK), dtype=np.float64)
    for start in range(0, len(flat), _HISTOGRAM_BLOCK):
        block = flat[start:start + _HISTOGRAM_BLOCK]
        scaled = scratch[:len(block)]
        np.multiply(block, float(bins), out=scaled, dtype=np.float64)
        scaled += float(bins)
        totals += np.bincount(scaled.astype(np.intp), minlength=2 * bins + 1)
    counts = totals[bins:2 * bins].astype(np.float64)
    counts[-1] += totals[2 * bins]
    return counts


class MovingAverage:
    """The mean of the last ``window`` values, kept as a float32 running total (add the new
    value, subtract the dropped one), as htm.core's example reports its anomaly average."""

    def __init__(self, window: int) -> None:
        self.window = int(window)
        self.values: list[float] = []
        self.total = np.float32(0)

    def add(self, value: float) -> float:
        self.values.append(float(value))
        self.total = np.float32(self.total + np.float32(value))
        if len(self.values) > self.window:
            self.total = np.float32(self.total - np.float32(self.values.pop(0)))
        return float(np.float32(self.total / np.float32(len(self.values))))

    def state_dict(self) -> dict:
        return {"window": self.window, "values": list(self.values), "total": float(self.total)}

    def load_state_dict(self, state: dict) -> None:
        self.window = int(state["window"])
        self.values = [float(v) for v in state["values"]]
        self.total = np.float32(state["total"])


class SPTM:
    """A Spatial Pooler and a Temporal Memory on one backend, stepped together.

    ``compute`` returns the frame values of both layers. The columns predicted *for* this step
    are the ones whose cells were predictive after the previous step: with the step's active
    columns they give the column view's four states (correct, bursting, predicted-but-inactive).
    """

    def __init__(self, input_shape: tuple[int, ...], sp_params: dict[str, Any],
                 tm_params: dict[str, Any], backend: str, histogram_every: int = 100) -> None:
        self.sp = SpatialPooler(input_shape, **sp_params, backend=backend)
        self.tm = TemporalMemory(self.sp.params.column_shape, **tm_params, backend=backend)
        self.input_shape = tuple(input_shape)
        self.column_shape = tuple(self.sp.params.column_shape)
        self.cells_per_column = self.tm.cells_per_column
        self.histogram_every = int(histogram_every)
        self._predicted_columns = np.empty(0, dtype=np.uint32)
        self._steps = 0

    def streams(self) -> list[Stream]:
        cols, cpc = self.column_shape, self.cells_per_column
        cells = (math.prod(cols) * cpc,)
        return [
            Stream("encoding", StreamKind.SDR, "Encoder output", "the SP's input", shape=self.input_shape),
            Stream("sp.active", StreamKind.SDR, "Active columns", "SP winners", shape=cols),
            Stream("tm.predicted", StreamKind.SDR, "Predicted columns",
                   "columns with a predictive cell before this input", shape=cols),
            Stream("tm.active_cells", StreamKind.SDR, "Active cells", shape=cells, cells_per_column=cpc),
            Stream("tm.predictive_cells", StreamKind.SDR, "Predictive cells",
                   "cells predicted for the next step", shape=cells, cells_per_column=cpc),
            Stream("tm.winner_cells", StreamKind.SDR, "Winner cells", shape=cells, cells_per_column=cpc),
            Stream("anomaly", StreamKind.SCALAR, "Raw anomaly", group="anomaly"),
            Stream("sp.active_duty", StreamKind.VECTOR, "Active duty cycles"),
            Stream("sp.boost", StreamKind.VECTOR, "Boost factors"),
            Stream("sp.permanences", StreamKind.HISTOGRAM, "SP permanences",
                   f"all potential synapses, every {self.histogram_every} steps", edges=PERMANENCE_EDGES),
        ]

    def views(self) -> list[View]:
        return [
            View("sdr", ["encoding"], "Encoder output"),
            View("columns", {"active": "sp.active", "predicted": "tm.predicted"}, "Columns", inspect="sp"),
            View("cells", {"active": "tm.active_cells", "predictive": "tm.predictive_cells",
                           "winner": "tm.winner_cells"}, "Cells", inspect="tm"),
            View("vector", ["sp.active_duty", "sp.boost"], "Duty cycles and boost"),
            View("histogram", ["sp.permanences"], "Permanences"),
        ]

    def compute(self, encoding: SDR, learn: bool) -> dict[str, Any]:
        active = self.sp.compute(encoding, learn)
        predicted_now = self._predicted_columns
        self.tm.compute(active, learn)
        predictive = self.tm.predictive_cells
        self._predicted_columns = self.tm.predictive_columns
        self._steps += 1
        cols, cells = self.column_shape, (math.prod(self.column_shape) * self.cells_per_column,)
        values = {
            "encoding": encoding,
            "sp.active": SDR.from_sparse(cols, active, validate=False),
            "tm.predicted": SDR.from_sparse(cols, predicted_now, validate=False),
            "tm.active_cells": SDR.from_sparse(cells, self.tm.active_cells, validate=False),
            "tm.predictive_cells": SDR.from_sparse(cells, predictive, validate=False),
            "tm.winner_cells": SDR.from_sparse(cells, self.tm.winner_cells, validate=False),
            "anomaly": self.tm.anomaly,
        }
        if self._steps % 10 == 1:
            values["sp.active_duty"] = np.asarray(self.sp.active_duty_cycles)
            values["sp.boost"] = np.asarray(self.sp.boost_factors)
        if self._steps % self.histogram_every == 1:
            values["sp.permanences"] = self.permanence_histogram()
        return values

    def permanence_histogram(self) -> np.ndarray:
        """Counts of all potential synapses' permanences in the :data:`PERMANENCE_EDGES` bins."""
        return permanence_counts(self.sp.permanence_matrix())

    def inspect(self, layer: str, index: int) -> dict[str, Any]:
        """A column's proximal synapses (layer "sp") or a cell's distal segments (layer "tm")."""
        if layer == "sp":
            return {
                "kind": "column", "column": int(index), "input_shape": self.input_shape,
                "potential": self.sp.potential_pool(index), "permanences": self.sp.permanences(index),
                "connected": self.sp.connected_synapses(index),
                "threshold": float(self.sp.params.syn_perm_connected),
            }
        if layer == "tm":
            return {
                "kind": "cell", "cell": int(index), "column": int(index) // self.cells_per_column,
                "cells_per_column": self.cells_per_column,
                "segments": self.tm.segments_of(int(index)),
                "threshold": float(self.tm.connected_permanence),
            }
        return {}

    def state_dict(self) -> dict:
        return {"sp": self.sp.state_dict(), "tm": self.tm.state_dict(),
                "predicted_columns": self._predicted_columns.copy(), "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self.sp.load_state_dict(state["sp"])
        self.tm.load_state_dict(state["tm"])
        self._predicted_columns = np.asarray(state["predicted_columns"], dtype=np.uint32)
        self._steps = int(state["steps"])
