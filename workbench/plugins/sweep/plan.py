"""What a sweep runs: trials (a full parameter set, a seed and a step budget) chosen by a search
strategy, and the objective that scores them.

Strategies hand out trials in rounds. Grid and random search have one round; successive halving
has several, each keeping the best third of the configurations and running them three times
longer, so cheap short runs weed out poor settings before full-length runs are paid for.
Every strategy is deterministic (random draws come from ``search_seed``), so running the same
command again plans the same trials, which is what lets a sweep resume from its table.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from workbench.plugins.params import Param, ParamError, resolve_params

from .space import Axis

STRATEGIES = ("grid", "random", "halving")
HALVING_ETA = 3  # each rung keeps the best 1/3 of its configurations and runs them 3x longer
MAX_TRIALS = 100_000  # a plan larger than this is a typo, not a sweep
RANDOM_DRAWS_PER_TRIAL = 50  # draws allowed per wanted point before a small space counts as exhausted


@dataclass(frozen=True)
class TrialSpec:
    """One headless run: every declared parameter (validated), the seed and the step budget."""

    params: tuple[tuple[str, Any], ...]
    seed: int
    steps: int

    @classmethod
    def make(cls, declared: Sequence[Param], point: Mapping[str, Any], seed: int, steps: int) -> "TrialSpec":
        """The defaults overlaid with ``point``, every value through :meth:`Param.validate`."""
        values = resolve_params(declared, point)
        return cls(tuple(values.items()), int(seed), int(steps))

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def config_key(self) -> str:
        """Identifies the configuration (parameters and steps): the seeds of one config share it."""
        return json.dumps([self.params, self.steps])

    @property
    def key(self) -> str:
        """Identifies the trial; a table row with the same key is the same trial (used to resume)."""
        return json.dumps([self.params, self.steps, self.seed])


@dataclass(frozen=True)
class Objective:
    """The metric a sweep scores trials by, and which way is better."""

    metric: str
    minimize: bool = True

    def rank_value(self, value: float) -> float:
        """Smaller is better; NaN (no score) ranks last."""
        if math.isnan(value):
            return math.inf
        return value if self.minimize else -value

    @property
    def direction(self) -> str:
        return "lowest" if self.minimize else "highest"


@dataclass(frozen=True)
class TrialOutcome:
    """What a strategy needs to know about a finished trial: did it run, and its score."""

    ok: bool
    score: float


@dataclass
class SearchPlan:
    """A strategy's trials. ``rounds(outcomes)`` yields one list of trials at a time; before asking
    for the next round the caller fills ``outcomes`` (trial key -> TrialOutcome) for the last one."""

    strategy: str
    configs: list[dict[str, Any]]
    seeds: tuple[int, ...]
    steps: int
    declared: tuple[Param, ...]
    objective: Objective
    rung_steps: tuple[int, ...] = ()
    rung_sizes: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Trials the plan runs if nothing is left out."""
        if self.strategy == "halving":
            return sum(self.rung_sizes) * len(self.seeds)
        return len(self.configs) * len(self.seeds)

    def specs(self, configs: Sequence[Mapping[str, Any]], steps: int) -> list[TrialSpec]:
        return [TrialSpec.make(self.declared, c, seed, steps) for c in configs for seed in self.seeds]

    def first_round(self) -> list[TrialSpec]:
        """The trials every run of this plan starts with (all of them, but for halving)."""
        return next(self.rounds({}))

    def rounds(self, outcomes: Mapping[str, TrialOutcome]) -> Iterator[list[TrialSpec]]:
        if self.strategy != "halving":
            yield self.specs(self.configs, self.steps)
            return
        survivors = list(self.configs)
        for rung, (steps, size) in enumerate(zip(self.rung_steps, self.rung_sizes)):
            survivors = survivors[:size]
            specs = self.specs(survivors, steps)
            yield specs
            if rung + 1 < len(self.rung_steps):
                survivors = self._best_first(survivors, steps, outcomes)

    def _best_first(self, configs: list[dict[str, Any]], steps: int,
                    outcomes: Mapping[str, TrialOutcome]) -> list[dict[str, Any]]:
        """Configurations ordered by their mean score over seeds; one without a score for every
        seed (failed, lost or not run) goes last. Ties keep the plan's order."""
        def rank(config: dict[str, Any]) -> float:
            scores = []
            for spec in self.specs([config], steps):
                outcome = outcomes.get(spec.key)
                if outcome is None or not outcome.ok:
                    return math.inf
                scores.append(self.objective.rank_value(outcome.score))
            return float(np.mean(scores))
        return sorted(configs, key=rank)


