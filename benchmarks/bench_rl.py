"""Reinforcement learning: does the DQN solve CartPole-v1, and does UBL beat a random policy?

    python -m benchmarks.bench_rl [--quick] [--backends numpy,opencl:0] [--workers 2]

Rows:
- ``dqn_cartpole``: one per seed (5 seeds) on numpy: the DQN agent with the cartpole
  experiment's defaults trains until CartPole-v1 is solved (mean reward >= 475 over 100
  consecutive episodes) or 1,000 episodes pass. ``solved_at`` is the last episode of the first
  such window; ``wall_s`` the training time. A summary row gives seeds solved and the median.
  Target: solved within 1,000 episodes for at least 4 of 5 seeds.
- ``dqn_cartpole_speed``: per backend (numpy, opencl:N), a fixed number of training steps timed
  (each with one update) and extrapolated to the median steps-to-solve measured on numpy (the
  backends compute the same updates, so they need about the same number of steps; only the time
  per step differs). The numpy row is the like-for-like reference for the others.
- ``dqn_cartpole`` on each OpenCL backend: one whole training run (seed 1), to check the
  extrapolation (float results differ in the last bits between backends, so the run may take a
  different number of episodes).
- ``ubl_vs_random``: per environment (CartPole-v1 and the grid maps), the mean reward of the
  last 100 of N episodes, UBL vs a random policy, averaged over 5 seeds (each seed's figure is
  listed too). Target: UBL clearly above random.

BLAS runs single-threaded here: the networks are small (128 units), and on a busy 2-core
machine OpenBLAS threads made each update about 10x slower (measured: 108 ms vs 7 ms).
``--workers 2`` runs seeds in parallel processes (fine on an idle machine with 2 free cores;
per-seed wall times then include any contention).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.table import print_table
from workbench.engine import available_backends
from workbench.engine.rl.agents import RandomAgent
from workbench.engine.rl.training import Trainer
from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run

SEEDS = (0, 1, 2, 3, 4)
SOLVE_THRESHOLD = 475.0
MAX_EPISODES = 1_000
UBL_CASES = (  # (experiment, parameters, episodes)
    ("cartpole", {}, 300),
    ("gridworld", {"map": "open-5x5"}, 300),
    ("gridworld", {"map": "walls-5x5"}, 300),
    ("gridworld", {"map": "rooms-7x7"}, 300),
    ("gridworld", {"map": "frozenlake-4x4"}, 300),
    ("gridworld", {"map": "frozenlake-4x4", "slippery": True}, 300),
)


def experiment(name: str, params: dict, seed: int, backend: str = "numpy"):
    """The experiment as a workbench run builds it (so the benchmark measures the defaults)."""
    run = Run(Registry.discover(entry_points=False, user_dir=False).get(name), params, backend, seed)
    run.build()
    return run.experiment


def train(trainer: Trainer, episodes: int, stop: Callable[[Trainer], bool] = lambda t: False) -> None:
    while trainer.episodes < episodes and not stop(trainer):
        trainer.run_episode()


def dqn_seed(seed: int, max_episodes: int = MAX_EPISODES, backend: str = "numpy") -> dict:
    with threadpool_limits(1):
        exp = experiment("cartpole", {"agent": "dqn"}, seed, backend)
        trainer = exp.trainer
        start = time.perf_counter()
        train(trainer, max_episodes, lambda t: t.stats.solved_at(SOLVE_THRESHOLD) is not None)
        seconds = time.perf_counter() - start
    solved = trainer.stats.solved_at(SOLVE_THRESHOLD)
    return {"benchmark": "dqn_cartpole", "backend": backend, "seed": seed,
            "solved_at": solved if solved is not None else f">{max_episodes}",
            "episodes": trainer.episodes, "steps": trainer.agent.steps, "wall_s": seconds,
            "ms_per_step": seconds / trainer.agent.steps * 1e3,
            "last_100_mean": trainer.stats.moving_average}


def dqn_speed(backend: str, steps: int, steps_to_solve: float) -> dict:
    """Time ``steps`` training steps on ``backend`` (after the replay buffer has filled enough to
    train, as it is for nearly all of a run) and extrapolate to ``steps_to_solve``."""
    with threadpool_limits(1):
        exp = experiment("cartpole", {"agent": "dqn"}, 0, backend)
        trainer = exp.trainer
        warm = exp.agent.config.learning_starts + 10
        for _ in range(warm):
            trainer.step()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.step()
        seconds = time.perf_counter() - start
    per_step = seconds / steps
    return {"benchmark": "dqn_cartpole_speed", "backend": backend, "steps_timed": steps,
            "ms_per_step": per_step * 1e3, "steps_to_solve": steps_to_solve,
            "extrapolated_solve_s": per_step * steps_to_solve, "note": "extrapolated from a timed sample"}


def ubl_seed(name: str, params: dict, episodes: int, seed: int) -> tuple[float, float, float]:
    """(UBL's, the random policy's) mean reward over the last 100 of ``episodes``, and UBL's time."""
    with threadpool_limits(1):
        exp = experiment(name, {**params, "agent": "ubl"}, seed)
        start = time.perf_counter()
        train(exp.trainer, episodes)
        seconds = time.perf_counter() - start
        baseline = experiment(name, {**params, "agent": "random"}, seed)
        random = Trainer(baseline.env, RandomAgent(baseline.env.action_count, seed))
        train(random, episodes)
    return exp.trainer.stats.moving_average, random.stats.moving_average, seconds


