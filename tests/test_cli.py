"""The command line: every error path prints one clear line and exits 2, never a traceback."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.counter_plugin import counter_source
from tests.plugins.test_registry import write_plugin
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]

SLOW = '''
import time
from workbench.plugins.api import Experiment
from workbench.session.frames import Stream, StreamKind


class Slow(Experiment):
    name = "slow"

    def build(self, ctx):
        self.n = 0

    def streams(self):
        return [Stream("n", StreamKind.SCALAR)]

    def step(self):
        time.sleep(0.01)
        self.n += 1
        return self.frame(n=self.n)

    def state_dict(self):
        return {"n": self.n}

    def load_state_dict(self, state):
        self.n = state["n"]
'''


@pytest.fixture(autouse=True)
def _no_user_plugins(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "no-user-plugins"))


@pytest.fixture
def plugin_dir(tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "counter.py", counter_source("counter"))
    return folder


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_run_prints_summary_and_writes_csv(capsys, plugin_dir, tmp_path):
    out_csv = tmp_path / "m.csv"
    code, out, err = run_cli(capsys, "run", "counter", "--steps", "5", "--set", "step_size=2",
                             "--plugins", str(plugin_dir), "--csv", str(out_csv))
    assert code == 0
    assert "counter: 5 steps" in out and "on numpy, seed 0" in out
    assert "5/5 steps" in err
    rows = list(csv.reader(out_csv.open()))
    assert rows[0] == ["step", "total"]
    assert [r[1] for r in rows[1:]] == ["2", "4", "6", "8", "10"]


@pytest.mark.parametrize("argv, message", [
    (["run", "nope"], "unknown experiment 'nope'; available:"),
    (["run", "counter", "--set", "bogus=1"], "unknown parameter 'bogus'; valid parameters: step_size"),
    (["run", "counter", "--set", "step_size=11"], "step_size: must be between 1 and 10 (got 11)"),
    (["run", "counter", "--set", "step_size=abc"], "step_size: expected a whole number"),
    (["run", "counter", "--set", "step_size"], "--set expects name=value"),
    (["run", "counter", "--steps", "-3"], "--steps must be >= 0"),
    (["run", "counter", "--backend", "cuda"], "unknown backend 'cuda'; valid names: numpy"),
    (["gui", "missing.wbsession"], "session file not found: missing.wbsession"),
])
def test_bad_input_exits_2_with_one_clear_line(capsys, plugin_dir, argv, message):
    code, out, err = run_cli(capsys, *argv, *(["--plugins", str(plugin_dir)] if argv[0] == "run" else []))
    assert code == 2
    assert message in err
    assert err.startswith("workbench: error: ")


def test_csv_to_unwritable_place_is_a_usage_error(capsys, plugin_dir, tmp_path):
    code, _, err = run_cli(capsys, "run", "counter", "--plugins", str(plugin_dir), "--steps", "1",
                           "--csv", str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2 and "cannot write" in err


def test_devices_lists_numpy_and_opencl(capsys):
    code, out, _ = run_cli(capsys, "devices")
    assert code == 0
    assert out.startswith("numpy")
    assert "opencl" in out


def test_list_shows_parameters(capsys, plugin_dir):
    code, out, _ = run_cli(capsys, "list", "--plugins", str(plugin_dir))
    assert code == 0
    assert "counter: Counter" in out
    assert "--set step_size (int [1 .. 10], default 1): added per step" in out


def test_ctrl_c_stops_cleanly(tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "slow.py", SLOW)
    env = dict(os.environ, PYTHONPATH=str(ROOT), WORKBENCH_USER_PLUGINS=str(tmp_path / "none"))
    out_csv = tmp_path / "slow.csv"
    # faulthandler: a run that does not stop is made to print every thread's stack (SIGABRT).
    # SIGINT at its default in the run: a shell without job control starts background jobs
    # with it ignored, and Python then leaves it ignored (no KeyboardInterrupt), as it should.
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "workbench", "run", "slow",
                             "--steps", "100000", "--plugins", str(folder), "--csv", str(out_csv)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60  # the table is flushed once a second; start-up under load is slow
    while time.time() < deadline and (not out_csv.exists() or out_csv.stat().st_size < 20):
        time.sleep(0.1)
    assert out_csv.exists() and out_csv.stat().st_size >= 20, "no CSV row reached the disk in 60 s"
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler dumps the stacks, then the run dies
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"workbench run did not stop within 60 s of Ctrl-C; its stderr (with its "
                    f"threads' stacks):\n{err}")
    assert proc.returncode == 130, err
    assert "interrupted: stopped cleanly" in err
    assert "Traceback" not in err
    assert "slow: " in out
    rows = list(csv.reader(out_csv.open()))
    assert len(rows) > 2 and rows[-1][1] == rows[-1][0]  # every written row is complete


def test_plugin_failing_mid_run_reports_its_traceback_and_exits_1(capsys, plugin_dir):
    code = main(["run", "counter", "--plugins", str(plugin_dir), "--set", "step_size=7", "--steps", "3"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" in err and "seven is unlucky" in err
    assert "workbench: error: plugin file" in err and "step failed" in err


@pytest.mark.parametrize("target", ["no/such/folder/x.wbsession", "not-a-session.txt"])
def test_record_to_a_bad_place_is_a_usage_error(capsys, plugin_dir, tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-session.txt").write_text("hello")
    code, _, err = run_cli(capsys, "run", "counter", "--plugins", str(plugin_dir), "--steps", "2",
                           "--record", target)
    assert code == 2 and err.startswith("workbench: error: ")


def test_record_then_replay_and_info(capsys, plugin_dir, tmp_path):
    session = tmp_path / "c.wbsession"
    code, out, _ = run_cli(capsys, "run", "counter", "--plugins", str(plugin_dir), "--steps", "6",
                           "--set", "step_size=2", "--record", str(session))
    assert code == 0 and f"recorded to {session}" in out
    code, out, _ = run_cli(capsys, "replay", str(session), "--from", "2", "--to", "4", "--csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split(",")[:2] == ["step", "total"] and [line.split(",")[1] for line in lines[1:]] == ["4", "6", "8"]
    code, out, _ = run_cli(capsys, "info", str(session))
    assert code == 0 and "counter" in out and "6" in out