def build_plan(strategy: str, axes: Sequence[Axis], declared: Sequence[Param], objective: Objective, *,
               steps: int, seeds: int, trials: int | None = None, grid_points: int = 5,
               search_seed: int = 0) -> SearchPlan:
    """The trials of a sweep, every one validated; :class:`ParamError` for a plan that makes no sense."""
    if strategy not in STRATEGIES:
        raise ParamError(f"--search must be one of {', '.join(STRATEGIES)} (got {strategy!r})")
    if steps < 1:
        raise ParamError(f"--steps must be >= 1 (got {steps})")
    if seeds < 1:
        raise ParamError(f"--seeds must be >= 1 (got {seeds})")
    if not axes:
        raise ParamError("give at least one --param to sweep (name=v1,v2,... or name=low:high[:log])")
    notes: list[str] = []
    if strategy == "grid":
        if trials is not None:
            raise ParamError("--trials is for random and halving search; a grid runs every point "
                             "(narrow the lists or use --grid-points)")
        if grid_points < 2:
            raise ParamError(f"--grid-points must be >= 2 (got {grid_points})")
        columns = [axis.grid(grid_points) for axis in axes]
        size = math.prod(len(c) for c in columns) * seeds
        if size > MAX_TRIALS:
            raise ParamError(f"the grid has {size:,} trials; narrow it or use --search random --trials N")
        configs = [dict(zip((a.name for a in axes), combo)) for combo in itertools.product(*columns)]
    else:
        if trials is None or trials < 1:
            raise ParamError(f"--search {strategy} needs --trials N (N >= 1)")
        if trials * seeds > MAX_TRIALS:
            raise ParamError(f"{trials:,} trials x {seeds} seeds is more than {MAX_TRIALS:,}; ask for fewer")
        configs = _draw(axes, trials, search_seed)
        if len(configs) < trials:
            notes.append(f"the space holds only {len(configs)} distinct points; running those "
                         f"instead of {trials}")
    plan = SearchPlan(strategy, configs, tuple(range(seeds)), steps, tuple(declared), objective, notes=notes)
    if strategy == "halving":
        rungs = min(int(math.log(len(configs), HALVING_ETA) + 1e-9), int(math.log(steps, HALVING_ETA) + 1e-9))
        plan.rung_sizes = tuple(max(1, len(configs) // HALVING_ETA ** r) for r in range(rungs + 1))
        plan.rung_steps = tuple(max(1, math.ceil(steps / HALVING_ETA ** (rungs - r))) for r in range(rungs + 1))
    plan.specs(configs, steps)  # validates every point now, before anything is submitted
    return plan


def _draw(axes: Sequence[Axis], wanted: int, search_seed: int) -> list[dict[str, Any]]:
    """``wanted`` distinct random points (fewer if the space is that small), in draw order."""
    rng = np.random.Generator(np.random.PCG64(search_seed))
    seen: set[str] = set()
    points: list[dict[str, Any]] = []
    for _ in range(wanted * RANDOM_DRAWS_PER_TRIAL):
        point = {axis.name: axis.sample(rng) for axis in axes}
        key = json.dumps(sorted(point.items()))
        if key not in seen:
            seen.add(key)
            points.append(point)
            if len(points) == wanted:
                break
    return points
