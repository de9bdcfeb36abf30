"""Recording and reading back: every frame of every stream kind, ranges, events, annotations."""

import math

import numpy as np
import pytest

from tests.session.toy import toy_run
from workbench.engine.htm.sdr import SDR
from workbench.session import Recorder, SessionError, SessionReader, SessionWriter, StepRangeError
from workbench.session.compare import frame_difference
from workbench.session.frames import Frame, Stream, StreamKind
from workbench.session.manifest import Manifest


def record(path, steps, chunk_size=16, **kwargs):
    """Record ``steps`` steps of the toy; returns the frames the run produced."""
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=chunk_size, **kwargs):
        return [run.step() for _ in range(steps)]


def assert_same_frames(expected, actual, streams):
    assert len(expected) == len(actual)
    for want, got in zip(expected, actual):
        assert got.step == want.step
        assert set(got.values) == set(want.values), f"step {want.step}"
        assert frame_difference(want, got, streams) is None, f"step {want.step}"
        for name, value in want.values.items():  # same types and dtypes, not just equal values
            assert type(got.values[name]) is type(value)
            if isinstance(value, np.ndarray):
                assert got.values[name].dtype == value.dtype and got.values[name].shape == value.shape
            if isinstance(value, SDR):
                assert got.values[name].shape == value.shape


@pytest.mark.parametrize("steps, chunk_size", [(0, 16), (1, 16), (16, 16), (101, 16), (300, 256)])
def test_every_frame_reads_back_equal(tmp_path, steps, chunk_size):
    path = tmp_path / "toy.wbsession"
    frames = record(path, steps, chunk_size)
    with SessionReader(path) as reader:
        assert reader.length == len(reader) == steps and reader.complete
        streams = reader.manifest.streams
        assert {s.kind for s in streams} >= {StreamKind.SDR, StreamKind.SCALAR, StreamKind.VECTOR,
                                             StreamKind.HISTOGRAM, StreamKind.IMAGE, StreamKind.TEXT}
        assert_same_frames(frames, list(reader), streams)
        # random access, backwards and across chunks
        for step in sorted({1, steps, steps // 2 + 1, 17, 16}, reverse=True):
            if 1 <= step <= steps:
                assert_same_frames([frames[step - 1]], [reader.frame(step)], streams)


def test_manifest_describes_the_run(tmp_path):
    run = toy_run({"columns": 100, "noise": 0.25}, seed=11)
    run.build()
    Recorder.create(tmp_path / "m.wbsession", run).close()
    with SessionReader(tmp_path / "m.wbsession") as reader:
        m = reader.manifest
        assert (m.experiment, m.experiment_version, m.seed, m.backend) == ("toy", "3", 11, "numpy")
        assert m.params == {"columns": 100, "noise": 0.25, "period": 17}
        assert m.streams == tuple(run.streams.values())
        assert m.format_version == 2 and m.parent is None and m.workbench_version


def test_scalar_range_matches_frames_with_nan_where_absent(tmp_path):
    path = tmp_path / "s.wbsession"
    frames = record(path, 90)
    with SessionReader(path) as reader:
        for name in ("value", "anomaly"):
            expected = np.array([f.values.get(name, math.nan) for f in frames])
            np.testing.assert_array_equal(reader.scalars(name), expected)
            np.testing.assert_array_equal(reader.scalars(name, 15, 49), expected[14:49])
            np.testing.assert_array_equal(reader.scalars(name, 33, 33), expected[32:33])
        assert [v is None for v in reader.values("symbol", 1, 8)] == ["symbol" not in f for f in frames[:8]]
        with pytest.raises(SessionError, match="not a scalar stream"):
            reader.scalars("symbol")
        with pytest.raises(SessionError, match="no stream 'nope'"):
            reader.values("nope")


def test_steps_outside_the_recording_are_refused(tmp_path):
    path = tmp_path / "r.wbsession"
    record(path, 20)
    with SessionReader(path) as reader:
        for step in (0, 21, -1):
            with pytest.raises(StepRangeError, match=r"steps 1\.\.20"):
                reader.frame(step)
        with pytest.raises(IndexError):
            reader.scalars("value", 5, 21)


def test_events_and_checkpoints_are_logged(tmp_path):
    path = tmp_path / "e.wbsession"
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=8, checkpoint_every=10) as recorder:
        for _ in range(25):
            run.step()
        run.set_learning(False)
        recorder.record_event("learning", on=False)
        for _ in range(3):
            run.step()
        run.experiment.p["noise"] = 0.5
        recorder.record_event("param", name="noise", value=0.5)
        run.build()
        recorder.record_event("reset")
        run.step()
    with SessionReader(path) as reader:
        assert [(e.step, e.kind, e.data) for e in reader.events] == [
            (25, "learning", {"on": False}), (28, "param", {"name": "noise", "value": 0.5}), (28, "reset", {})]
        assert reader.checkpoint_steps == [0, 10, 20, 25, 28]
        assert reader.checkpoint(27).learning is False and reader.checkpoint(27).step == 25
        reset = reader.checkpoint(28)
        assert reset.reason == "reset" and reset.steps_done == 0 and reset.learning is True
        assert reset.params["noise"] == 0.1  # the rebuilt run took its parameters from run.params
        assert reader.frame(29).step == 29


def test_annotations_are_added_edited_deleted_and_saved(tmp_path):
    path = tmp_path / "a.wbsession"
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=8) as recorder:
        for _ in range(30):
            run.step()
        recorder.annotate("while recording", step=5)
    with SessionReader(path) as reader:
        with pytest.raises(SessionError, match="annotate=True"):
            reader.add_annotation(3, "no")
    with SessionReader(path, annotate=True) as reader:
        first = reader.add_annotation(20, "bursting stops", {"view": "columns", "zoom": 2.5})
        second = reader.add_annotation(3, "first input")
        reader.edit_annotation(first.id, caption="columns are predicted now")
        reader.edit_annotation(second.id, step=4, view={"layout": "cells"})
        with pytest.raises(StepRangeError):
            reader.add_annotation(31, "after the end")
        with pytest.raises(SessionError, match="no annotation with id 999"):
            reader.delete_annotation(999)
    with SessionReader(path, annotate=True) as reader:
        notes = reader.annotations
        assert [(a.step, a.caption, a.view) for a in notes] == [
            (4, "first input", {"layout": "cells"}), (5, "while recording", None),
            (20, "columns are predicted now", {"view": "columns", "zoom": 2.5})]
        reader.delete_annotation(notes[1].id)
        reader.edit_annotation(notes[2].id, view=None)
    with SessionReader(path) as reader:
        assert [(a.step, a.view) for a in reader.annotations] == [(4, {"layout": "cells"}), (20, None)]


