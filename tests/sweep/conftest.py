"""A tiny experiment whose score is known in closed form, so sweeps can be checked exactly.

``toy`` reports ``loss = (x - 3)^2 + n + 0.01 * seed (+ 0.5 in mode b)``: the best configuration
of any sweep over x, n and mode is the one nearest x=3, n=1, mode a. ``fail_at`` makes a step
raise, ``crash_at`` ends the worker process, ``step_seconds`` slows steps down (to kill or stop a
sweep mid-trial), ``length`` ends the data early (``finished``), ``steps_seen`` tells how many
steps ran.
"""

import logging

import pytest

from tests.plugins.test_registry import write_plugin

TOY = '''
import os
import time

from workbench.plugins.api import Experiment
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind


class Toy(Experiment):
    name = "toy"
    default_steps = 5
    params = (
        Param("x", "float", 1.0, "position", low=0.0, high=10.0),
        Param("n", "int", 1, "a whole number", low=1, high=64),
        Param("mode", "choice", "a", choices=("a", "b")),
        Param("fail_at", "int", 0, "raise at this step (0: never)", low=0, high=1000),
        Param("step_seconds", "float", 0.0, "sleep per step", low=0.0, high=2.0),
        Param("length", "int", 1000, "steps of data", low=1, high=1000),
        Param("crash_at", "int", 0, "end this process at this step, as a crash would (0: never)",
              low=0, high=1000),
    )

    def build(self, ctx):
        self.seed = ctx.seed
        self.seen = 0
        self.finished = False

    def streams(self):
        return [Stream("loss", StreamKind.SCALAR)]

    def loss(self):
        p = self.p
        return (p["x"] - 3.0) ** 2 + p["n"] + 0.01 * self.seed + (0.5 if p["mode"] == "b" else 0.0)

    def step(self):
        time.sleep(self.p["step_seconds"])
        self.seen += 1
        if self.seen == self.p["crash_at"]:
            os._exit(3)
        if self.seen == self.p["fail_at"]:
            raise RuntimeError(f"toy fails at step {self.seen}")
        self.finished = self.seen >= self.p["length"]
        return self.frame(loss=self.loss())

    def metrics(self):
        return {"loss": self.loss(), "steps_seen": float(self.seen)}

    def state_dict(self):
        return {"seen": self.seen}

    def load_state_dict(self, state):
        self.seen = state["seen"]
'''


def toy_loss(x: float, n: int = 1, seed: int = 0, mode: str = "a") -> float:
    return (x - 3.0) ** 2 + n + 0.01 * seed + (0.5 if mode == "b" else 0.0)


@pytest.fixture(scope="session")
def toy_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep-plugins")
    write_plugin(folder, "toy.py", TOY)
    return folder


@pytest.fixture(autouse=True)
def _no_user_plugins(tmp_path, monkeypatch):
    """Tests never read the real per-user plugin folder."""
    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "no-user-plugins"))


@pytest.fixture(scope="session")
def cluster():
    """A real local cluster: 2 worker processes with 1 thread each (closed however tests end)."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                         silence_logs=logging.ERROR)
    yield local
    local.close()


@pytest.fixture(scope="session")
def client(cluster):
    from distributed import Client

    with Client(cluster) as connected:
        yield connected
