"""The Sweep window, driven as a user would, on the sweep tests' toy experiment (its loss is known
in closed form): trials arrive in the table and the scatter, bad input is refused in place, Stop
and closing stop the sweep, and a double click opens a trial in the main window.

Sweeps run on the engine's own local Dask cluster (1 or 2 worker processes), as the GUI does.
"""

from __future__ import annotations

import csv
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage

from tests.plugins.test_registry import write_plugin
from tests.sweep.conftest import TOY, toy_loss
from workbench.plugins.sweep import cluster
from workbench.ui import palette, theme
from workbench.ui.sweep_panel import SweepPanel
from workbench.ui.sweep_results import POINT

from .conftest import make_registry

SWEEP_WAIT = 90_000  # ms: a local cluster takes a few seconds to start on a small machine
WAIT = 5000


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep-panel-plugins")
    write_plugin(folder, "toy.py", TOY)
    return folder


@pytest.fixture
def registry(toy_dir):
    """The GUI tests' experiments plus the toy, found in a plugin folder as a user's would be."""
    reg = make_registry()
    reg.add_folder(toy_dir)
    return reg


@pytest.fixture
def panel(qtbot, registry):
    from PySide6.QtWidgets import QApplication

    theme.apply(QApplication.instance())
    widget = SweepPanel(registry)
    widget.resize(1200, 760)
    qtbot.addWidget(widget)
    widget.show()
    widget.set_experiment("toy")
    qtbot.waitUntil(lambda: widget.settings.metric_choice.count() > 0, timeout=WAIT)
    yield widget
    widget.close()


def configure(panel, tmp_path, axes: dict[str, str], steps: int = 3, seeds: int = 1, workers: int = 1):
    for name, values in axes.items():
        panel.axes.fields[name].set_values(values)
    panel.settings.steps.setValue(steps)
    panel.settings.seeds.setValue(seeds)
    panel.settings.workers.setValue(workers)
    out = tmp_path / "sweep.csv"
    panel.settings.out.setText(str(out))
    return out


def table_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def column_index(panel, header: str) -> int:
    table = panel.table
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index(header)


def column(panel, header: str) -> list[str]:
    index = column_index(panel, header)
    return [panel.table.item(row, index).text() for row in range(panel.table.rowCount())]


def scatter_pixel(panel, image: QImage, x: float, y: float) -> tuple[int, int, int]:
    """The colour drawn at data point (x, y) of the scatter, in a grab of the scatter widget."""
    scatter = panel.scatter
    scene = scatter.plot.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    point = scatter.plot.viewport().mapTo(scatter, scatter.plot.mapFromScene(scene))
    colour = image.pixelColor(point)
    return colour.red(), colour.green(), colour.blue()


def test_metrics_come_from_a_local_build_and_ranges_are_prefilled_from_the_declared_range(panel, tmp_path):
    assert [panel.settings.metric_choice.itemText(i) for i in range(panel.settings.metric_choice.count())] == \
        ["loss", "steps_seen"]
    assert panel.settings.metric_choice.currentText() == "loss"
    x, mode = panel.axes.fields["x"], panel.axes.fields["mode"]
    assert not x.is_swept() and x.input.text() == "1.0" and not x.input.isEnabled()
    x.swept.setChecked(True)
    mode.swept.setChecked(True)
    assert (x.input.text(), x.hint.text()) == ("0:10", "range")
    assert (mode.input.text(), mode.hint.text()) == ("a,b", "2 values")
    out = Path(panel.settings.out.text())
    assert out.parent == tmp_path / "data" / "sweeps" and out.name.startswith("toy-") and out.suffix == ".csv"
    assert panel.start_button.isEnabled()
    assert column_index(panel, "score") == 4  # before a sweep names its metric: no blank header


