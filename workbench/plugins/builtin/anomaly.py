"""``anomaly``: anomaly detection on any time series (a CSV with a timestamp and a value column).

The defaults are NuPIC's detector on the Numenta Anomaly Benchmark (HTM_SPEC.md, "Anomaly
detection as NuPIC ran it on NAB"), the configuration that scored 70.1: the value by an RDSE whose
resolution follows the series' range, the time of day, a 2048-column Spatial Pooler with 40
winners, a 32-cell Temporal Memory, NuPIC's windowed anomaly likelihood, and NAB's "spatial
anomaly" override for values far outside the range seen so far. The whole file is read first
(the encoder's range comes from it, as in NAB).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from workbench.engine.htm.anomaly import NupicAnomalyLikelihood, SpatialAnomaly, log_likelihood, nab_settings
from workbench.engine.htm.encoders import DateEncoder, DateEncoderParameters, RDSE, RDSEParameters
from workbench.engine.htm.sdr import SDR
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind

from ._pipeline import SPTM
from ._series import read_series

DEFAULT_SERIES = Path(__file__).with_name("data") / "hotgym.csv"


def value_resolution(values: np.ndarray, buckets: int = 130) -> tuple[float, float, float]:
    """(padded min, padded max, RDSE resolution) as NAB derived them: the range padded by 20 % on
    each side, resolution = max(0.001, padded range / 130)."""
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.2
    low, high = low - pad, high + pad
    return low, high, max(0.001, (high - low) / buckets)


class Anomaly(Experiment):
    name = "anomaly"
    title = "Anomaly detection (NAB detector)"
    description = ("Raw anomaly, likelihood and flagged points on your own time series (CSV with a "
                   "timestamp and a value). The defaults are NuPIC's detector for the Numenta "
                   "Anomaly Benchmark; without a file it runs on the hot gym series.")
    version = "1"
    params = (
        Param("csv", "path", "", "the series: a CSV file with a timestamp and a value column "
              "(empty: the hot gym series shipped with the workbench)", optional=True),
        Param("value_column", "str", "", "the value column's name (empty: the first besides the "
              "timestamp)", optional=True),
        Param("on_bad_value", "choice", "skip", "rows whose value is missing or not a number: skip "
              "them (and say how many) or stop with the line number", choices=("skip", "fail")),
        Param("threshold", "float", 0.5, "score at or above which a point is flagged", low=0.0, high=1.0),
        Param("value_size", "int", 400, "RDSE bits", low=50, high=8192),
        Param("value_active_bits", "int", 21, "RDSE active bits", low=1, high=500),
        Param("time_of_day_width", "int", 21, "bits for the time of day (0 = off)", low=0, high=200),
        Param("time_of_day_radius", "float", 9.49, "time-of-day radius (hours)", low=0.1, high=12.0),
        Param("columns", "int", 2048, "Spatial Pooler columns", low=64, high=262144),
        Param("active_columns", "int", 40, "Spatial Pooler winners per step", low=1, high=10000),
        Param("cells_per_column", "int", 32, low=1, high=64),
    )

    def build(self, ctx):
        p = self.p
        self.series = read_series(p["csv"] or DEFAULT_SERIES, p["value_column"], p["on_bad_value"])
        if self.series.skipped_lines:
            lines = self.series.skipped_lines
            shown = ", ".join(map(str, lines[:5])) + (" ..." if len(lines) > 5 else "")
            warnings.warn(f"{self.series.path}: skipped {len(lines)} rows whose value is missing or "
                          f"not a number (lines {shown})")
        _, _, resolution = value_resolution(self.series.values)
        self.value_encoder = RDSE(RDSEParameters(size=p["value_size"], active_bits=p["value_active_bits"],
                                                 resolution=resolution, seed=ctx.seed))
        self.date_encoder = (DateEncoder(DateEncoderParameters(
            time_of_day=(p["time_of_day_width"], p["time_of_day_radius"]))) if p["time_of_day_width"] else None)
        width = self.value_encoder.size + (self.date_encoder.size if self.date_encoder else 0)
        self.model = SPTM(
            (width,),
            {"column_shape": (p["columns"],), "potential_radius": width, "potential_pct": 0.8,
             "global_inhibition": True, "local_area_density": 0.0,
             "num_active_columns_per_inh_area": p["active_columns"], "syn_perm_active_inc": 0.003,
             "syn_perm_inactive_dec": 0.0005, "syn_perm_connected": 0.2, "boost_strength": 0.0,
             "seed": ctx.seed},
            {"cells_per_column": p["cells_per_column"], "activation_threshold": 20, "min_threshold": 13,
             "max_new_synapse_count": 31, "initial_permanence": 0.24, "permanence_increment": 0.04,
             "permanence_decrement": 0.008, "predicted_segment_decrement": 0.001,
             "max_segments_per_cell": 128, "max_synapses_per_segment": 128, "seed": ctx.seed},
            ctx.backend)
        self.settings = nab_settings(len(self.series))
        self.likelihood = NupicAnomalyLikelihood.for_series(len(self.series))
        self.spatial = SpatialAnomaly()
        self.position = 0
        self.finished = False
        self.flagged = 0
        self.last_score = math.nan
        self.default_steps = len(self.series)

    def streams(self):
        return [
            Stream("timestamp", StreamKind.TEXT, "Timestamp"),
            Stream("value", StreamKind.SCALAR, "Value", group="value"),
            Stream("anomaly", StreamKind.SCALAR, "Raw anomaly", group="anomaly"),
            Stream("likelihood", StreamKind.SCALAR, "Likelihood", group="likelihood"),
            Stream("log_likelihood", StreamKind.SCALAR, "Log likelihood", group="likelihood"),
            Stream("score", StreamKind.SCALAR, "Score", "log likelihood, or 1 for a spatial anomaly",
                   group="likelihood"),
            Stream("flagged", StreamKind.SCALAR, "Flagged", "1 where score >= threshold", group="value"),
            *[s for s in self.model.streams() if s.name != "anomaly"],
        ]

    def views(self):
        return [View("curves", ["value", "flagged"], "Series and flagged points"),
                View("curves", ["anomaly"], "Raw anomaly"),
                View("curves", ["likelihood", "log_likelihood", "score"], "Likelihood"),
                *self.model.views()]

    def step(self):
        when, value = self.series.record(self.position)
        self.position += 1
        self.finished = self.position >= len(self.series)
        parts = [self.value_encoder.encode(value)]
        if self.date_encoder is not None:
            parts.append(self.date_encoder.encode(when))
        values = self.model.compute(SDR.concatenate(parts), self.learning)
        likelihood = self.likelihood.compute(value, values["anomaly"])
        log_like = log_likelihood(likelihood)
        score = 1.0 if self.spatial.check(value) else log_like
        flagged = score >= self.p["threshold"] and self.position > self.settings.probationary_period
        self.flagged += int(flagged)
        self.last_score = score
        return self.frame(timestamp=when.isoformat(sep=" "), value=value, likelihood=likelihood,
                          log_likelihood=log_like, score=score, flagged=float(flagged), **values)

    def metrics(self):
        return {"rows": float(self.position), "flagged": float(self.flagged), "score": self.last_score}

    def inspect(self, layer, index):
        return self.model.inspect(layer, index)

    def state_dict(self):
        return {"model": self.model.state_dict(), "likelihood": self.likelihood.state_dict(),
                "spatial": [self.spatial.low, self.spatial.high], "position": self.position,
                "flagged": self.flagged, "steps": self.steps_done, "last_score": self.last_score}

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.likelihood.load_state_dict(state["likelihood"])
        self.spatial.low, self.spatial.high = state["spatial"]
        self.position = int(state["position"])
        self.finished = self.position >= len(self.series)
        self.flagged = int(state["flagged"])
        self.steps_done = int(state["steps"])
        self.last_score = state["last_score"]
