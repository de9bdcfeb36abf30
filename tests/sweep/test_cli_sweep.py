"""``workbench sweep``: bad input is one clear line and exit 2 before any cluster starts; Ctrl-C
keeps the finished trials and the same command resumes."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.plugins.sweep import cluster as sweep_cluster

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("argv, message", [
    (["nope", "--param", "x=1"], "unknown experiment 'nope'; available:"),
    (["toy", "--param", "y=1,2"], "unknown parameter 'y' for toy; valid parameters: x, n, mode, fail_at"),
    (["toy", "--param", "x=1,12"], "x: must be between 0 and 10 (got 12)"),
    (["toy", "--param", "x=0.5:20:log"], "x: must be between 0 and 10 (got 20)"),
    (["toy", "--param", "x=5:1"], "--param x: a range needs low < high (got 5 >= 1)"),
    (["toy", "--param", "x=1:2:sqrt"], "--param x: malformed range '1:2:sqrt'"),
    (["toy", "--param", "x"], "--param expects name=v1,v2,... or name=low:high[:log] (got 'x')"),
    (["toy", "--param", "mode=a,c"], "mode: must be one of a, b (got 'c')"),
    (["toy", "--param", "x=1,2", "--metric", "accuracy"],
     "unknown metric 'accuracy'; metrics of toy: loss, steps_seen"),
    (["toy"], "give at least one --param to sweep"),
    (["toy", "--param", "x=1,2", "--trials", "4", "--search", "grid"], "--trials is for random and halving search"),
    (["toy", "--param", "x=1:2", "--search", "random"], "--search random needs --trials N"),
    (["toy", "--param", "x=1:2", "--search", "bayes", "--trials", "3"],
     "--search must be one of grid, random, halving"),
    (["toy", "--param", "x=1,2", "--steps", "0"], "--steps must be >= 1 (got 0)"),
    (["toy", "--param", "x=1,2", "--seeds", "0"], "--seeds must be >= 1 (got 0)"),
    (["toy", "--param", "x=1,2", "--backend", "cuda"], "unknown backend 'cuda'"),
    (["toy", "--param", "x=1,2", "--workers", "0"], "--workers must be >= 1 (got 0)"),
    (["toy", "--param", "x=1,2", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"],
     "--workers sizes the local cluster (>= 1); a --scheduler brings its own workers"),
])
def test_bad_input_exits_2_with_one_clear_line(capsys, toy_dir, argv, message):
    metric = [] if "--metric" in argv else ["--metric", "loss"]
    code, out, err = run_cli(capsys, "sweep", *argv, *metric, "--plugins", str(toy_dir))
    assert code == 2
    assert err.startswith("workbench: error: ") and err.count("\n") == 1, err
    assert message in err


def test_a_missing_metric_lists_the_experiments_metrics(capsys, toy_dir):
    code, _, err = run_cli(capsys, "sweep", "toy", "--param", "x=1,2", "--plugins", str(toy_dir))
    assert code == 2
    assert err == "workbench: error: choose the metric to score by with --metric; metrics of toy: loss, steps_seen\n"


def test_a_table_of_another_sweep_or_an_unwritable_one_is_refused(capsys, toy_dir, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("experiment,seed,steps,param.columns\nhotgym,0,10,512\n")
    code, _, err = run_cli(capsys, "sweep", "toy", "--param", "x=1,2", "--metric", "loss",
                           "--out", str(other), "--plugins", str(toy_dir))
    assert code == 2 and f"{other} is not a results table of this toy sweep (missing param.x" in err
    assert "write to another --out" in err
    code, _, err = run_cli(capsys, "sweep", "toy", "--param", "x=1,2", "--metric", "loss",
                           "--out", str(tmp_path / "no" / "dir.csv"), "--plugins", str(toy_dir))
    assert code == 2 and "cannot write" in err


def test_an_unreachable_scheduler_is_one_clear_line(capsys, toy_dir, monkeypatch):
    monkeypatch.setattr(sweep_cluster, "CONNECT_TIMEOUT_S", 1)
    code, _, err = run_cli(capsys, "sweep", "toy", "--param", "x=1,2", "--metric", "loss",
                           "--scheduler", "tcp://127.0.0.1:9", "--plugins", str(toy_dir))
    assert code == 2
    assert err.splitlines()[-1].startswith("workbench: error: cannot reach the Dask scheduler at "
                                           "tcp://127.0.0.1:9")


def test_ctrl_c_keeps_finished_trials_and_the_same_command_resumes(capsys, client, toy_dir, tmp_path):
    out = tmp_path / "sweep.csv"
    argv = ["sweep", "toy", "--param", "x=1,2,3,4,5,6", "--param", "step_seconds=0.2", "--metric", "loss",
            "--steps", "3", "--out", str(out), "--plugins", str(toy_dir)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Its own process group with a local cluster, like a terminal: Ctrl-C reaches every process.
    proc = subprocess.Popen([sys.executable, "-m", "workbench", *argv, "--workers", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert "sweep: stopping (Ctrl-C again to quit at once)" in stderr
    assert "interrupted: stopped cleanly; run the same command again to resume" in stderr
    with open(out, newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert 1 <= len(kept) < 6 and all(r["status"] == "ok" and r["finished_at"] for r in kept)
    assert f"toy: {len(kept)} of 6 trials in the table" in stdout

    code, stdout, stderr = run_cli(capsys, *argv, "--scheduler", client.scheduler.address)
    assert code == 0
    assert f"sweep: resuming: {len(kept)} of 6 trials already in the table" in stderr
    ran = [line for line in stdout.splitlines() if line.startswith("[")]
    assert len(ran) == 6 - len(kept) and ran[-1].startswith("[6/6] ")
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(float(r["param.x"]) for r in rows) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert "  1. loss=1 over 1 seed(s): x=3.0 step_seconds=0.2" in stdout