def test_a_grid_sweep_shows_every_trial_in_the_table_and_the_scatter(qtbot, panel, tmp_path):
    out = configure(panel, tmp_path, {"x": "1,2.5,4", "fail_at": "0,2"}, workers=2)
    logged = []
    panel.sigLog.connect(lambda message, level, details: logged.append((level, message)))
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.sweep is not None and not panel.running, timeout=SWEEP_WAIT)
    assert panel.sweep.status == "finished" and panel.reason.isHidden()
    assert panel.table.rowCount() == 6 and panel.progress.value() == 6 == panel.progress.maximum()
    assert panel.status.text() == "finished: 6 of 6 trials (3 ok, 3 failed, 0 lost)"
    for row in range(6):
        result = panel.table.result_at(row)
        p = result.spec.param_dict
        if p["fail_at"] == 2:
            assert result.status == "failed"
            status = panel.table.item(row, 1)
            assert "toy fails at step 2" in status.toolTip()
            assert status.foreground().color() == QColor(theme.ERROR_COLOUR)
        else:
            assert result.metrics["loss"] == toy_loss(p["x"])
    assert sorted(zip(column(panel, "x"), column(panel, "fail_at"), column(panel, "loss"))) == [
        ("1.0", "0", "5"), ("1.0", "2", ""), ("2.5", "0", "1.25"), ("2.5", "2", ""), ("4.0", "0", "2"),
        ("4.0", "2", "")]
    assert len(table_rows(out)) == 6
    assert panel.best.text() == "Best: loss = 1.25 over 1 seed — x=2.5 fail_at=0"
    assert panel.best_trial.spec.param_dict["x"] == 2.5
    assert ("info", "sweep finished: 6 of 6 trials (3 ok, 3 failed, 0 lost)") in logged
    # the scatter: one point per scored trial, in the point colour, the best one ringed
    scatter = panel.scatter
    assert scatter.x_choice.currentText() == "x"
    assert sorted(zip(*scatter.points.getData())) == [(1.0, 5.0), (2.5, 1.25), (4.0, 2.0)]
    assert scatter.readout.text() == "loss: 3 scored trials, 3 without a score (see the table); ringed: the best"
    path = tmp_path / "scatter.png"
    assert scatter.grab().save(str(path), "PNG")
    image = QImage(str(path))
    for x, y in [(1.0, 5.0), (2.5, 1.25), (4.0, 2.0)]:
        assert scatter_pixel(panel, image, x, y) == palette.rgb(POINT)
    ring = scatter.best_ring.getData()
    assert list(ring[0]) == [2.5] and list(ring[1]) == [1.25]
    # sorting by the score puts the best first and the unscored last
    panel.table.sortByColumn(column_index(panel, "loss"), Qt.SortOrder.AscendingOrder)
    assert column(panel, "loss") == ["1.25", "2", "5", "", "", ""]


def test_an_invalid_range_is_refused_in_place(qtbot, panel):
    x = panel.axes.fields["x"]
    x.set_values("5:1")
    assert x.error == "--param x: a range needs low < high (got 5 >= 1)"
    assert x.reason.isVisibleTo(panel) and x.reason.text() == x.error
    assert x.input.property("invalid") is True
    assert not panel.start_button.isEnabled() and panel.start_button.toolTip() == x.error
    x.set_values("0:20")
    assert x.error == "x: must be between 0 and 10 (got 20)"
    panel.start()  # refused, never prepared
    assert panel.sweep is None and not panel.busy and panel.reason.text() == x.error
    x.set_values("0:10:log")
    assert x.error == "--param x: a log range needs low > 0 (got 0)"
    x.set_values("0.5:10:log")
    assert x.error == "" and x.hint.text() == "log range" and not x.reason.isVisibleTo(panel)
    x.swept.setChecked(False)
    assert x.input.text() == "1.0" and not panel.start_button.isEnabled()
    assert panel.start_button.toolTip() == "tick at least one parameter to sweep"
    x.swept.setChecked(True)
    assert x.input.text() == "0.5:10:log" and panel.start_button.isEnabled()


