"""Sweep throughput (issue "Parameter sweeps on Dask"): a 16-trial hot gym grid run serially in
this process, then by ``workbench sweep``'s engine on a local Dask cluster of 1 and of 2 worker
processes. Trials are shortened to keep the whole benchmark to a few minutes: 1,000 steps each
(of 4,391) and 512 Spatial Pooler columns (of 1,638); ``--quick``: 4 trials of 200 steps.

    python -m benchmarks --only sweep [--quick]

``trials_s`` runs from the first submission to the last result; ``wall_s`` adds starting and
closing the cluster. ``speedup`` is serial time / trials_s. ``load`` is the machine's 1-minute
load average when the mode started: on a shared machine other work takes cores too. ``same_scores`` checks that every
trial's rms_1 equals the serial run's (a trial's result does not depend on where it ran).
"""

from __future__ import annotations

import os
import time

from workbench.plugins.sweep import SweepSpec, TrialResult, prepare_sweep, run_trial

GRID = ["columns=512", "cells_per_column=8,13", "activation_threshold=13,17",
        "permanence_increment=0.05,0.1", "boost_strength=0,3"]
QUICK_GRID = ["columns=512", "cells_per_column=8,13", "boost_strength=0,3"]


def _spec(quick: bool) -> SweepSpec:
    return SweepSpec("hotgym", QUICK_GRID if quick else GRID, "rms_1", steps=200 if quick else 1000)


def _serial(quick: bool) -> tuple[float, dict[str, float]]:
    """Every trial, one after another in this process, through the function workers call."""
    sweep = prepare_sweep(_spec(quick))
    start = time.perf_counter()
    scores = {}
    for spec in sweep.plan.first_round():
        result = run_trial(spec, sweep.context)
        assert result.ok, result.error
        scores[spec.key] = result.score("rms_1")
    return time.perf_counter() - start, scores


def _on_dask(quick: bool, workers: int) -> dict:
    sweep = prepare_sweep(_spec(quick))
    marks: dict[str, float] = {}
    arrivals: list[TrialResult] = []

    def on_status(message: str) -> None:
        if "worker(s) on the scheduler" in message:
            marks["ready"] = time.perf_counter()

    def on_trial(result: TrialResult) -> None:
        marks["last"] = time.perf_counter()
        arrivals.append(result)

    start = time.perf_counter()
    sweep.run(workers=workers, on_trial=on_trial, on_status=on_status)
    wall = time.perf_counter() - start
    assert all(r.ok for r in arrivals), [r.error for r in arrivals if not r.ok]
    return {"wall": wall, "trials": marks["last"] - marks["ready"], "start": marks["ready"] - start,
            "scores": {r.spec.key: r.score("rms_1") for r in arrivals}}


def run(quick: bool = False) -> list[dict]:
    spec = _spec(quick)
    load = os.getloadavg()[0]
    serial_s, serial_scores = _serial(quick)
    trials = len(serial_scores)
    base = {"bench": "hotgym sweep", "trials": trials, "steps": spec.steps, "cores": len(os.sched_getaffinity(0))}
    rows = [{**base, "mode": "serial (in-process)", "workers": 1, "load": load, "wall_s": serial_s,
             "trials_s": serial_s, "trials_per_min": 60 * trials / serial_s, "speedup": 1.0, "same_scores": True}]
    for workers in (1, 2):
        load = os.getloadavg()[0]
        m = _on_dask(quick, workers)
        rows.append({**base, "mode": "dask LocalCluster", "workers": workers, "load": load, "wall_s": m["wall"],
                     "cluster_start_s": m["start"], "trials_s": m["trials"],
                     "trials_per_min": 60 * trials / m["trials"], "speedup": serial_s / m["trials"],
                     "same_scores": m["scores"] == serial_scores})
    return rows


if __name__ == "__main__":
    from benchmarks.__main__ import main

    raise SystemExit(main(["--only", "sweep"]))
