"""Damaged files: a recorder killed mid-write, truncation and corruption anywhere, strangers, newer
formats. The promise: the file opens with a prefix of the recorded frames, or a SessionError
says what is wrong; never another exception."""

import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.session.toy import toy_factory, toy_run
from workbench.cli import main
from workbench.session import (
    CorruptSessionError,
    NewerFormatError,
    NotASessionError,
    Recorder,
    SessionError,
    SessionReader,
    fork_session,
)
from workbench.session.compare import frame_difference

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 8

RECORD_FOREVER = f"""
import sys
from tests.session.toy import toy_factory, toy_run
from workbench.session import Recorder

run = toy_run()
run.build()
recorder = Recorder.create(sys.argv[1], run, chunk_size={CHUNK}, checkpoint_every=5)
reported = 0
while True:
    run.step()
    if recorder.writer.committed != reported:
        reported = recorder.writer.committed
        print(reported, flush=True)
"""


def toy_frames(steps):
    run = toy_run()
    run.build()
    return [run.step() for _ in range(steps)]


def assert_prefix(frames, expected, streams):
    assert len(frames) <= len(expected)
    for want, got in zip(expected, frames):
        assert frame_difference(want, got, streams) is None, f"step {want.step} came back different"


@pytest.mark.parametrize("wait_for_steps", [8, 40, 200])
def test_killed_recorder_loses_at_most_the_unfinished_chunk(tmp_path, wait_for_steps, capsys):
    path = tmp_path / "killed.wbsession"
    script = tmp_path / "record_forever.py"
    script.write_text(RECORD_FOREVER)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    committed = 0
    try:
        while committed < wait_for_steps:
            line = proc.stdout.readline()
            assert line, "the recording process ended by itself"
            committed = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-run: the writer thread is usually inside a chunk
        proc.wait()
    committed = max([committed, *(int(line) for line in proc.stdout.read().split())])
    with SessionReader(path) as reader:
        assert not reader.complete
        assert reader.length >= committed and reader.length % CHUNK == 0
        frames = list(reader)
        checkpoints = reader.checkpoint_steps
        assert checkpoints == list(range(0, 5 * len(checkpoints), 5)) and checkpoints[-1] >= reader.length - 5
    assert_prefix(frames, toy_frames(len(frames)), reader.manifest.streams)
    with SessionReader(path, annotate=True) as reader:  # still usable for teaching
        reader.add_annotation(1, "where it started")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and f"replay ends at step {len(frames)}" in out


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A small finished session with every table in use, its bytes and its frames."""
    path = tmp_path_factory.mktemp("sample") / "sample.wbsession"
    run = toy_run({"columns": 16})
    run.build()
    with Recorder.create(path, run, chunk_size=CHUNK, checkpoint_every=20) as recorder:
        frames = [run.step() for _ in range(60)]
        recorder.record_event("learning", on=True)
        recorder.annotate("a caption", {"view": "sdr"}, step=30)
    return path.read_bytes(), frames, tuple(run.streams.values())


def read_everything(path, expected, streams):
    """Open and read every part of a session; what comes back must be a prefix of ``expected``."""
    with SessionReader(path) as reader:
        assert reader.length <= len(expected)
        frames = []
        try:
            for frame in reader:
                frames.append(frame)
        finally:
            assert_prefix(frames, expected, streams)
        np.testing.assert_array_equal(reader.scalars("value"), [f["value"] for f in expected[:reader.length]])
        reader.events, reader.annotations
        for step in reader.checkpoint_steps:
            reader.checkpoint(step)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_or_corrupted_files_open_as_a_prefix_or_raise_session_error(sample, data):
    original, expected, streams = sample
    damaged = bytearray(original)
    if data.draw(st.booleans(), label="truncate"):
        del damaged[data.draw(st.integers(0, len(original) - 1), label="length"):]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="places")):
            offset = data.draw(st.integers(0, len(original) - 1), label="offset")
            noise = data.draw(st.binary(min_size=1, max_size=64), label="bytes")
            damaged[offset:offset + len(noise)] = noise
            del damaged[len(original):]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.wbsession"
        path.write_bytes(bytes(damaged))
        try:
            read_everything(path, expected, streams)
        except SessionError:
            pass


def test_undamaged_sample_reads_completely(sample, tmp_path):
    original, expected, streams = sample
    path = tmp_path / "ok.wbsession"
    path.write_bytes(original)
    read_everything(path, expected, streams)
    with SessionReader(path) as reader:
        assert reader.length == 60


def test_damage_inside_a_chunk_is_detected_not_replayed(sample, tmp_path):
    original, _, _ = sample
    path = tmp_path / "flip.wbsession"
    path.write_bytes(original)
    with sqlite3.connect(path) as conn:  # change one byte of a stored blob, as a bad disk would
        blob = bytearray(conn.execute("SELECT payload FROM chunks WHERE first_step = 9").fetchone()[0])
        blob[len(blob) // 2] ^= 0x01
        conn.execute("UPDATE chunks SET payload = ? WHERE first_step = 9", (bytes(blob),))
    conn.close()
    with SessionReader(path) as reader:
        assert reader.frame(8) is not None
        with pytest.raises(CorruptSessionError, match="chunk at step 9 .* damaged"):
            reader.frame(9)


@pytest.mark.parametrize("content, error, message", [
    (b"", NotASessionError, "not an SQLite file"),
    (b"step,value\n1,2\n", NotASessionError, "not an SQLite file"),
    (b"SQLite format 3\x00" + b"\x00" * 20, CorruptSessionError, "truncated"),
])
def test_files_that_are_not_sessions(tmp_path, content, error, message):
    path = tmp_path / "x.wbsession"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        SessionReader(path)


def test_other_sqlite_databases_folders_and_missing_files(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t(x)")
    conn.close()
    with pytest.raises(NotASessionError, match="SQLite database but not a workbench session"):
        SessionReader(other)
    with pytest.raises(NotASessionError, match="folder"):
        SessionReader(tmp_path)
    with pytest.raises(SessionError, match="not found"):
        SessionReader(tmp_path / "missing.wbsession")


def test_session_without_its_tables_is_corrupt(sample, tmp_path):
    path = tmp_path / "dropped.wbsession"
    path.write_bytes(sample[0])
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE annotations")
    conn.close()
    with pytest.raises(CorruptSessionError, match="lacks the session tables annotations"):
        SessionReader(path)


def test_newer_format_gets_a_clear_error(sample, tmp_path, capsys):
    path = tmp_path / "future.wbsession"
    data = bytearray(sample[0])
    struct.pack_into(">i", data, 60, 3)  # the header's format version (SQLite user_version)
    path.write_bytes(bytes(data))
    with pytest.raises(NewerFormatError, match="format 3, newer than this workbench reads .*format 2"):
        SessionReader(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer version of the workbench" in err

    shutil.copy(tmp_path / "future.wbsession", tmp_path / "meta.wbsession")
    path = tmp_path / "meta.wbsession"
    path.write_bytes(sample[0])
    with sqlite3.connect(path) as conn:  # a header that says 2 but metadata from a newer writer
        from workbench.session.store import put_meta
        put_meta(conn, "format_version", "7")
    conn.close()
    with pytest.raises(NewerFormatError, match="format 7"):
        SessionReader(path)


def test_writer_thread_failure_reaches_the_recording_thread(tmp_path):
    run = toy_run()
    run.build()
    recorder = Recorder.create(tmp_path / "fail.wbsession", run, chunk_size=2)
    recorder.writer._conn.execute("DROP TABLE chunks")  # the disk "fails" under the writer
    with pytest.raises(SessionError, match="recording to .* failed"):
        for _ in range(20):
            run.step()
            time.sleep(0.01)
    with pytest.raises(SessionError, match="failed"):
        recorder.close()
    with pytest.raises(SessionError):
        SessionReader(tmp_path / "fail.wbsession")


def test_fork_of_a_damaged_parent_fails_cleanly(sample, tmp_path):
    parent = tmp_path / "parent.wbsession"
    parent.write_bytes(sample[0])
    with sqlite3.connect(parent) as conn:
        conn.execute("UPDATE chunks SET scalars = x'00' WHERE first_step = 9")
    conn.close()
    with pytest.raises(CorruptSessionError, match="chunk at step 9"):
        fork_session(parent, 20, tmp_path / "child.wbsession", toy_factory)  # the copy meets the damage
    assert list(tmp_path.iterdir()) == [parent]