def test_an_unknown_metric_is_refused_in_place(qtbot, panel, tmp_path):
    configure(panel, tmp_path, {"x": "1,2"})
    panel.settings.metric_choice.setCurrentText("accuracy")
    panel.start_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT)
    assert panel.sweep is None and panel.status.text() == "not started"
    assert panel.reason.text() == "unknown metric 'accuracy'; metrics of toy: loss, steps_seen"
    assert panel.reason.isVisibleTo(panel) and panel.start_button.isEnabled()


def test_a_scheduler_that_cannot_be_reached_is_reported(qtbot, panel, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    configure(panel, tmp_path, {"x": "1,2"})
    panel.settings.scheduler.setText(address)
    assert not panel.settings.workers.isEnabled()
    logged = []
    panel.sigLog.connect(lambda message, level, details: logged.append((level, message)))
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.sweep is not None and not panel.running, timeout=30_000)
    assert panel.reason.text().startswith(f"cannot reach the Dask scheduler at {address} (")
    assert panel.status.text() == "failed after 0 of 2 trials (0 ok, 0 failed, 0 lost)"
    assert [m for level, m in logged if level == "error"] == [f"sweep failed: {panel.reason.text()}"]
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def test_stop_keeps_the_finished_trials_and_start_runs_the_rest(qtbot, panel, tmp_path):
    out = configure(panel, tmp_path, {"x": "1,2,3,4,5,6,7,8", "step_seconds": "0.15"})
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() >= 1, timeout=SWEEP_WAIT)
    assert panel.stop_button.isEnabled() and not panel.start_button.isEnabled()
    assert not panel.axes.isEnabled()  # the setup is locked while the sweep runs
    panel.stop_button.click()
    assert not panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.running, timeout=30_000)
    kept = panel.table.rowCount()
    assert panel.sweep.status == "stopped" and 1 <= kept < 8
    assert panel.status.text().startswith(f"stopped: {kept} of 8 trials")
    assert panel.status.text().endswith("; Start runs the rest")
    assert len(table_rows(out)) == kept and panel.progress.value() == kept
    assert panel.start_button.isEnabled() and panel.axes.isEnabled()
    assert panel.settings.out.text() == str(out)
    first = {r.spec.key for r in panel.results}
    panel.start_button.click()  # the same table: the finished trials are skipped
    qtbot.waitUntil(lambda: panel.sweep.status == "finished" and not panel.running, timeout=SWEEP_WAIT)
    assert panel.table.rowCount() == 8 == len(table_rows(out))
    assert {r.spec.key for r in panel.results[:kept]} == first
    assert sorted(r.spec.param_dict["x"] for r in panel.results) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert panel.best.text() == "Best: loss = 1 over 1 seed — x=3.0 step_seconds=0.15"


def test_closing_the_window_stops_a_running_sweep(qtbot, panel, tmp_path):
    configure(panel, tmp_path, {"x": "1,2,3,4,5,6,7,8", "step_seconds": "0.15"})
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() >= 1, timeout=SWEEP_WAIT)
    sweep = panel.sweep
    panel.close()
    assert sweep.wait(0) and sweep.status == "stopped" and sweep.error is None
    assert not panel.running and panel.table.rowCount() == len(sweep.results) < 8


