"""``sequences``: a Temporal Memory learning symbol sequences, to watch bursting turn into
prediction. Each symbol is a block of columns (a category encoding fed straight to the TM, no
Spatial Pooler, so what a column means stays readable). The default set holds the classic
high-order pair A B C D / X B C Y: after C, only the context (A or X) says whether D or Y comes,
and the TM learns that by using different cells of the same columns for "C after A" and
"C after X".
"""

from __future__ import annotations

import math

import numpy as np

from workbench.engine.htm.encoders import CategoryEncoder, CategoryEncoderParameters
from workbench.engine.htm.sdr import SDR
from workbench.engine.htm.temporal_memory import TemporalMemory
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param, ParamError
from workbench.session.frames import Stream, StreamKind

from ._pipeline import MovingAverage

PRESETS = {
    "high-order": "A B C D; X B C Y",
    "simple": "A B C D E F",
    "shared-subsequence": "A B C D E; F G C D H; I J C D K",
}


def parse_sequences(text: str) -> list[list[str]]:
    """``"A B C; X Y"`` -> [["A", "B", "C"], ["X", "Y"]]; symbols are whitespace-separated."""
    sequences = [s.split() for s in text.split(";")]
    sequences = [s for s in sequences if s]
    if not sequences:
        raise ParamError("sequences: give at least one sequence, e.g. 'A B C D; X B C Y'")
    if any(len(s) < 2 for s in sequences):
        raise ParamError("sequences: each sequence needs at least two symbols")
    return sequences


