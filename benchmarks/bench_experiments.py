"""Quality and speed of the built-in experiments (issue "Experiments"): hot gym prediction error
and ms/step per backend, digits accuracy of SP + SDRClassifier vs SP + MLP, and where NAB's
labelled anomaly windows rank among the anomaly detector's scores.

    python -m benchmarks --only experiments [--quick]
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import numpy as np

from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run

NAB = Path(__file__).resolve().parents[1] / "tests" / "data" / "nab"
NAB_SERIES = ("artificialWithAnomaly/art_daily_jumpsup.csv", "realKnownCause/nyc_taxi.csv",
              "realKnownCause/machine_temperature_system_failure.csv")


def run_to_end(run: Run) -> tuple[list, float]:
    """Step until the experiment says it is finished; (frames' score data, seconds per step)."""
    run.build()
    start = time.perf_counter()
    frames = []
    steps = getattr(run.experiment, "default_steps", 1000)
    for _ in range(steps):
        frames.append(run.step())
        if getattr(run.experiment, "finished", False):
            break
    return frames, (time.perf_counter() - start) / max(len(frames), 1)


def hotgym_rows(registry: Registry, backends: list[str]) -> list[dict]:
    rows = []
    for backend in backends:
        run = Run(registry.get("hotgym"), backend=backend, seed=0)
        frames, per_step = run_to_end(run)
        m = run.metrics()
        rows.append({"bench": "hotgym one pass", "backend": backend, "steps": len(frames),
                     "rms_1": m["rms_1"], "rms_5": m["rms_5"], "persistence_rms_1": m["persistence_rms_1"],
                     "persistence_rms_5": m["persistence_rms_5"], "ms_per_step": per_step * 1e3,
                     "htmcore": "rms 7.8-8.3 / 8.8-9.3, ~2 ms/step"})
    return rows


def digits_rows(registry: Registry, quick: bool) -> list[dict]:
    params = {"epochs": 1} if quick else {}
    run = Run(registry.get("digits"), params, seed=0)
    _, per_step = run_to_end(run)
    m = run.metrics()
    return [{"bench": "digits", "backend": "numpy", "epochs": run.params["epochs"],
             "sp_sdrclassifier": m["test_accuracy_sdr"], "sp_mlp": m["test_accuracy_mlp"],
             "ms_per_step": per_step * 1e3}]


def window_ranks(timestamps: list[str], scores: np.ndarray, windows: list[list[str]],
                 probation: int) -> list[int]:
    """For each labelled window, the rank (1 = highest) of its best score among all scores after
    the probationary period."""
    stamps = np.array([dt.datetime.fromisoformat(t) for t in timestamps])
    ordered = np.sort(scores[probation:])[::-1]
    ranks = []
    for start, end in windows:
        inside = (stamps >= dt.datetime.fromisoformat(start)) & (stamps <= dt.datetime.fromisoformat(end))
        inside[:probation] = False
        if not inside.any():
            ranks.append(-1)
            continue
        best = scores[inside].max()
        ranks.append(int(np.searchsorted(-ordered, -best, side="left")) + 1)
    return ranks


def anomaly_rows(registry: Registry, quick: bool) -> list[dict]:
    labels = json.loads((NAB / "labels.json").read_text())
    rows = []
    for name in NAB_SERIES[:1] if quick else NAB_SERIES:
        run = Run(registry.get("anomaly"), {"csv": str(NAB / name)}, seed=0)
        frames, per_step = run_to_end(run)
        scores = np.array([f["score"] for f in frames])
        flagged = np.array([f["flagged"] for f in frames]) > 0
        probation = run.experiment.settings.probationary_period
        ranks = window_ranks([f["timestamp"] for f in frames], scores, labels[name], probation)
        rows.append({"bench": "NAB windows", "series": name.split("/")[-1], "rows": len(frames),
                     "windows": len(labels[name]), "window_ranks": " ".join(map(str, ranks)),
                     "flagged_points": int(flagged.sum()), "ms_per_step": per_step * 1e3})
    return rows


def run(backends: list[str], quick: bool = False) -> list[dict]:
    registry = Registry.discover(entry_points=False, user_dir=False)
    rows = hotgym_rows(registry, backends)
    rows += digits_rows(registry, quick)
    rows += anomaly_rows(registry, quick)
    return rows


if __name__ == "__main__":
    from benchmarks.__main__ import main

    raise SystemExit(main(["--only", "experiments"]))