def test_sweep_menu_and_double_click_open_a_trial_in_the_main_window(qtbot, window, tmp_path):
    window.open_experiment("toy")
    qtbot.waitUntil(lambda: window.built.experiment == "toy", timeout=WAIT)
    window.panel.params.set_value("n", "2")  # held fixed by the sweep: unticked rows keep the editor's values
    window.sweep_action.trigger()
    panel = window.sweep_window
    assert panel.isVisible() and panel.windowTitle() == "Sweep — toy"
    assert panel.axes.fields["n"].input.text() == "2" and panel.axes.fields["n"].hint.text() == "fixed"
    qtbot.waitUntil(lambda: panel.settings.metric_choice.count() > 0, timeout=WAIT)
    configure(panel, tmp_path, {"x": "1,4"}, steps=2, seeds=2)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.sweep is not None and not panel.running, timeout=SWEEP_WAIT)
    assert panel.table.rowCount() == 4
    assert {r.spec.param_dict["n"] for r in panel.results} == {2}
    assert {r.metrics["loss"] for r in panel.results} == {toy_loss(x, 2, s) for x in (1, 4) for s in (0, 1)}
    row = next(r for r in range(4) if panel.table.result_at(r).spec.param_dict["x"] == 4.0
               and panel.table.result_at(r).spec.seed == 1)
    generation = window.built.generation
    table = panel.table
    cell = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double click's first press
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.waitUntil(lambda: window.built.generation > generation, timeout=WAIT)
    editor = window.panel.params
    assert editor.fields["x"].input.text() == "4" and editor.fields["n"].input.text() == "2"
    assert window.panel.seed.value() == 1
    assert window.built.params["x"] == 4.0 and window.built.params["n"] == 2 and window.built.seed == 1
    assert "opened a sweep trial of toy, seed 1" in window.log.text()
    assert "sweep finished: 4 of 4 trials" in window.log.text()
    panel.open_best_button.click()  # x=4 is nearer 3 than x=1: the best, seed 0
    qtbot.waitUntil(lambda: window.built.seed == 0, timeout=WAIT)
    assert window.built.params["x"] == 4.0


def test_settings_become_the_sweep_spec(panel):
    settings = panel.settings
    assert not settings.trials.isEnabled() and settings.grid_points.isEnabled()
    fields = settings.spec_fields()
    assert (fields["search"], fields["trials"], fields["steps"], fields["seeds"]) == ("grid", None, None, 1)
    assert settings.where() == (None, None)  # a local cluster of one worker per core
    settings.search.setCurrentText("halving")
    settings.trials.setValue(27)
    settings.steps.setValue(300)
    settings.goal.setCurrentText("maximize")
    settings.workers.setValue(2)
    assert settings.trials.isEnabled() and not settings.grid_points.isEnabled()
    fields = settings.spec_fields()
    assert (fields["search"], fields["trials"], fields["steps"], fields["minimize"]) == ("halving", 27, 300, False)
    assert settings.where() == (None, 2)
    settings.scheduler.setText(" tcp://10.0.0.1:8786 ")
    assert settings.where() == ("tcp://10.0.0.1:8786", None)
    settings.out.setText("")
    assert settings.spec_fields()["out"] is None  # results in memory only


def test_the_scatter_shows_choices_as_categories_and_log_ranges_on_a_log_axis(qtbot):
    from workbench.plugins.params import Param
    from workbench.plugins.sweep import TrialResult, TrialSpec
    from workbench.ui.sweep_results import TrialScatter

    scatter = TrialScatter()
    qtbot.addWidget(scatter)
    params = [Param("rate", "float", 0.1, low=0.001, high=1.0), Param("mode", "choice", "a", choices=("a", "b"))]
    scatter.reset(params, {"rate"}, "loss")
    results = [TrialResult(TrialSpec((("rate", rate), ("mode", mode)), 0, 10), "ok", {"loss": loss})
               for rate, mode, loss in [(0.001, "b", 3.0), (0.01, "a", 2.0), (0.1, "b", 1.0)]]
    results.append(TrialResult(TrialSpec((("rate", 1.0), ("mode", "a")), 0, 10), "failed", error="boom"))
    scatter.show_results(results, results[2].spec.config_key)
    axis = scatter.plot.getAxis("bottom")
    assert axis.logMode and axis.labelText == "rate"
    assert list(scatter.points.xData) == [0.001, 0.01, 0.1] and list(scatter.points.yData) == [3.0, 2.0, 1.0]
    assert list(scatter.best_ring.xData) == [0.1]
    assert scatter.readout.text() == "loss: 3 scored trials, 1 without a score (see the table); ringed: the best"
    scatter.x_choice.setCurrentText("mode")
    assert not axis.logMode and axis.labelText == "mode"
    assert list(scatter.points.xData) == [1.0, 0.0, 1.0]  # the choices a, b at 0, 1
