"""Sweeps on real Dask clusters: a local cluster of 2 worker processes (1 thread each), and a
scheduler and a worker started as separate processes with the ``dask`` command line, on loopback.

What must hold: every trial of a grid comes back, a trial that raises is recorded and the sweep
goes on, stopping keeps what finished and resuming skips it, a worker killed mid-trial has its
trials rerun elsewhere, and a misconfigured worker is named before anything runs.
"""

import csv
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sweep.conftest import toy_loss
from workbench.cli import main
from workbench.plugins.sweep import FAILED, LOST, OK, SweepError, SweepSpec, prepare_sweep

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def prepare(toy_dir, out, *params, **kwargs):
    kwargs = {"steps": 3, **kwargs}
    return prepare_sweep(SweepSpec("toy", params, "loss", plugin_dirs=[str(toy_dir)], out=out, **kwargs))


def table_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def trial_keys(rows):
    return [(r["param.x"], r["param.n"], r["param.mode"], r["seed"], r["steps"]) for r in rows]


def test_a_grid_sweep_returns_every_trial(client, toy_dir, tmp_path):
    out = tmp_path / "grid.csv"
    sweep = prepare(toy_dir, out, "x=1,2.5,4", "n=1,2", "step_seconds=0.05", seeds=2)
    arrived = []
    sweep.run(client, on_trial=arrived.append)
    assert sweep.status == "finished" and sweep.total == 12
    assert len(arrived) == 12 == sweep.trials.qsize()
    assert all(r.status == OK for r in arrived)
    for r in arrived:
        p = r.spec.param_dict
        assert r.metrics["loss"] == toy_loss(p["x"], p["n"], r.spec.seed) and r.steps_done == 3
    assert len({r.worker for r in arrived}) == 2  # both worker processes took trials
    rows = table_rows(out)
    assert len(rows) == 12 and len(set(trial_keys(rows))) == 12
    best = sweep.best()
    assert (best.params["x"], best.params["n"]) == (2.5, 1)
    assert best.mean == pytest.approx(toy_loss(2.5, 1) + 0.005) and len(best.scores) == 2


def test_a_trial_that_raises_is_recorded_and_the_sweep_goes_on(client, toy_dir, tmp_path):
    out = tmp_path / "fail.csv"
    sweep = prepare(toy_dir, out, "x=1,2", "fail_at=0,2")
    sweep.run(client)
    assert sweep.status == "finished"
    by_status = {status: sorted(r.spec.param_dict["x"] for r in sweep.results if r.status == status)
                 for status in (OK, FAILED)}
    assert by_status == {OK: [1.0, 2.0], FAILED: [1.0, 2.0]}
    failed = [r for r in table_rows(out) if r["status"] == FAILED]
    assert len(failed) == 2 and all(r["param.fail_at"] == "2" for r in failed)
    assert all("step failed: RuntimeError: toy fails at step 2" in r["error"] for r in failed)
    assert all(r["metric.loss"] == "" for r in failed)
    assert sweep.best().params == {**sweep.best().params, "x": 2.0, "fail_at": 0}


def test_stopping_keeps_finished_trials_and_resuming_skips_them(client, toy_dir, tmp_path):
    out = tmp_path / "stop.csv"
    params = ("x=1,2,3,4,5,6,7,8", "step_seconds=0.1")
    first = prepare(toy_dir, out, *params)

    def stop_after_two(result):
        if first.done >= 2:
            first.stop()
    first.start(client, on_trial=stop_after_two)
    assert first.wait(60) and first.status == "stopped" and first.error is None
    kept = table_rows(out)
    assert 2 <= len(kept) < 8 and all(r["status"] == OK for r in kept)

    second = prepare(toy_dir, out, *params)
    arrived = []
    second.run(client, on_trial=arrived.append)
    rows = table_rows(out)
    assert len(arrived) == 8 - len(kept)
    assert not {r.spec.param_dict["x"] for r in arrived} & {float(r["param.x"]) for r in kept}
    assert len(rows) == 8 and len(set(trial_keys(rows))) == 8
    assert len(second.results) == 8 and second.best().params["x"] == 3.0

    third = prepare(toy_dir, out, *params)  # everything is in the table: nothing runs
    third.run(client, on_trial=arrived.append)
    assert len(arrived) == 8 - len(kept) and len(table_rows(out)) == 8 and third.done == 8


def test_halving_runs_its_rungs_on_the_cluster(client, toy_dir, tmp_path):
    sweep = prepare(toy_dir, tmp_path / "halving.csv", "x=0:10", search="halving", trials=9, steps=9)
    sweep.run(client)
    steps = [r.spec.steps for r in sweep.results]
    assert sweep.total == 9 + 3 + 1 and sorted(set(steps)) == [1, 3, 9]
    assert [steps.count(s) for s in (1, 3, 9)] == [9, 3, 1]
    rung0 = sorted((r.metrics["loss"], r.spec.param_dict["x"]) for r in sweep.results if r.spec.steps == 1)
    (final,) = [r for r in sweep.results if r.spec.steps == 9]
    assert final.spec.param_dict["x"] == rung0[0][1]  # the best of the first rung won
    assert sweep.best().params["x"] == rung0[0][1]


