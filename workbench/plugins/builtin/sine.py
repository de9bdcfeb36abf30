"""``sine``: first contact with HTM, on htm.core's HelloSPTP workload (HTM_SPEC.md, "Reference
numbers"): a sine wave through a random distributed scalar encoder with a little noise, a
Spatial Pooler and a Temporal Memory. With the default parameters the run reproduces htm.core's
reference outputs bit for bit, so what the views show is what htm.core computes.
"""

from __future__ import annotations

import math

import numpy as np

from workbench.engine.htm.encoders import RDSE, RDSEParameters
from workbench.engine.htm.rng import CompatRNG
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind

from ._pipeline import SPTM, MovingAverage


class Sine(Experiment):
    name = "sine"
    title = "Sine wave (HelloSPTP)"
    description = ("A sine wave, encoded by an RDSE with 1 % noise, learned by a Spatial Pooler and "
                   "a Temporal Memory: watch bursting columns give way to predicted ones. The "
                   "defaults are htm.core's HelloSPTP example, reproduced bit for bit.")
    version = "1"
    default_steps = 5000
    params = (
        Param("step", "float", 0.01, "increment of x per step (radians)", low=0.0001, high=1.0),
        Param("noise", "float", 0.01, "fraction of encoder bits moved each step", low=0.0, high=0.5),
        Param("encoder_size", "int", 1000, "RDSE bits", low=100, high=16384),
        Param("encoder_sparsity", "float", 0.2, "RDSE fraction of active bits", low=0.01, high=0.5),
        Param("encoder_radius", "float", 0.03, "RDSE radius: values this far apart share no bits",
              low=0.001, high=1.0),
        Param("columns", "int", 2048, "Spatial Pooler columns", low=64, high=262144),
        Param("cells_per_column", "int", 8, "Temporal Memory cells per column", low=1, high=64),
        Param("boost_strength", "float", 0.0, "SP boosting (0 = off)", low=0.0, high=10.0),
        Param("global_inhibition", "bool", True, "SP global (true) or local inhibition"),
        Param("average_window", "int", 1000, "steps in the anomaly moving average", low=1, high=100000),
    )

    def build(self, ctx):
        p = self.p
        self.encoder = RDSE(RDSEParameters(size=p["encoder_size"], sparsity=p["encoder_sparsity"],
                                           radius=p["encoder_radius"], seed=2019))
        self.noise_rng = CompatRNG(42)
        self.model = SPTM((p["encoder_size"],),
                          {"column_shape": (p["columns"],), "boost_strength": p["boost_strength"],
                           "global_inhibition": p["global_inhibition"]},
                          {"cells_per_column": p["cells_per_column"]}, ctx.backend)
        self.x = np.float32(0)
        self.average = MovingAverage(p["average_window"])
        self.last_anomaly = math.nan
        self.last_average = math.nan

    def streams(self):
        return [Stream("value", StreamKind.SCALAR, "sin(x)", group="input"),
                *self.model.streams(),
                Stream("anomaly_average", StreamKind.SCALAR, "Anomaly moving average", group="anomaly")]

    def views(self):
        return [View("curves", ["value"], "Input"), *self.model.views(),
                View("curves", ["anomaly", "anomaly_average"], "Anomaly")]

    def step(self):
        self.x = np.float32(self.x + np.float32(self.p["step"]))
        value = np.float32(math.sin(float(self.x)))
        encoding = self.encoder.encode(float(value))
        if self.p["noise"] > 0:
            encoding = encoding.add_noise(self.p["noise"], self.noise_rng)
        values = self.model.compute(encoding, self.learning)
        self.last_anomaly = values["anomaly"]
        self.last_average = self.average.add(self.last_anomaly)
        return self.frame(value=float(value), anomaly_average=self.last_average, **values)

    def metrics(self):
        return {"anomaly": self.last_anomaly, "anomaly_average": self.last_average}

    def inspect(self, layer, index):
        return self.model.inspect(layer, index)

    def state_dict(self):
        return {"x": float(self.x), "noise_rng": self.noise_rng.state_dict(), "model": self.model.state_dict(),
                "average": self.average.state_dict(), "steps": self.steps_done,
                "last": [self.last_anomaly, self.last_average]}

    def load_state_dict(self, state):
        self.x = np.float32(state["x"])
        self.noise_rng.load_state_dict(state["noise_rng"])
        self.model.load_state_dict(state["model"])
        self.average.load_state_dict(state["average"])
        self.steps_done = int(state["steps"])
        self.last_anomaly, self.last_average = state["last"]
