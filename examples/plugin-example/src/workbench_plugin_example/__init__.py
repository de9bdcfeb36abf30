"""An example plugin: a random walk encoded by a scalar encoder, with its value and encoding shown."""

from __future__ import annotations

import numpy as np

from workbench.engine.htm.encoders import ScalarEncoder, ScalarEncoderParameters
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind


class RandomWalk(Experiment):
    """A value that wanders by a random step each tick, and the SDR that encodes it."""

    name = "random-walk"
    title = "Random walk (example plugin)"
    description = "A bounded random walk and its scalar-encoder SDR: the smallest useful plugin."
    version = "1"
    params = (
        Param("step_size", "float", 1.0, "largest change per step", low=0.01, high=10.0),
        Param("size", "int", 200, "encoder bits", low=50, high=2000),
    )

    def build(self, ctx):
        self.rng = np.random.default_rng(ctx.seed)
        self.value = 50.0
        self.encoder = ScalarEncoder(ScalarEncoderParameters(
            minimum=0.0, maximum=100.0, size=self.p["size"], active_bits=21, clip_input=True))

    def streams(self):
        return [
            Stream("value", StreamKind.SCALAR, "Value"),
            Stream("encoding", StreamKind.SDR, "Encoding", shape=(self.p["size"],)),
        ]

    def views(self):
        return [View("curves", ["value"], "Value"), View("sdr", ["encoding"], "Encoding")]

    def step(self):
        self.value = float(np.clip(self.value + self.rng.uniform(-1, 1) * self.p["step_size"], 0, 100))
        return self.frame(value=self.value, encoding=self.encoder.encode(self.value))

    def state_dict(self):
        return {"value": self.value, "rng": self.rng.bit_generator.state, "steps": self.steps_done}

    def load_state_dict(self, state):
        self.value = state["value"]
        self.rng.bit_generator.state = state["rng"]
        self.steps_done = state["steps"]
