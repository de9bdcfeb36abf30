"""Reading a sweep's results: configurations ranked by their mean score over seeds, and the
one-line descriptions the CLI prints (the GUI's Sweep panel can show the same text)."""

from __future__ import annotations

import math
import shlex
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .plan import Objective
from .space import Axis
from .table import format_cell
from .trial import TrialResult


@dataclass
class ConfigScore:
    """One configuration (parameters and step budget) and how its seeds did."""

    params: dict[str, Any]
    steps: int
    scores: list[float] = field(default_factory=list)  # the metric of each seed that ran to the end
    failed: int = 0  # seeds that failed or were lost

    @property
    def mean(self) -> float:
        values = [s for s in self.scores if not math.isnan(s)]
        return statistics.fmean(values) if values else math.nan

    @property
    def std(self) -> float:
        values = [s for s in self.scores if not math.isnan(s)]
        return statistics.stdev(values) if len(values) > 1 else 0.0 if values else math.nan


def rank_configs(results: Iterable[TrialResult], objective: Objective) -> list[ConfigScore]:
    """Configurations run with the largest step budget (the final rung of a halving search),
    best mean score first; one with no score at all goes last."""
    results = list(results)
    if not results:
        return []
    steps = max(r.spec.steps for r in results)
    configs: dict[str, ConfigScore] = {}
    for r in results:
        if r.spec.steps != steps:
            continue
        config = configs.setdefault(r.spec.config_key, ConfigScore(r.spec.param_dict, steps))
        if r.ok:
            config.scores.append(r.score(objective.metric))
        else:
            config.failed += 1
    return sorted(configs.values(), key=lambda c: objective.rank_value(c.mean))


def describe_point(params: dict[str, Any], axes: Sequence[Axis]) -> str:
    """The swept parameters of a configuration: ``columns=512 alpha=0.0316``."""
    return " ".join(f"{a.name}={format_cell(params[a.name])}" for a in axes)


def describe_trial(result: TrialResult, axes: Sequence[Axis], objective: Objective, done: int, total: int) -> str:
    """``[3/16] columns=512 seed=0 steps=1000: rms_1=8.21 (12.3 s, tcp://10.0.0.2:4000)``."""
    spec = result.spec
    head = f"[{done}/{total}] {describe_point(spec.param_dict, axes)} seed={spec.seed} steps={spec.steps}"
    where = f"({result.seconds:.1f} s, {result.worker or '?'})"
    if result.ok:
        return f"{head}: {objective.metric}={result.score(objective.metric):.6g} {where}"
    return f"{head}: {result.status.upper()}: {result.error} {where}"


def describe_ranking(ranking: Sequence[ConfigScore], axes: Sequence[Axis], objective: Objective,
                     top: int = 5) -> list[str]:
    """The ``top`` configurations, one line each, best first."""
    lines = []
    for place, config in enumerate(ranking[:top], start=1):
        spread = f" +- {config.std:.3g}" if len(config.scores) > 1 else ""
        failed = f", {config.failed} failed" if config.failed else ""
        lines.append(f"{place:>3}. {objective.metric}={config.mean:.6g}{spread} over {len(config.scores)} "
                     f"seed(s){failed}: {describe_point(config.params, axes)}")
    return lines


def run_command(experiment: str, config: ConfigScore, axes: Sequence[Axis]) -> str:
    """The ``workbench run`` command that reruns a configuration (to watch it, record it)."""
    sets = " ".join(f"--set {shlex.quote(f'{a.name}={format_cell(config.params[a.name])}')}" for a in axes)
    return f"workbench run {experiment} {sets} --steps {config.steps}"