class Sequences(Experiment):
    name = "sequences"
    title = "Sequence learning"
    description = ("A Temporal Memory learns symbol sequences (by default the high-order pair "
                   "A B C D / X B C Y). Early on every column bursts; after a few passes the "
                   "columns are predicted, and the cells used for a symbol depend on its context.")
    version = "1"
    default_steps = 400
    params = (
        Param("preset", "choice", "high-order", "a ready-made set of sequences",
              choices=(*PRESETS, "custom")),
        Param("custom", "str", "A B C D; X B C Y", "sequences for preset=custom: symbols separated "
              "by spaces, sequences by ';'"),
        Param("order", "choice", "random", "next sequence: in turn, or drawn at random (seeded)",
              choices=("cycle", "random")),
        Param("reset", "bool", True, "reset the TM between sequences (a sequence boundary)"),
        Param("columns_per_symbol", "int", 21, "columns each symbol activates", low=4, high=200),
        Param("cells_per_column", "int", 16, "TM cells per column", low=1, high=64),
        Param("activation_threshold", "int", 13, "active synapses for an active segment", low=1, high=255),
        Param("min_threshold", "int", 10, "active synapses for a matching segment", low=1, high=255),
        Param("permanence_increment", "float", 0.1, low=0.0, high=1.0),
        Param("permanence_decrement", "float", 0.1, low=0.0, high=1.0),
        Param("predicted_segment_decrement", "float", 0.01, "punishment of wrong predictions: with "
              "0, a prediction learned while C still burst in both contexts (C -> D and Y) is never "
              "unlearned", low=0.0, high=1.0),
    )

    def build(self, ctx):
        p = self.p
        text = PRESETS.get(p["preset"], p["custom"])
        self.sequences = parse_sequences(text)
        self.symbols = sorted({s for seq in self.sequences for s in seq})
        self.encoder = CategoryEncoder(CategoryEncoderParameters(tuple(self.symbols), p["columns_per_symbol"]))
        self.tm = TemporalMemory(
            (self.encoder.size,), cells_per_column=p["cells_per_column"],
            activation_threshold=p["activation_threshold"], min_threshold=p["min_threshold"],
            max_new_synapse_count=p["columns_per_symbol"],
            permanence_increment=p["permanence_increment"], permanence_decrement=p["permanence_decrement"],
            predicted_segment_decrement=p["predicted_segment_decrement"], seed=ctx.seed,
            backend=ctx.backend)
        self.order_rng = np.random.Generator(np.random.PCG64(ctx.seed))
        self.sequence_index, self.position = -1, 0
        self.predicted_columns = np.empty(0, dtype=np.uint32)
        self.average = MovingAverage(100)
        self.last_anomaly = self.last_average = math.nan

    def streams(self):
        cells = (self.encoder.size * self.tm.cells_per_column,)
        cpc = self.tm.cells_per_column
        return [
            Stream("symbol", StreamKind.TEXT, "Symbol"),
            Stream("prediction", StreamKind.TEXT, "Predicted next", "symbols whose columns are predicted"),
            Stream("columns", StreamKind.SDR, "Active columns", shape=(self.encoder.size,)),
            Stream("tm.predicted", StreamKind.SDR, "Predicted columns", shape=(self.encoder.size,)),
            Stream("tm.active_cells", StreamKind.SDR, "Active cells", shape=cells, cells_per_column=cpc),
            Stream("tm.predictive_cells", StreamKind.SDR, "Predictive cells", shape=cells, cells_per_column=cpc),
            Stream("tm.winner_cells", StreamKind.SDR, "Winner cells", shape=cells, cells_per_column=cpc),
            Stream("anomaly", StreamKind.SCALAR, "Raw anomaly", group="anomaly"),
            Stream("anomaly_average", StreamKind.SCALAR, "Anomaly (last 100)", group="anomaly"),
            Stream("bursting", StreamKind.SCALAR, "Bursting columns", group="bursting"),
        ]

    def views(self):
        return [
            View("text", ["symbol", "prediction"], "Symbol and prediction"),
            View("columns", {"active": "columns", "predicted": "tm.predicted"}, "Columns"),
            View("cells", {"active": "tm.active_cells", "predictive": "tm.predictive_cells",
                           "winner": "tm.winner_cells"}, "Cells", inspect="tm"),
            View("curves", ["anomaly", "anomaly_average"], "Anomaly"),
            View("curves", ["bursting"], "Bursting columns"),
        ]

    def _next_symbol(self) -> tuple[str, bool]:
        """The next symbol, and whether it starts a new sequence."""
        if self.sequence_index < 0 or self.position >= len(self.sequences[self.sequence_index]):
            if self.p["order"] == "random":
                self.sequence_index = int(self.order_rng.integers(len(self.sequences)))
            else:
                self.sequence_index = (self.sequence_index + 1) % len(self.sequences)
            self.position = 0
        symbol = self.sequences[self.sequence_index][self.position]
        self.position += 1
        return symbol, self.position == 1

    def predicted_symbols(self, columns: np.ndarray) -> list[str]:
        """Symbols at least half of whose columns are predicted."""
        width = self.encoder.active_bits
        counts = np.bincount(columns // width, minlength=len(self.symbols)) if columns.size else \
            np.zeros(len(self.symbols), dtype=int)
        return [s for s, c in zip(self.symbols, counts) if c * 2 >= width]

    def step(self):
        symbol, starts = self._next_symbol()
        if starts and self.p["reset"]:
            self.tm.reset()
            self.predicted_columns = np.empty(0, dtype=np.uint32)
        encoding = self.encoder.encode(symbol)
        predicted_now = self.predicted_columns
        self.tm.compute(encoding.sparse, self.learning)
        predictive = self.tm.predictive_cells
        self.predicted_columns = np.unique(predictive // np.uint32(self.tm.cells_per_column)).astype(np.uint32)
        cells = (self.encoder.size * self.tm.cells_per_column,)
        anomaly = self.tm.anomaly
        self.last_anomaly = anomaly
        self.last_average = self.average.add(anomaly)
        return self.frame(
            symbol=symbol, prediction=" ".join(self.predicted_symbols(self.predicted_columns)) or "-",
            columns=encoding, **{
                "tm.predicted": SDR.from_sparse((self.encoder.size,), predicted_now, validate=False),
                "tm.active_cells": SDR.from_sparse(cells, self.tm.active_cells, validate=False),
                "tm.predictive_cells": SDR.from_sparse(cells, predictive, validate=False),
                "tm.winner_cells": SDR.from_sparse(cells, self.tm.winner_cells, validate=False),
            }, anomaly=anomaly, anomaly_average=self.last_average,
            bursting=float(len(self.tm.bursting_columns)))

    def metrics(self):
        return {"anomaly": self.last_anomaly, "anomaly_average": self.last_average}

    def inspect(self, layer, index):
        if layer != "tm":
            return {}
        return {"kind": "cell", "cell": int(index), "column": int(index) // self.tm.cells_per_column,
                "cells_per_column": self.tm.cells_per_column, "segments": self.tm.segments_of(int(index)),
                "threshold": float(self.tm.connected_permanence)}

    def state_dict(self):
        return {"tm": self.tm.state_dict(), "order_rng": self.order_rng.bit_generator.state,
                "sequence_index": self.sequence_index, "position": self.position,
                "predicted_columns": self.predicted_columns.copy(), "average": self.average.state_dict(),
                "steps": self.steps_done, "last": [self.last_anomaly, self.last_average]}

    def load_state_dict(self, state):
        self.tm.load_state_dict(state["tm"])
        self.order_rng.bit_generator.state = state["order_rng"]
        self.sequence_index, self.position = int(state["sequence_index"]), int(state["position"])
        self.predicted_columns = np.asarray(state["predicted_columns"], dtype=np.uint32)
        self.average.load_state_dict(state["average"])
        self.steps_done = int(state["steps"])
        self.last_anomaly, self.last_average = state["last"]
