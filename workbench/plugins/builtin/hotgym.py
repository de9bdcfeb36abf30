"""``hotgym``: htm.core's hot gym example, hourly power use of a gym (shipped in ``data/``).

Encoders (the value by an RDSE, the time by a Date encoder: time of day and weekend), a Spatial
Pooler, a Temporal Memory, a Predictor 1 and 5 steps ahead trained on the TM's active cells,
the raw anomaly and its likelihood. Parameters default to htm.core's example, so the prediction
errors can be compared with its published figures (RMS 7.8-8.3 one step ahead, 8.8-9.3 five
steps ahead; persistence, "the next value equals this one", gets 10.4 and 25.7).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from workbench.engine.htm.anomaly import NupicAnomalyLikelihood, log_likelihood
from workbench.engine.htm.classifiers import Predictor
from workbench.engine.htm.encoders import DateEncoder, DateEncoderParameters, RDSE, RDSEParameters
from workbench.engine.htm.sdr import SDR
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind

from ._pipeline import SPTM
from ._series import read_series

DATA = Path(__file__).with_name("data") / "hotgym.csv"
HORIZONS = (1, 5)


class ForecastError:
    """Running RMS error of predictions made ``horizon`` steps ahead, and of persistence."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon
        self.pending: list[tuple[float, float]] = []  # (prediction, value when it was made)
        self.squares = {"model": 0.0, "persistence": 0.0}
        self.counts = {"model": 0, "persistence": 0}

    def add(self, value: float, prediction: float) -> None:
        """Score the forecasts made ``horizon`` steps ago against ``value``, then queue this one."""
        if len(self.pending) == self.horizon:
            predicted, then = self.pending.pop(0)
            if not math.isnan(predicted):
                self.squares["model"] += (value - predicted) ** 2
                self.counts["model"] += 1
            self.squares["persistence"] += (value - then) ** 2
            self.counts["persistence"] += 1
        self.pending.append((prediction, value))

    def rms(self, which: str) -> float:
        n = self.counts[which]
        return math.sqrt(self.squares[which] / n) if n else math.nan

    def state_dict(self) -> dict:
        return {"pending": [list(p) for p in self.pending], "squares": dict(self.squares),
                "counts": dict(self.counts)}

    def load_state_dict(self, state: dict) -> None:
        self.pending = [tuple(p) for p in state["pending"]]
        self.squares = dict(state["squares"])
        self.counts = {k: int(v) for k, v in state["counts"].items()}


