"""The real main window, driven as a user would: pick, edit, step, run, pause, fail, export."""

from __future__ import annotations

import csv

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from workbench.ui.layouts import LAST, LayoutStore

WAIT = 5000


def test_opens_on_the_experiment_with_every_view_and_the_failure_listed(window):
    titles = [d.windowTitle() for *_, d in window.views]
    assert titles == ["Encoder output", "Columns", "Cells", "Anomaly", "Input", "Digit", "Permanences",
                      "Duty cycles", "Symbol"]
    assert window.panel.current_name() == "everything"
    assert [f.source for f in window.panel.failures_listed()] == ["file /plugins/broken.py"]
    assert "broken.py: import failed" in window.log.text()
    assert set(window.panel.params.fields) == {"gain", "period", "fail_at", "mode", "noisy"}


def test_step_shows_each_step(qtbot, window):
    for expected in (1, 2, 3):
        window.transport.step.trigger()
        qtbot.waitUntil(lambda: window.shown_frame is not None and window.shown_frame.step == expected,
                        timeout=WAIT)
    assert window.transport.counter.text() == "step 3"
    assert window.view_by_title("Symbol").labels["symbol"].text() == "ABCD"[3 % 4]


def test_run_then_pause(qtbot, window):
    run = window.transport.run
    assert run.text() == "Run"
    play = run.icon().cacheKey()
    run.setChecked(True)
    qtbot.waitUntil(lambda: window.running and window.worker.worker.published().step > 50, timeout=WAIT)
    assert run.text() == "Pause" and run.icon().cacheKey() != play  # the style's pause icon
    run.setChecked(False)
    qtbot.waitUntil(lambda: not window.running, timeout=WAIT)
    assert run.text() == "Run" and run.icon().cacheKey() == play
    stopped = window.worker.worker.published().step
    qtbot.wait(100)
    assert window.worker.worker.published().step == stopped
    qtbot.waitUntil(lambda: window.transport.counter.text() == f"step {stopped:,}", timeout=WAIT)
    lo, hi = window.worker.worker.frames.span()
    assert hi == stopped and hi - lo + 1 == min(stopped, 1000)


def test_keyboard_space_runs_and_pauses_right_steps(qtbot, window):
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.shown_frame is not None and window.shown_frame.step == 1, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.running, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.running, timeout=WAIT)


def test_live_timeline_scrubs_back_through_history(qtbot, window):
    for _ in range(5):
        window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.worker.worker.published().step == 5, timeout=WAIT)
    window.refresh()
    window.transport.step_back.trigger()
    window.transport.step_back.trigger()
    assert window.cursor == 3 and window.shown_frame.step == 3
    assert window.timeline.value() == 3
    window.timeline.slider.setValue(4)
    assert window.shown_frame.step == 4
    window.timeline.follow.click()
    assert window.cursor is None and window.shown_frame.step == 5


def test_invalid_parameter_is_refused_in_place_with_the_reason(qtbot, window):
    editor = window.panel.params
    editor.set_value("period", "1")
    field = editor.fields["period"]
    assert field.error == "period: must be between 2 and 1000 (got 1)"
    assert field.reason.isVisibleTo(window) and field.reason.text() == field.error
    assert not window.panel.apply_button.isEnabled()
    editor.set_value("period", "ten")
    assert "expected a whole number" in field.error
    editor.set_value("period", "10")
    assert field.error == "" and window.panel.apply_button.isEnabled()


def test_apply_rebuilds_with_the_new_parameters(qtbot, window):
    generation = window.built.generation
    window.panel.params.set_value("gain", "2.5")
    window.panel.seed.setValue(7)
    window.panel.apply_button.click()
    qtbot.waitUntil(lambda: window.built.generation > generation, timeout=WAIT)
    assert window.built.params["gain"] == 2.5 and window.built.seed == 7
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None, timeout=WAIT)
    assert window.shown_frame["anomaly"] == 1.25


def test_pick_another_experiment(qtbot, window):
    items = window.panel.browser.findItems("Counter (test)", Qt.MatchFlag.MatchExactly)
    window.panel.browser.setCurrentItem(items[0])
    qtbot.waitUntil(lambda: window.built.experiment == "counter", timeout=WAIT)
    assert [d.windowTitle() for *_, d in window.views] == ["total"]
    assert set(window.panel.params.fields) == {"step_size"}