def test_recorded_arrays_are_copied_when_appended(tmp_path):
    """A frame's array may be a buffer the experiment reuses; the recording must keep the value."""
    stream = Stream("v", StreamKind.VECTOR)
    manifest = Manifest("buffer", "1", {}, 0, "numpy", (stream,), chunk_size=4)
    buffer = np.zeros(3)
    with SessionWriter(tmp_path / "w.wbsession", manifest) as writer:
        for i in range(6):
            buffer[:] = i
            writer.append(Frame(i + 1, {"v": buffer}))
    with SessionReader(tmp_path / "w.wbsession") as reader:
        assert [f["v"].tolist() for f in reader] == [[i] * 3 for i in range(6)]
        assert not reader.frame(1)["v"].flags.writeable


def test_varying_shapes_and_dtypes_round_trip(tmp_path):
    streams = (Stream("img", StreamKind.IMAGE), Stream("bits", StreamKind.SDR, shape=(6,)))
    manifest = Manifest("mixed", "1", {}, 0, "numpy", streams, chunk_size=8)
    values = [np.zeros((2, 3), np.uint8), np.ones((4, 4, 3), np.float32), np.arange(6, dtype=">i4").reshape(2, 3)]
    sdrs = [SDR.from_sparse((6,), [0, 5]), SDR.from_sparse((2, 3), [1, 2, 3]), SDR(6)]
    with SessionWriter(tmp_path / "x.wbsession", manifest) as writer:
        for i in range(3):
            writer.append(Frame(i + 1, {"img": values[i], "bits": sdrs[i]}))
    with SessionReader(tmp_path / "x.wbsession") as reader:
        for i, frame in enumerate(reader):
            assert frame["img"].dtype.str == values[i].dtype.str
            np.testing.assert_array_equal(frame["img"], values[i])
            assert frame["bits"] == sdrs[i]


def test_recording_over_a_non_session_file_is_refused(tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("do not overwrite")
    run = toy_run()
    with pytest.raises(SessionError, match="not a workbench session"):
        Recorder.create(precious, run)
    assert precious.read_text() == "do not overwrite"
    with pytest.raises(SessionError, match="folder .*missing does not exist"):
        Recorder.create(tmp_path / "missing" / "x.wbsession", run)
    record(tmp_path / "again.wbsession", 5)
    record(tmp_path / "again.wbsession", 3)  # an older session is simply replaced
    with SessionReader(tmp_path / "again.wbsession") as reader:
        assert reader.length == 3