class HotGym(Experiment):
    name = "hotgym"
    title = "Hot gym power forecast"
    description = ("Hourly power use of a gym (4,391 hours): encoders, Spatial Pooler, Temporal "
                   "Memory, 1- and 5-step predictions and anomaly likelihood, with htm.core's "
                   "hot gym parameters. Compare the RMS errors with persistence.")
    version = "1"
    default_steps = 4391
    params = (
        Param("value_size", "int", 700, "RDSE bits for the power value", low=50, high=8192),
        Param("value_sparsity", "float", 0.02, "RDSE fraction of active bits", low=0.005, high=0.5),
        Param("value_resolution", "float", 0.88, "RDSE resolution (kW)", low=0.01, high=100.0),
        Param("time_of_day_width", "int", 30, "bits for the time of day", low=1, high=200),
        Param("time_of_day_radius", "float", 1.0, "time-of-day radius (hours)", low=0.1, high=12.0),
        Param("weekend_width", "int", 21, "bits for the weekend flag (0 = off)", low=0, high=200),
        Param("columns", "int", 1638, "Spatial Pooler columns", low=64, high=262144),
        Param("potential_pct", "float", 0.85, low=0.01, high=1.0),
        Param("local_area_density", "float", 0.04395604395604396, low=0.001, high=0.5),
        Param("syn_perm_active_inc", "float", 0.04, low=0.0, high=1.0),
        Param("syn_perm_inactive_dec", "float", 0.006, low=0.0, high=1.0),
        Param("syn_perm_connected", "float", 0.14, low=0.0, high=1.0),
        Param("boost_strength", "float", 3.0, low=0.0, high=10.0),
        Param("cells_per_column", "int", 13, low=1, high=64),
        Param("activation_threshold", "int", 17, low=1, high=255),
        Param("min_threshold", "int", 10, low=1, high=255),
        Param("max_new_synapse_count", "int", 32, low=1, high=255),
        Param("initial_permanence", "float", 0.21, low=0.0, high=1.0),
        Param("permanence_increment", "float", 0.1, low=0.0, high=1.0),
        Param("permanence_decrement", "float", 0.1, low=0.0, high=1.0),
        Param("max_segments_per_cell", "int", 128, low=1, high=255),
        Param("max_synapses_per_segment", "int", 64, low=1, high=255),
        Param("predictor_alpha", "float", 0.1, "learning rate of the 1- and 5-step predictors",
              low=0.0001, high=1.0),
        Param("likelihood_learning_period", "int", 1000, "records before the likelihood is fitted",
              low=10, high=100000),
    )

    def build(self, ctx):
        p = self.p
        self.series = read_series(DATA)
        self.value_encoder = RDSE(RDSEParameters(size=p["value_size"], sparsity=p["value_sparsity"],
                                                 resolution=p["value_resolution"], seed=ctx.seed))
        self.date_encoder = DateEncoder(DateEncoderParameters(
            time_of_day=(p["time_of_day_width"], p["time_of_day_radius"]),
            weekend=p["weekend_width"] or None))
        width = self.value_encoder.size + self.date_encoder.size
        self.model = SPTM(
            (width,),
            {"column_shape": (p["columns"],), "potential_radius": width, "potential_pct": p["potential_pct"],
             "global_inhibition": True, "local_area_density": p["local_area_density"],
             "syn_perm_active_inc": p["syn_perm_active_inc"], "syn_perm_inactive_dec": p["syn_perm_inactive_dec"],
             "syn_perm_connected": p["syn_perm_connected"], "boost_strength": p["boost_strength"],
             "wrap_around": False, "seed": ctx.seed},
            {"cells_per_column": p["cells_per_column"], "activation_threshold": p["activation_threshold"],
             "min_threshold": p["min_threshold"], "max_new_synapse_count": p["max_new_synapse_count"],
             "initial_permanence": p["initial_permanence"], "connected_permanence": p["syn_perm_connected"],
             "permanence_increment": p["permanence_increment"], "permanence_decrement": p["permanence_decrement"],
             "max_segments_per_cell": p["max_segments_per_cell"],
             "max_synapses_per_segment": p["max_synapses_per_segment"], "seed": ctx.seed},
            ctx.backend)
        self.predictor = Predictor(HORIZONS, alpha=p["predictor_alpha"])
        self.errors = {n: ForecastError(n) for n in HORIZONS}
        self.likelihood = NupicAnomalyLikelihood(learning_period=p["likelihood_learning_period"])
        self.position = 0
        self.finished = False
        self.last = {"anomaly": math.nan, "likelihood": math.nan}

    def streams(self):
        return [
            Stream("time", StreamKind.TEXT, "Time"),
            Stream("power", StreamKind.SCALAR, "Power (kW)", unit="kW", group="power"),
            Stream("prediction_1", StreamKind.SCALAR, "Predicted 1 h ahead", unit="kW", group="power"),
            Stream("prediction_5", StreamKind.SCALAR, "Predicted 5 h ahead", unit="kW", group="power"),
            *self.model.streams(),
            Stream("likelihood", StreamKind.SCALAR, "Anomaly likelihood", group="anomaly"),
            Stream("log_likelihood", StreamKind.SCALAR, "Log likelihood", group="anomaly"),
            Stream("rms_1", StreamKind.SCALAR, "RMS error, 1 h", unit="kW", group="error"),
            Stream("rms_5", StreamKind.SCALAR, "RMS error, 5 h", unit="kW", group="error"),
            Stream("probabilities_1", StreamKind.VECTOR, "Predicted distribution, 1 h ahead"),
        ]

    def views(self):
        return [View("curves", ["power", "prediction_1", "prediction_5"], "Power and predictions"),
                *self.model.views(),
                View("curves", ["anomaly", "likelihood"], "Anomaly"),
                View("curves", ["rms_1", "rms_5"], "Prediction error"),
                View("vector", ["probabilities_1"], "Predicted distribution")]

    def step(self):
        when, power = self.series.record(self.position)
        self.position += 1
        self.finished = self.position >= len(self.series)
        encoding = SDR.concatenate([self.value_encoder.encode(power), self.date_encoder.encode(when)])
        values = self.model.compute(encoding, self.learning)
        cells = values["tm.active_cells"]
        distributions = self.predictor.infer(cells)
        predictions = {n: float(np.argmax(d)) if d.size else math.nan for n, d in distributions.items()}
        if self.learning:
            self.predictor.learn(cells, int(power), record=self.position)
        for n in HORIZONS:
            self.errors[n].add(power, predictions[n])
        likelihood = self.likelihood.compute(power, values["anomaly"])
        self.last = {"anomaly": values["anomaly"], "likelihood": likelihood}
        extra = {"probabilities_1": distributions[1]} if distributions[1].size else {}
        return self.frame(time=when.strftime("%Y-%m-%d %H:%M"), power=power,
                          prediction_1=predictions[1], prediction_5=predictions[5],
                          likelihood=likelihood, log_likelihood=log_likelihood(likelihood),
                          rms_1=self.errors[1].rms("model"), rms_5=self.errors[5].rms("model"),
                          **values, **extra)

    def metrics(self):
        out = {f"rms_{n}": self.errors[n].rms("model") for n in HORIZONS}
        out.update({f"persistence_rms_{n}": self.errors[n].rms("persistence") for n in HORIZONS})
        out.update(self.last)
        return out

    def inspect(self, layer, index):
        return self.model.inspect(layer, index)

    def state_dict(self):
        return {"model": self.model.state_dict(), "predictor": self.predictor.state_dict(),
                "errors": {str(n): e.state_dict() for n, e in self.errors.items()},
                "likelihood": self.likelihood.state_dict(), "position": self.position,
                "steps": self.steps_done, "last": dict(self.last)}

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.predictor.load_state_dict(state["predictor"])
        for n, e in self.errors.items():
            e.load_state_dict(state["errors"][str(n)])
        self.likelihood.load_state_dict(state["likelihood"])
        self.position = int(state["position"])
        self.finished = self.position >= len(self.series)
        self.steps_done = int(state["steps"])
        self.last = dict(state["last"])
