"""A small deterministic experiment that emits every stream kind and has real, learning state.

A noisy sine is scalar-encoded; columns with permanences to the input bits compete (top k by
connected overlap, ties to the lower index); winners learn (Hebbian increment/decrement), and
duty cycles, a symbol memory keyed by ints, and a CompatRNG all evolve. Every step depends on
the whole state, so a checkpoint that lost or altered anything makes re-simulation diverge.
Some streams are left out of some frames, as real experiments do.
"""

from __future__ import annotations

import math

import numpy as np

from workbench.engine.htm.encoders.scalar import ScalarEncoder, ScalarEncoderParameters
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.sdr import SDR
from workbench.plugins.api import BuildContext, Experiment
from workbench.plugins.params import Param
from workbench.plugins.registry import PluginInfo
from workbench.plugins.runner import Run
from workbench.session.frames import Stream, StreamKind

HIST_EDGES = tuple(i / 10 for i in range(11))


class Toy(Experiment):
    name = "toy"
    title = "Toy"
    description = "Noisy sine, scalar encoder, competing columns with Hebbian learning."
    version = "3"
    params = (
        Param("columns", "int", 64, "competing columns", low=16, high=1024),
        Param("noise", "float", 0.1, "input noise amplitude", low=0.0, high=1.0),
        Param("period", "int", 17, "steps per sine period", low=2, high=1000),
    )

    def build(self, ctx: BuildContext) -> None:
        self.rng = CompatRNG(ctx.seed)
        self.encoder = ScalarEncoder(ScalarEncoderParameters(minimum=-2.0, maximum=2.0, size=120, active_bits=11))
        columns = self.p["columns"]
        draws = self.rng.draws(columns * self.encoder.size).astype(np.float64) / 2**32
        self.permanences = draws.astype(np.float32).reshape(columns, self.encoder.size)
        self.duty = np.zeros(columns, dtype=np.float32)
        self.phase = 0
        self.previous: SDR | None = None
        self.memory: dict[int, tuple[int, ...]] = {}
        self.peak = np.float32(0.0)

    def streams(self) -> list[Stream]:
        columns = self.p["columns"]
        side = int(math.isqrt(columns))
        return [
            Stream("input", StreamKind.SDR, "Encoder", shape=(self.encoder.size,)),
            Stream("active", StreamKind.SDR, "Active columns", shape=(side, columns // side)),
            Stream("value", StreamKind.SCALAR, "Input value", group="signal"),
            Stream("anomaly", StreamKind.SCALAR, "Anomaly"),
            Stream("duty", StreamKind.VECTOR, "Duty cycles"),
            Stream("permanences", StreamKind.HISTOGRAM, "Permanences", edges=HIST_EDGES),
            Stream("grid", StreamKind.IMAGE, "Active grid"),
            Stream("symbol", StreamKind.TEXT, "Symbol"),
        ]

    def step(self):
        p = self.p
        x = math.sin(2 * math.pi * self.phase / p["period"]) + p["noise"] * (2 * self.rng.real() - 1)
        self.phase += 1
        encoded = self.encoder.encode(x)
        connected = self.permanences[:, encoded.sparse] >= 0.5
        overlaps = connected.sum(axis=1)
        k = max(1, p["columns"] // 16)
        winners = np.sort(np.argsort(-overlaps, kind="stable")[:k])
        side = int(math.isqrt(p["columns"]))
        active = SDR.from_indices((side, p["columns"] // side), winners)
        if self.learning:
            rows = self.permanences[winners]
            on = np.zeros(self.encoder.size, dtype=bool)
            on[encoded.sparse] = True
            rows += np.where(on, np.float32(0.05), np.float32(-0.02))
            self.permanences[winners] = np.clip(rows, 0, 1)
        self.duty *= np.float32(0.9)
        self.duty[winners] += np.float32(0.1)
        self.peak = np.float32(max(self.peak, self.duty.max()))
        anomaly = math.nan if self.previous is None else 1 - self.previous.overlap(active) / k
        self.previous = active
        key = self.phase % 5
        self.memory[key] = tuple(int(w) for w in winners[:3])
        values = {
            "input": encoded,
            "active": active,
            "value": x,
            "duty": self.duty.copy(),
            "permanences": np.histogram(self.permanences, bins=HIST_EDGES)[0],
            "grid": (active.dense * 255).astype(np.uint8),
        }
        if self.steps_done % 3 != 2:
            values["anomaly"] = anomaly
        if self.steps_done % 4 == 0:
            values["symbol"] = "up" if x >= 0 else f"down {self.memory[key]}"
        return self.frame(**values)

    def state_dict(self) -> dict:
        return {
            "rng": self.rng.state_dict(),
            "permanences": self.permanences,
            "duty": self.duty,
            "phase": self.phase,
            "previous": None if self.previous is None else (self.previous.shape, self.previous.sparse),
            "memory": self.memory,
            "peak": self.peak,
        }

    def load_state_dict(self, state: dict) -> None:
        self.rng.load_state_dict(state["rng"])
        self.permanences = state["permanences"].copy()
        self.duty = state["duty"].copy()
        self.phase = state["phase"]
        previous = state["previous"]
        self.previous = None if previous is None else SDR.from_sparse(previous[0], previous[1])
        self.memory = dict(state["memory"])
        self.peak = state["peak"]


TOY_INFO = PluginInfo("toy", Toy, "tests.session.toy")


def toy_run(params: dict | None = None, backend: str = "numpy", seed: int = 7) -> Run:
    return Run(TOY_INFO, params, backend=backend, seed=seed)


def toy_factory(name: str, params: dict, backend: str, seed: int) -> Run:
    """A run factory for forks (the GUI and CLI build one from the plugin registry)."""
    assert name == "toy"
    return toy_run(params, backend, seed)
