"""Replay in the real window: open a recorded session, scrub, play, annotate, fork, record, save."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog

from workbench.plugins.runner import Run
from workbench.session.reader import SessionReader
from workbench.session.recorder import Recorder

WAIT = 8000


@pytest.fixture
def session(tmp_path, registry):
    """60 recorded steps of the test experiment, with one annotation at step 10."""
    path = tmp_path / "everything.wbsession"
    run = Run(registry.get("everything"), {"gain": 2.0})
    run.build()
    recorder = Recorder.create(path, run, checkpoint_every=20)
    for _ in range(60):
        run.step()
    recorder.annotate("first caption", step=10)
    recorder.close()
    return path


def _answer(monkeypatch, text):
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (text, True)))


def test_open_scrub_and_step_through_a_session(qtbot, window, session, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(session), "")))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.mode == "replay", timeout=WAIT)
    assert len(window.views) == 9
    assert window.shown_frame.step == 1
    assert (window.timeline.slider.minimum(), window.timeline.slider.maximum()) == (1, 60)
    window.timeline.slider.setValue(30)
    assert window.shown_frame.step == 30 and window.shown_frame["anomaly"] == 1.0
    assert window.transport.counter.text() == "step 30 / 60"
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.shown_frame.step == 29
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.shown_frame.step == 30
    assert window.timeline.caption.text() == "step 10: first caption"
    window.show_step(5)
    assert window.timeline.caption.text() == ""
    curves = window.view_by_title("Anomaly")
    assert curves.cursor_line.isVisible() and curves.cursor_line.value() == 5


def test_the_editor_shows_the_recorded_run_and_apply_runs_it_again_live(qtbot, window, session):
    assert window.panel.params.values()["gain"] != 2.0  # the live run's own value
    assert window.open_session(session)
    assert window.panel.current_name() == "everything"
    assert window.panel.params.values()["gain"] == 2.0  # as recorded
    with SessionReader(session) as reader:
        assert window.panel.seed.value() == reader.manifest.seed
    assert window.panel.backend.currentText() == "numpy"
    window.panel.apply_button.click()
    qtbot.waitUntil(lambda: window.mode == "live" and window.built is not None, timeout=WAIT)
    assert window.built.params["gain"] == 2.0


def test_play_replays_to_the_end(qtbot, window, session):
    assert window.open_session(session)
    window.transport.set_speed(0.0)
    window.transport.run.setChecked(True)
    qtbot.waitUntil(lambda: window.cursor == 60, timeout=WAIT)
    qtbot.waitUntil(lambda: not window.transport.run.isChecked(), timeout=WAIT)


def test_add_edit_delete_annotations_saved_into_the_session(qtbot, window, session, monkeypatch):
    assert window.open_session(session)
    assert window.timeline.slider.marks == [10]
    window.show_step(42)
    _answer(monkeypatch, "bursting stops here")
    window.annotations.add_button.click()
    assert window.timeline.slider.marks == [10, 42]
    assert window.timeline.caption.text() == "step 42: bursting stops here"
    with SessionReader(session) as reader:
        assert [(a.step, a.caption) for a in reader.annotations] == [(10, "first caption"),
                                                                     (42, "bursting stops here")]
    window.annotations.list.setCurrentRow(1)
    _answer(monkeypatch, "predictions take over")
    window.annotations.edit_button.click()
    window.annotations.list.setCurrentRow(0)
    window.annotations.delete_button.click()
    with SessionReader(session) as reader:
        assert [(a.step, a.caption) for a in reader.annotations] == [(42, "predictions take over")]
    assert window.timeline.slider.marks == [42]
    window.annotations.list.setCurrentRow(0)
    window.annotations._activated(window.annotations.list.item(0))
    assert window.cursor == 42


def test_continue_from_here_forks_a_live_run(qtbot, window, session):
    assert window.open_session(session)
    window.show_step(30)
    window.fork_action.trigger()
    qtbot.waitUntil(lambda: window.mode == "live" and window.built is not None, timeout=WAIT)
    assert window.built.step == 30 and window.built.params["gain"] == 2.0
    qtbot.waitUntil(lambda: window.recording is not None, timeout=WAIT)
    window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.shown_frame is not None and window.shown_frame.step == 31, timeout=WAIT)
    assert "continuing everything.wbsession from step 30" in window.log.text()
    fork_path = window.recording
    window.transport.record.setChecked(False)
    qtbot.waitUntil(lambda: window.recording is None, timeout=WAIT)
    with SessionReader(fork_path) as reader:
        assert len(reader) == 31 and reader.manifest.parent.step == 30


def test_record_a_live_run_and_save_it(qtbot, window, tmp_path, monkeypatch):
    window.transport.record.setChecked(True)
    qtbot.waitUntil(lambda: window.recording is not None, timeout=WAIT)
    assert Path(window.recording).parent == tmp_path / "data" / "recordings"
    for _ in range(12):
        window.transport.step.trigger()
    qtbot.waitUntil(lambda: window.worker.worker.published().step == 12, timeout=WAIT)
    target = tmp_path / "saved.wbsession"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: target.exists() and window.recording is None, timeout=WAIT)
    with SessionReader(target) as reader:
        assert len(reader) == 12 and reader.manifest.experiment == "everything"
    assert window.open_session(target)
    assert window.mode == "replay" and window.shown_frame.step == 1


def test_inspector_in_replay_explains_it_needs_a_live_model(qtbot, window, session):
    assert window.open_session(session)
    window.view_by_title("Columns").sigInspect.emit("sp", 2)
    assert "Continue from here" in window.inspector.header.text()
