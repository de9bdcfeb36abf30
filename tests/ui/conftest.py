"""Fixtures for GUI tests: a test experiment that emits every stream kind, and the real window.

Qt runs offscreen; layouts, recordings and user plugins go to temporary folders, never to the
user's real config folder.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests.counter_plugin import Counter  # noqa: E402
from workbench.engine.htm.sdr import SDR  # noqa: E402
from workbench.plugins.api import Experiment, View  # noqa: E402
from workbench.plugins.params import Param  # noqa: E402
from workbench.plugins.registry import PluginFailure, Registry  # noqa: E402
from workbench.session.frames import Stream, StreamKind  # noqa: E402

INPUT = 64          # encoder bits, an 8 x 8 grid
COLUMNS = 32
CPC = 4             # cells per column
EDGES = tuple(float(e) for e in np.linspace(0.0, 1.0, 11))


class Everything(Experiment):
    """Deterministic streams of every kind, so tests know exactly which bits, columns and cells
    are lit at each step:

    step t (1-based): encoder bits {t % 64, (t + 1) % 64}; active columns {t % 32, (t + 1) % 32};
    predicted columns {(t + 1) % 32, (t + 2) % 32} -> column t % 32 bursts, column (t + 1) % 32
    is correctly predicted, column (t + 2) % 32 is predicted but inactive. Active cells: every
    cell of the bursting column plus cell 0 of the predicted one; the winner is that cell 0 and
    cell 1 of the bursting column; predictive: cell 2 of column (t + 2) % 32.
    """

    name = "everything"
    title = "Everything (test)"
    description = "Emits every stream kind; for the GUI tests."
    params = (
        Param("gain", "float", 1.0, "multiplies the curves", low=0.0, high=10.0),
        Param("period", "int", 20, "steps per sine period", low=2, high=1000),
        Param("fail_at", "int", 0, "raise at this step (0 = never)", low=0),
        Param("mode", "choice", "a", "a choice", choices=("a", "b")),
        Param("noisy", "bool", False, "a flag"),
    )

    def build(self, ctx):
        self.rng = np.random.default_rng(ctx.seed)
        self.t = 0

    def streams(self):
        cells = (COLUMNS * CPC,)
        return [
            Stream("encoding", StreamKind.SDR, "Encoder output", shape=(8, 8)),
            Stream("active", StreamKind.SDR, "Active columns", shape=(COLUMNS,)),
            Stream("predicted", StreamKind.SDR, "Predicted columns", shape=(COLUMNS,)),
            Stream("cells_active", StreamKind.SDR, "Active cells", shape=cells, cells_per_column=CPC),
            Stream("cells_predictive", StreamKind.SDR, "Predictive cells", shape=cells, cells_per_column=CPC),
            Stream("cells_winner", StreamKind.SDR, "Winner cells", shape=cells, cells_per_column=CPC),
            Stream("anomaly", StreamKind.SCALAR, "Anomaly", group="anomaly"),
            Stream("likelihood", StreamKind.SCALAR, "Likelihood", group="anomaly"),
            Stream("value", StreamKind.SCALAR, "Value", group="input"),
            Stream("digit", StreamKind.IMAGE, "Digit"),
            Stream("perms", StreamKind.HISTOGRAM, "Permanences", edges=EDGES),
            Stream("duty", StreamKind.VECTOR, "Duty cycles"),
            Stream("symbol", StreamKind.TEXT, "Symbol"),
        ]

    def views(self):
        return [
            View("sdr", ["encoding"], "Encoder output"),
            View("columns", {"active": "active", "predicted": "predicted", "input": "encoding"}, "Columns",
                 inspect="sp"),
            View("cells", {"active": "cells_active", "predictive": "cells_predictive",
                           "winner": "cells_winner"}, "Cells", inspect="tm"),
            View("curves", ["anomaly", "likelihood"], "Anomaly"),
            View("curves", ["value"], "Input"),
            View("image", ["digit"], "Digit"),
            View("histogram", ["perms"], "Permanences"),
            View("vector", ["duty"], "Duty cycles"),
            View("text", ["symbol"], "Symbol"),
        ]

    def step(self):
        self.t += 1
        t = self.t
        if t == self.p["fail_at"]:
            raise RuntimeError(f"planned failure at step {t}")
        cells = (COLUMNS * CPC,)
        burst, good, false = t % COLUMNS, (t + 1) % COLUMNS, (t + 2) % COLUMNS
        active_cells = [burst * CPC + k for k in range(CPC)] + [good * CPC]
        digit = np.zeros((8, 8), dtype=np.uint8)
        digit[t % 8, :] = 255
        return self.frame(
            encoding=SDR.from_indices((8, 8), [t % INPUT, (t + 1) % INPUT]),
            active=SDR.from_indices(COLUMNS, [burst, good]),
            predicted=SDR.from_indices(COLUMNS, [good, false]),
            cells_active=SDR.from_indices(cells, active_cells),
            cells_predictive=SDR.from_indices(cells, [false * CPC + 2]),
            cells_winner=SDR.from_indices(cells, [good * CPC, burst * CPC + 1]),
            anomaly=0.5 * self.p["gain"],
            likelihood=math.nan if t < 3 else 0.25,
            value=self.p["gain"] * math.sin(2 * math.pi * t / self.p["period"]),
            digit=digit,
            perms=np.arange(10, dtype=np.float64) + t,
            duty=np.linspace(0, 1, COLUMNS) * (t % 5),
            symbol="ABCD"[t % 4],
        )

    def inspect(self, layer, index):
        if layer == "sp":
            potential = np.arange(0, INPUT, 2)  # every even input bit
            perms = np.linspace(0.0, 1.0, potential.size)
            return {"kind": "column", "column": index, "input_shape": (8, 8), "potential": potential,
                    "permanences": perms, "connected": potential[perms >= 0.5], "threshold": 0.5}
        if layer == "tm":
            return {"kind": "cell", "cell": index, "column": index // CPC, "cells_per_column": CPC,
                    "segments": [(0, [(1, 0.9), (2, 0.3)]), (1, [(5, 0.6)])], "threshold": 0.5}
        return {}

    def state_dict(self):
        return {"t": self.t, "steps": self.steps_done}

    def load_state_dict(self, state):
        self.t = state["t"]
        self.steps_done = state["steps"]


def make_registry() -> Registry:
    reg = Registry()
    reg.add_class(Everything, "tests.ui.conftest")
    reg.add_class(Counter, "tests.ui.conftest")
    reg.failures.append(PluginFailure("file /plugins/broken.py", "import", "SyntaxError: invalid syntax",
                                      "Traceback (most recent call last):\n  ...\nSyntaxError: invalid syntax"))
    return reg


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    """Layouts, recordings and user plugins in a temporary folder, never the real user's."""
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "plugins"))


@pytest.fixture
def registry() -> Registry:
    return make_registry()


@pytest.fixture
def window(qtbot, registry):
    """The real main window on the test experiment, built and drawn once."""
    from workbench.ui import theme
    from workbench.ui.main_window import MainWindow
    from PySide6.QtWidgets import QApplication

    theme.apply(QApplication.instance())
    win = MainWindow(registry, backends=["numpy"])
    win.resize(1100, 720)  # smaller than the default: less to paint, faster tests
    qtbot.addWidget(win)
    win.show()
    win.open_experiment("everything")
    qtbot.waitUntil(lambda: win.built is not None and len(win.views) == 9, timeout=5000)
    yield win
    win.close()