def test_the_gui_path_starts_a_local_cluster_in_the_background(toy_dir, tmp_path):
    sweep = prepare(toy_dir, None, "x=1,2")
    statuses = []
    sweep.start(workers=1, on_status=statuses.append)
    assert sweep.wait(120) and sweep.status == "finished", sweep.error
    assert sorted(sweep.trials.get_nowait().spec.param_dict["x"] for _ in range(2)) == [1.0, 2.0]
    assert statuses[0] == "starting a local Dask cluster" and statuses[1].startswith("1 worker(s) on the scheduler")


def test_a_worker_that_cannot_run_the_experiment_is_named_before_anything_runs(client, toy_dir, tmp_path):
    out = tmp_path / "misconfigured.csv"
    sweep = prepare(toy_dir, out, "x=1,2")
    sweep.context = dataclasses.replace(sweep.context, plugin_dirs=(str(tmp_path),))
    with pytest.raises(SweepError, match=r"worker tcp://\S+ cannot run toy: unknown experiment 'toy'"):
        sweep.run(client)
    assert sweep.status == "failed" and table_rows(out) == []


def test_a_trial_whose_worker_keeps_dying_is_recorded_as_lost(cluster, client, toy_dir, tmp_path):
    out = tmp_path / "lost.csv"
    sweep = prepare(toy_dir, out, "x=1,2", "crash_at=2")
    cluster.scheduler.allowed_failures = 0  # give up after the first death (Dask's default reruns 3 times)
    try:
        sweep.run(client)
    finally:
        cluster.scheduler.allowed_failures = 3
    assert sweep.status == "finished"
    assert sorted((r.spec.param_dict["x"], r.status) for r in sweep.results) == [(1.0, LOST), (2.0, LOST)]
    rows = table_rows(out)
    assert len(rows) == 2 and all(r["error"].startswith("KilledWorker: ") for r in rows)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the workers the crashes ended

    rerun = prepare(toy_dir, out, "x=1,2", "crash_at=2")  # resuming runs lost trials again
    assert not any(rerun.is_finished(s) for s in rerun.plan.first_round())


def test_killing_a_worker_mid_sweep_still_completes_every_trial(client, toy_dir, tmp_path):
    out = tmp_path / "kill.csv"
    sweep = prepare(toy_dir, out, "x=1,2,3,4,5,6", "step_seconds=0.1", steps=10)  # about 1 s a trial
    sweep.start(client)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if any("workbench-trial" in k for k in keys)]
        if busy:
            break
        time.sleep(0.02)
    victim = busy[0]
    time.sleep(0.3)  # well inside its first trial
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    assert sweep.wait(90) and sweep.status == "finished", sweep.error
    results = sweep.results
    assert len(results) == 6 and all(r.status == OK for r in results)
    assert victim not in {r.worker for r in results}  # its trials were rerun elsewhere
    rows = table_rows(out)
    assert len(rows) == 6 and len(set(trial_keys(rows))) == 6
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# -- a scheduler and a worker started with the dask command line -------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def external_cluster(request, tmp_path):
    """``dask scheduler`` and ``dask worker`` as separate processes (each in its own process group,
    killed with it at teardown); yields (scheduler address, worker address)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = []

    def stop():
        for proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    request.addfinalizer(stop)

    def spawn(*argv, log):
        processes.append(subprocess.Popen([str(DASK), *argv], env=env, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=(tmp_path / log).open("w")))

    info = tmp_path / "scheduler.json"
    spawn("scheduler", "--host", "127.0.0.1", "--port", str(free_port()), "--no-dashboard",
          "--scheduler-file", str(info), log="scheduler.log")
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        assert processes[0].poll() is None, (tmp_path / "scheduler.log").read_text()
        time.sleep(0.1)
    address = json.loads(info.read_text())["address"]
    spawn("worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
          "--worker-port", str(free_port()), log="worker.log")
    from distributed import Client

    with Client(address, timeout="30s") as probe:
        probe.wait_for_workers(1, timeout=60)
        (worker,) = probe.scheduler_info()["workers"]
    return address, worker


def test_a_sweep_runs_on_a_scheduler_and_worker_started_from_the_command_line(
        external_cluster, toy_dir, tmp_path, capsys):
    address, worker = external_cluster
    out = tmp_path / "remote.csv"
    code = main(["sweep", "toy", "--param", "x=1,3,5", "--param", "mode=a,b", "--metric", "loss",
                 "--steps", "2", "--scheduler", address, "--out", str(out), "--plugins", str(toy_dir)])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "Traceback" not in stdout + stderr
    assert f"sweep: 1 worker(s) on the scheduler at {address}" in stderr
    rows = table_rows(out)
    assert len(rows) == 6 and {r["status"] for r in rows} == {OK} and {r["worker"] for r in rows} == {worker}
    assert "toy: 6 of 6 trials in the table (6 ok, 0 failed, 0 lost)" in stdout
    assert "  1. loss=1 over 1 seed(s): x=3.0 mode=a" in stdout
    assert "rerun the best: workbench run toy --set x=3.0 --set mode=a --steps 2" in stdout