def ubl_row(name: str, params: dict, episodes: int, results: list[tuple[float, float, float]]) -> dict:
    ubl = [r[0] for r in results]
    rnd = [r[1] for r in results]
    slippery = " slippery" if params.get("slippery") else ""
    label = "CartPole-v1" if name == "cartpole" else params["map"] + slippery
    return {"benchmark": "ubl_vs_random", "environment": label, "episodes": episodes,
            "ubl_last_100": float(np.mean(ubl)), "random_last_100": float(np.mean(rnd)),
            "ratio": float(np.mean(ubl) / np.mean(rnd)) if np.mean(rnd) > 0 else float("inf"),
            "ubl_per_seed": " ".join(f"{v:.3g}" for v in ubl),
            "random_per_seed": " ".join(f"{v:.3g}" for v in rnd),
            "ubl_s_per_seed": float(np.mean([r[2] for r in results]))}


def run(quick: bool = False, backends: list[str] | None = None, workers: int = 1) -> list[dict]:
    backends = backends or [b for b in available_backends() if b != "opencl"]
    seeds = SEEDS[:2] if quick else SEEDS
    max_episodes = 150 if quick else MAX_EPISODES
    rows: list[dict] = []
    with ProcessPoolExecutor(workers) as pool:
        dqn = list(pool.map(dqn_seed, seeds, [max_episodes] * len(seeds)))
        rows.extend(dqn)
        solved = [r["solved_at"] for r in dqn if isinstance(r["solved_at"], int)]
        steps = statistics.median(r["steps"] for r in dqn if isinstance(r["solved_at"], int)) if solved \
            else statistics.median(r["steps"] for r in dqn)
        rows.append({"benchmark": "dqn_cartpole", "backend": "numpy", "seed": "all",
                     "solved_at": f"{len(solved)}/{len(dqn)} solved",
                     "episodes": statistics.median(solved) if solved else "-",
                     "steps": steps, "wall_s": statistics.median(r["wall_s"] for r in dqn),
                     "target": f"solved within {MAX_EPISODES} episodes for >= 4 of 5 seeds"})
        for backend in backends:
            rows.append(dqn_speed(backend, 200 if quick else 2_000, steps))
        devices = [] if quick else [b for b in backends if b != "numpy"]
        # one whole run per device backend, to check the extrapolation
        rows.extend(pool.map(dqn_seed, [SEEDS[1]] * len(devices), [max_episodes] * len(devices), devices))
        for name, params, episodes in UBL_CASES[:2] if quick else UBL_CASES:
            episodes = 120 if quick else episodes
            results = list(pool.map(ubl_seed, [name] * len(seeds), [params] * len(seeds),
                                    [episodes] * len(seeds), seeds))
            rows.append(ubl_row(name, params, episodes, results))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rl")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backends", default="")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b] or None
    rows = run(args.quick, backends, args.workers)
    for kind in dict.fromkeys(r["benchmark"] for r in rows):  # one table per kind of row
        print_table(f"bench_rl: {kind}", [r for r in rows if r["benchmark"] == kind])
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
