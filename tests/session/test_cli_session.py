"""``workbench replay`` and ``workbench info``: tables, CSV, and one-line errors for bad input."""

import csv
import io
import math
import sqlite3

import pytest

from tests.session.toy import toy_factory, toy_run
from workbench.cli import main
from workbench.session import Recorder, SessionReader, fork_session


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "toy.wbsession"
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=8) as recorder:
        frames = [run.step() for _ in range(30)]
        run.set_learning(False)
        recorder.record_event("learning", on=False)
        recorder.annotate("the input repeats", step=17)
    return path, frames


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cell(value):
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.6g}" \
        if isinstance(value, float) else str(value)


def test_replay_csv_has_every_scalar_and_text_stream(session, capsys):
    path, frames = session
    code, out, err = cli(capsys, "replay", path, "--from", 5, "--to", 12, "--csv")
    assert code == 0 and err == ""
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["step", "value", "anomaly", "symbol"]
    assert [int(r[0]) for r in rows[1:]] == list(range(5, 13))
    for row, frame in zip(rows[1:], frames[4:12]):
        assert row[1:] == [cell(frame.get(name)) for name in ("value", "anomaly", "symbol")]


def test_replay_table_defaults_to_every_step(session, capsys):
    path, frames = session
    code, out, _ = cli(capsys, "replay", path)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 31
    assert lines[0].split() == ["step", "value", "anomaly", "symbol"]
    assert lines[4].split()[:2] == ["4", cell(frames[3]["value"])]
    assert lines[-1].split()[0] == "30"


def test_info_shows_manifest_length_events_annotations(session, tmp_path, capsys):
    path, _ = session
    code, out, _ = cli(capsys, "info", path)
    assert code == 0
    assert "experiment:  toy (version 3)" in out
    assert "length:      30 steps\n" in out
    assert "  noise = 0.1" in out and "  active (sdr 8x8): Active columns" in out
    assert "after step 30: learning on=False" in out
    assert "step 17: the input repeats" in out
    fork = fork_session(path, 12, tmp_path / "fork.wbsession", toy_factory)
    fork.recorder.close()
    code, out, _ = cli(capsys, "info", tmp_path / "fork.wbsession")
    assert f"forked from: {path} at step 12" in out and "length:      12 steps" in out


@pytest.mark.parametrize("args, message", [
    (["--from", "0"], "--from must be a step between 1 and 30 (got 0)"),
    (["--to", "31"], "--to must be a step between 1 and 30 (got 31)"),
    (["--from", "9", "--to", "3"], "--from must not be after --to (got 9 > 3)"),
])
def test_replay_refuses_bad_ranges(session, capsys, args, message):
    code, out, err = cli(capsys, "replay", session[0], *args)
    assert code == 2 and out == ""
    assert err == f"workbench: error: {message}\n"


@pytest.mark.parametrize("command", ["replay", "info"])
def test_bad_files_give_one_line_errors(tmp_path, capsys, command):
    text = tmp_path / "notes.wbsession"
    text.write_text("hello")
    for path, message in ((tmp_path / "missing.wbsession", "session file not found"),
                          (text, "is not a workbench session"), (tmp_path, "is a folder")):
        code, _, err = cli(capsys, command, path)
        assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_replay_stops_with_one_line_at_a_damaged_chunk(session, tmp_path, capsys):
    damaged = tmp_path / "damaged.wbsession"
    damaged.write_bytes(session[0].read_bytes())
    with sqlite3.connect(damaged) as conn:
        conn.execute("UPDATE chunks SET payload = x'00' WHERE first_step = 17")
    conn.close()
    code, out, err = cli(capsys, "replay", damaged, "--csv")
    assert code == 2
    assert [r[0] for r in csv.reader(io.StringIO(out))][-1] == "16"  # the intact steps came out
    assert "chunk at step 17" in err and err.count("\n") == 1
    with SessionReader(damaged) as reader:
        assert reader.frame(16)["value"] == session[1][15]["value"]
