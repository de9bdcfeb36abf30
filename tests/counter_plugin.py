"""A minimal experiment for the plugin, CLI and GUI tests: one curve, the running total.

Step size 7 makes its step raise, so that tests can watch a plugin fail mid-run. The registry
and CLI tests write this module's source into plugin folders under other names
(:func:`counter_source`); the GUI tests register the class itself.
"""

from pathlib import Path

from workbench.plugins.api import Experiment
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind


class Counter(Experiment):
    name = "counter"
    title = "Counter (test)"
    description = "Counts."
    params = (Param("step_size", "int", 1, "added per step", low=1, high=10),)

    def build(self, ctx):
        self.total = 0

    def streams(self):
        return [Stream("total", StreamKind.SCALAR, "Total")]

    def step(self):
        self.total += self.p["step_size"]
        if self.p["step_size"] == 7:
            raise RuntimeError("seven is unlucky")
        return self.frame(total=self.total)

    def state_dict(self):
        return {"total": self.total}

    def load_state_dict(self, state):
        self.total = state["total"]


def counter_source(name: str) -> str:
    """This module's source as a plugin file whose experiment is called ``name``."""
    source = Path(__file__).read_text()
    assert source.count('    name = "counter"\n') == 1
    return source.replace('    name = "counter"\n', f'    name = "{name}"\n')
