"""HelloSPTP end to end (HTM_SPEC.md "Reference numbers"): RDSE + add_noise + global SP
1000 -> 2048 + Temporal Memory 2048 columns x 8 cells with default parameters, learning on,
5000 steps. htm.core's run reaches raw anomaly 59/102 at step 5000 and a moving average of
the last 1000 raw anomalies (a float32 running total) of 0.373364; any TM rule read
differently from the spec moves both."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.paths import HELLO_GOLDEN
from workbench.engine.backend import opencl_problem
from workbench.engine.htm.encoders import RDSE, RDSEParameters
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.temporal_memory import TemporalMemory

WINDOW = 1000
# (backend, resident): numpy; OpenCL with the host's learning walk; OpenCL resident
TM_ENGINES = [("numpy", None)] + ([("opencl", False), ("opencl", True)]
                                  if opencl_problem() is None else [])


@pytest.fixture(scope="module")
def hello_columns() -> list[np.ndarray]:
    """The Spatial Pooler's active columns of each of the 5000 steps (its own golden output
    is checked at the last one): the TM's input, the same on every TM backend."""
    golden = json.loads(HELLO_GOLDEN.read_text())
    encoder = RDSE(RDSEParameters(size=1000, sparsity=0.2, radius=0.03, seed=2019))
    noise = CompatRNG(42)
    sp = SpatialPooler(1000, 2048, global_inhibition=True)
    x = np.float32(0.0)
    out = []
    for _ in range(golden["steps"]):
        x = np.float32(x + np.float32(0.01))
        encoding = encoder.encode(np.float32(math.sin(float(x)))).add_noise(0.01, noise)
        out.append(np.asarray(sp.compute(encoding, learn=True)).copy())
    assert out[-1].tolist() == golden["sp_global_active_columns"]
    return out


@pytest.mark.parametrize("engine", TM_ENGINES, ids=lambda e: " ".join(
    [e[0]] + (["resident"] if e[1] else [])))
def test_hello_sptp_anomaly_at_step_5000(hello_columns, engine):
    backend, resident = engine
    tm = TemporalMemory(2048, cells_per_column=8, backend=backend, resident=resident)
    window: list[np.float32] = []
    total = np.float32(0.0)
    for columns in hello_columns:
        tm.compute(columns, learn=True)
        anomaly = np.float32(tm.anomaly)
        total = np.float32(total + anomaly)
        window.append(anomaly)
        if len(window) > WINDOW:
            total = np.float32(total - window.pop(0))
    assert tm.anomaly == float(np.float32(59) / np.float32(102))
    assert round(tm.anomaly, 6) == 0.578431
    assert round(float(total / np.float32(WINDOW)), 6) == 0.373364