def test_plugin_that_raises_mid_run_shows_the_error_and_the_window_stays_usable(qtbot, window):
    window.panel.params.set_value("fail_at", "30")
    window.panel.apply_button.click()
    qtbot.waitUntil(lambda: window.built.params["fail_at"] == 30, timeout=WAIT)
    window.transport.run.setChecked(True)
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=WAIT)
    assert "planned failure at step 30" in window.error_box.text()
    assert "RuntimeError" in window.error_box.detailedText()
    assert "planned failure at step 30" in window.log.text()
    qtbot.waitUntil(lambda: not window.transport.run.isChecked(), timeout=WAIT)
    window.error_box.close()
    # still usable: a fixed parameter rebuilds and runs
    window.panel.params.set_value("fail_at", "0")
    window.panel.apply_button.click()
    qtbot.waitUntil(lambda: window.built.params["fail_at"] == 0, timeout=WAIT)
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None and window.shown_frame.step == 1, timeout=WAIT)


def test_export_png_and_csv(qtbot, window, tmp_path, monkeypatch):
    for _ in range(4):
        window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.worker.worker.published().step == 4, timeout=WAIT)
    window.refresh()
    target = tmp_path / "cells.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window._fill_export_menu()
    action = next(a for a in window.export_png_menu.actions() if a.text() == "Cells")
    action.trigger()
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv_path = tmp_path / "curves.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(csv_path), "")))
    window.export_csv_action.trigger()
    rows = list(csv.reader(csv_path.open()))
    assert rows[0] == ["step", "anomaly", "likelihood", "value"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert rows[1][2] == "" and rows[3][2] == "0.25"   # NaN likelihood is an empty cell
    assert np.isclose(float(rows[2][3]), np.sin(2 * np.pi * 2 / 20))


def test_layout_presets_are_saved_per_experiment_in_the_private_config(qtbot, window, tmp_path):
    window.save_layout("mine")
    store = LayoutStore()
    assert store.root == tmp_path / "config" / "layouts"
    assert store.names("everything") == ["mine"]
    dock = window.views[0][2]
    dock.hide()
    assert window.restore_layout("mine") and dock.isVisible()
    items = window.panel.browser.findItems("Counter (test)", Qt.MatchFlag.MatchExactly)
    window.panel.browser.setCurrentItem(items[0])
    qtbot.waitUntil(lambda: window.built.experiment == "counter", timeout=WAIT)
    assert LAST in store.names("everything")


def test_opening_a_bad_session_file_reports_it(qtbot, window, tmp_path):
    bad = tmp_path / "bad.wbsession"
    bad.write_bytes(b"this is not a session")
    assert not window.open_session(bad)
    assert window.error_box is not None and "bad.wbsession" in window.error_box.text()
    assert window.mode == "live"
    window.error_box.close()
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None, timeout=WAIT)


def test_inspector_shows_a_clicked_column_and_cell(qtbot, window):
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None, timeout=WAIT)
    columns = window.view_by_title("Columns")
    columns.sigInspect.emit("sp", 3)
    qtbot.waitUntil(lambda: window.inspector.target == ("sp", 3), timeout=WAIT)
    # step 1 lights input bits 1 and 2 (odd and even); the connected inputs are 32, 34, .. 62
    assert window.inspector.header.text() == ("sp: column 3: 32 potential synapses, 16 connected "
                                              "(permanence >= 0.5); 0 connected to an active input")
    cells = window.view_by_title("Cells")
    cells.sigInspect.emit("tm", 9)
    qtbot.waitUntil(lambda: window.inspector.target == ("tm", 9), timeout=WAIT)
    assert window.inspector.segments.count() == 3
    assert "2 segments" in window.inspector.header.text()


def test_speed_limits_the_step_rate_and_learning_switches_off(qtbot, window):
    window.transport.set_speed(10.0)
    window.transport.learning.setChecked(False)
    qtbot.waitUntil(lambda: window.worker.worker.run.experiment.learning is False, timeout=WAIT)
    window.transport.run.setChecked(True)
    qtbot.waitUntil(lambda: window.worker.worker.published().step >= 3, timeout=WAIT)
    qtbot.wait(300)
    window.transport.run.setChecked(False)
    qtbot.waitUntil(lambda: not window.running, timeout=WAIT)
    # 10 steps/s: a few steps in the time it took, never a flood
    assert 3 <= window.worker.worker.published().step <= 20
    window.transport.learning.setChecked(True)
    qtbot.waitUntil(lambda: window.worker.worker.run.experiment.learning is True, timeout=WAIT)


def test_reset_starts_over(qtbot, window):
    for _ in range(3):
        window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.worker.worker.published().step == 3, timeout=WAIT)
    generation = window.built.generation
    window.transport.reset.trigger()
    qtbot.waitUntil(lambda: window.built.generation > generation, timeout=WAIT)
    assert window.worker.worker.published().step == 0
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None and window.shown_frame.step == 1, timeout=WAIT)
