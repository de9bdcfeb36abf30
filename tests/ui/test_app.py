"""Starting the workbench: the default experiment, the fallback when it is missing or broken,
and the same entry point the CLI's ``workbench gui`` calls."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from workbench.plugins.api import Experiment
from workbench.plugins.registry import PluginFailure
from workbench.ui import app as ui_app
from workbench.ui.main_window import MainWindow

WAIT = 8000


def _close(window: MainWindow) -> None:
    window.close()


def test_missing_default_opens_the_first_available_and_says_why(qtbot, registry):
    registry.failures.append(PluginFailure("built-in workbench.plugins.builtin.sine", "import",
                                           "ImportError: no module named x"))
    window = ui_app.create_window(experiment="sine", registry=registry)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.built is not None, timeout=WAIT)
    assert window.built.experiment == "counter"
    assert ("experiment 'sine' is not available (ImportError: no module named x); opened 'counter' instead"
            in window.log.text())
    _close(window)


def test_default_that_fails_to_build_falls_back_to_the_next(qtbot, registry):
    class Broken(Experiment):
        name = "sine"
        description = "fails to build"

        def build(self, ctx):
            raise ValueError("no data")

        def step(self):
            raise AssertionError

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    registry.add_class(Broken, "tests")
    window = ui_app.create_window(experiment="sine", registry=registry)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.built is not None, timeout=WAIT)
    assert window.built.experiment == "counter"
    assert "build failed: ValueError: no data; opening 'counter' instead" in window.log.text()
    assert window.error_box is None
    _close(window)


def test_main_opens_the_real_default_experiment_and_returns_the_exit_code(qtbot, monkeypatch):
    seen = {}
    created = []

    class Recorded(MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    def exec_until_built(app) -> int:
        window = created[-1]
        qtbot.waitUntil(lambda: window.built is not None, timeout=30000)
        seen["experiment"] = window.built.experiment
        seen["views"] = [d.windowTitle() for *_, d in window.views]
        window.close()
        window.deleteLater()
        return 3

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs its own; undo it after
    monkeypatch.setattr(ui_app, "MainWindow", Recorded)
    monkeypatch.setattr(QApplication, "exec", exec_until_built)
    assert ui_app.main(experiment="sine") == 3
    assert seen["experiment"] == "sine"
    assert {"Columns", "Cells"} <= set(seen["views"])


def test_given_a_session_the_window_opens_in_replay(qtbot, registry, tmp_path):
    from workbench.plugins.runner import Run
    from workbench.session.recorder import Recorder

    path = tmp_path / "counter.wbsession"
    run = Run(registry.get("counter"))
    run.build()
    with Recorder.create(path, run):
        for _ in range(5):
            run.step()
    window = ui_app.create_window(session=path, registry=registry)
    qtbot.addWidget(window)
    assert window.mode == "replay" and window.replay.length == 5
    assert window.shown_frame.step == 1 and window.shown_frame["total"] == 1.0
    _close(window)


def test_a_bad_session_argument_falls_back_to_the_experiment(qtbot, registry, tmp_path):
    bad = tmp_path / "bad.wbsession"
    bad.write_text("nope")
    window = ui_app.create_window(session=bad, experiment="counter", registry=registry)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.built is not None, timeout=WAIT)
    assert window.built.experiment == "counter" and "bad.wbsession" in window.log.text()
    window.error_box.close()
    _close(window)
