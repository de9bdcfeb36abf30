"""Anomaly scores: the raw anomaly, and two anomaly likelihoods that turn it into a probability.

HTM_SPEC.md "Classifiers and anomaly" and "Anomaly detection as NuPIC ran it on NAB":

- :func:`raw_anomaly`: the fraction of active columns no cell predicted.
- :class:`AnomalyLikelihood`: htm.core's moving Gaussian over raw scores (cheap, one update
  per record).
- :class:`NupicAnomalyLikelihood`: NuPIC's windowed estimate (the "numenta" NAB detector that
  scored 70.1): a normal fitted to 10-record moving averages of the last 8640 raw scores,
  re-estimated every 100 records, with a filter that keeps only sharp rises.
- :func:`nab_settings` and :class:`SpatialAnomaly`: the NAB run's per-series settings and
  its "value outside the range seen so far" override.

Everything here is float64 (Python floats and numpy float64), as in NuPIC; the raw anomaly is
a float32 quotient, as htm.core's TM reports it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

_LOG_FLOOR = 1.0000000001
_LOG_SCALE = -23.02585084720009  # log(1e-10): the log form spans [0, 1]
# NuPIC's filter thresholds, computed as it computes them (1 - 0.99999 and 1 - 0.999).
_RED = 1.0 - 0.99999
_YELLOW = 1.0 - 0.999


def raw_anomaly_from_counts(active: int, unpredicted: int) -> float:
    """``unpredicted / active`` as a float32 quotient (0 when nothing is active)."""
    if active == 0:
        return 0.0
    return float(np.float32(unpredicted) / np.float32(active))


def raw_anomaly(active_columns: Any, predicted_columns: Any) -> float:
    """Fraction of the active columns that were not predicted (spec step 2); 0 if none active.

    Both arguments are SDR-like objects (their ``.sparse`` is used) or arrays of column indices.
    """
    active = np.asarray(getattr(active_columns, "sparse", active_columns))
    predicted = np.asarray(getattr(predicted_columns, "sparse", predicted_columns))
    unpredicted = np.count_nonzero(~np.isin(active, predicted))
    return raw_anomaly_from_counts(len(active), int(unpredicted))


def log_likelihood(likelihood: float) -> float:
    """The log form both detectors report: log(1.0000000001 - p) / log(1e-10), in [0, 1].

    It spreads the interesting end: p = 0.99 -> 0.2, 0.99999 -> 0.5, 1 -> 1.
    """
    return math.log(_LOG_FLOOR - likelihood) / _LOG_SCALE


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer (got {value!r})")
    if value < low:
        raise ValueError(f"{name} must be >= {low} (got {value})")
    return int(value)


class AnomalyLikelihood:
    """htm.core's moving-Gaussian anomaly likelihood (spec "Classifiers and anomaly").

    A Gaussian with exponentially decaying mean and variance (alpha = 1 - exp(-1/period)) is
    kept over the raw scores; each score's likelihood is its Gaussian CDF under the estimate
    from before it, then the estimate moves. Two successive likelihoods are combined
    (1 - (1 - p) (1 - previous p)), so a single odd record counts less than two.
    """

    def __init__(self, period: int) -> None:
        self.period = _check_count("period", period, 1)
        self.alpha = 1.0 - math.exp(-1.0 / self.period)
        self.mean = 1.0
        self.variance = 0.0003
        self.records = 0
        self.likelihood = 0.0
        self._previous = 0.0

    def compute(self, raw: float) -> float:
        """Take one raw score; return the reported score: 0 for the first ``period`` records,
        then :func:`log_likelihood` of the combined likelihood (also kept in ``likelihood``)."""
        raw = float(raw)
        std = math.sqrt(self.variance)
        like = 1.0 - 0.5 * math.erfc((raw - self.mean) / std / math.sqrt(2.0))
        diff = raw - self.mean
        self.mean = max(self.mean + self.alpha * diff, 0.03)
        self.variance = max((1.0 - self.alpha) * (self.variance + diff * self.alpha * diff), 0.0003)
        self.likelihood = 1.0 - (1.0 - like) * (1.0 - self._previous)
        self._previous = like
        self.records += 1
        if self.records <= self.period:
            return 0.0
        return log_likelihood(self.likelihood)

    def state_dict(self) -> dict:
        return {"period": self.period, "mean": self.mean, "variance": self.variance,
                "records": self.records, "likelihood": self.likelihood, "previous": self._previous}

    def load_state_dict(self, state: dict) -> None:
        if int(state["period"]) != self.period:
            raise ValueError(f"state_dict is from an AnomalyLikelihood with period {state['period']}; "
                             f"this one has {self.period}")
        self.mean = float(state["mean"])
        self.variance = float(state["variance"])
        self.records = int(state["records"])
        self.likelihood = float(state["likelihood"])
        self._previous = float(state["previous"])


@dataclass(frozen=True)
class _Normal:
    mean: float
    variance: float

    @property
    def stdev(self) -> float:
        return math.sqrt(self.variance) if self.variance > 0 else 0.0

    def tail(self, x: float) -> float:
        """Probability of a value at least this far from the mean on its side (the Q function,
        mirrored below the mean)."""
        if x < self.mean:
            x = 2.0 * self.mean - x
        return 0.5 * math.erfc((x - self.mean) / self.stdev / math.sqrt(2.0))


_BROAD = _Normal(0.5, 1e6)


def _fit_normal(values: np.ndarray) -> _Normal:
    """Mean and (population) variance, floored at 0.03 and 0.0003."""
    return _Normal(max(float(np.mean(values)), 0.03), max(float(np.var(values)), 0.0003))


class _MovingAverage:
    """Average of the last ``window`` values through a float64 running total (subtract the
    value that leaves, then add the new one), as NuPIC keeps it."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.values: deque[float] = deque()
        self.total = 0.0

    @classmethod
    def over(cls, values: np.ndarray, window: int) -> tuple["_MovingAverage", np.ndarray]:
        """A fresh average fed ``values`` in turn, and what each :meth:`add` returned. The
        running total takes add's float64 steps (from 0, subtract the value that leaves, then
        add the new one) as one cumulative sum, which adds strictly in order."""
        average, n = cls(window), len(values)
        if not n:
            return average, np.empty(0)
        head, full = min(n, window), max(0, n - window)
        steps = np.empty(1 + head + 2 * full)
        steps[0] = 0.0
        steps[1:1 + head] = values[:head]
        pairs = steps[1 + head:].reshape(full, 2)
        pairs[:, 0] = -values[:full]
        pairs[:, 1] = values[window:]
        totals = np.cumsum(steps)
        after = np.concatenate([np.arange(1, head + 1), head + 2 + 2 * np.arange(full)])
        average.values.extend(values[n - head:].tolist())
        average.total = float(totals[-1])
        return average, totals[after] / np.minimum(np.arange(1, n + 1), window)

    def add(self, value: float) -> float:
        if len(self.values) == self.window:
            self.total -= self.values.popleft()
        self.values.append(value)
        self.total += value
        return self.total / len(self.values)


class NupicAnomalyLikelihood:
    """NuPIC's windowed anomaly likelihood (spec "Anomaly detection as NuPIC ran it on NAB").

    The last ``historic_window`` records (value, raw score) are kept. During the probationary
    period (``learning_period + estimation_samples`` records) the likelihood is 0.5. Then,
    the first time and every ``reestimation_period`` records, a normal distribution is fitted
    to the ``averaging_window``-record moving averages of the kept raw scores, skipping the
    first ``learning_period`` averages less any records already dropped from the window; a
    series whose values barely vary (variance < 1.5e-5) gets a very broad distribution instead
    (the model handles flat series badly, so they are not reported). Each record's likelihood is
    1 - the tail probability of its moving average; a tail probability at or below 1e-5 right
    after another one at or below 1e-5 is raised to 1e-3, so only sharp rises come through.
    """

    def __init__(self, learning_period: int = 288, estimation_samples: int = 100,
                 historic_window: int = 8640, reestimation_period: int = 100,
                 averaging_window: int = 10) -> None:
        self.learning_period = _check_count("learning_period", learning_period, 0)
        self.estimation_samples = _check_count("estimation_samples", estimation_samples, 0)
        self.historic_window = _check_count("historic_window", historic_window, 1)
        self.reestimation_period = _check_count("reestimation_period", reestimation_period, 1)
        self.averaging_window = _check_count("averaging_window", averaging_window, 1)
        self.probationary_period = self.learning_period + self.estimation_samples
        self.records = 0
        self._history: deque[tuple[float, float]] = deque(maxlen=self.historic_window)
        self._distribution: _Normal | None = None
        self._average = _MovingAverage(self.averaging_window)
        self._previous_tail = 1.0

    @classmethod
    def for_series(cls, rows: int) -> "NupicAnomalyLikelihood":
        """The detector NAB ran on a series of ``rows`` records (see :func:`nab_settings`)."""
        settings = nab_settings(rows)
        return cls(learning_period=settings.learning_period,
                   estimation_samples=settings.estimation_samples)

    def compute(self, value: float, raw: float) -> float:
        """Take one record (the input value and its raw anomaly); return its likelihood.

        Pass it through :func:`log_likelihood` for the score NAB reported."""
        if self.records < self.probationary_period:
            likelihood = 0.5
        else:
            if self._distribution is None or self.records % self.reestimation_period == 0:
                self._estimate()
            tail = self._distribution.tail(self._average.add(float(raw)))
            filtered = _YELLOW if tail <= _RED and self._previous_tail <= _RED else tail
            self._previous_tail = tail
            likelihood = 1.0 - filtered
        self._history.append((float(value), float(raw)))
        self.records += 1
        return likelihood

    def _estimate(self) -> None:
        """Refit the distribution and rebuild the moving average from the kept records."""
        dropped = max(0, self.records - self.historic_window)
        skip = min(self.records, max(0, self.learning_period - dropped))
        history = np.array(self._history, dtype=np.float64).reshape(-1, 2)
        values = history[:, 0]
        average, averages = _MovingAverage.over(history[:, 1], self.averaging_window)
        if len(averages) <= skip or float(np.var(values[skip:])) < 1.5e-5:
            distribution = _BROAD
        else:
            distribution = _fit_normal(averages[skip:])
        self._distribution = distribution
        self._average = average
        self._previous_tail = distribution.tail(float(averages[-1])) if len(averages) else 1.0

    def state_dict(self) -> dict:
        dist = self._distribution
        return {
            "params": [self.learning_period, self.estimation_samples, self.historic_window,
                       self.reestimation_period, self.averaging_window],
            "records": self.records,
            "history": [list(r) for r in self._history],
            "distribution": None if dist is None else [dist.mean, dist.variance],
            "average": list(self._average.values),
            "total": self._average.total,
            "previous_tail": self._previous_tail,
        }

    def load_state_dict(self, state: dict) -> None:
        mine = [self.learning_period, self.estimation_samples, self.historic_window,
                self.reestimation_period, self.averaging_window]
        if list(state["params"]) != mine:
            raise ValueError(f"state_dict is from a NupicAnomalyLikelihood with (learning_period, "
                             f"estimation_samples, historic_window, reestimation_period, "
                             f"averaging_window) = {tuple(state['params'])}; this one has {tuple(mine)}")
        self.records = int(state["records"])
        self._history = deque((tuple(r) for r in state["history"]), maxlen=self.historic_window)
        dist = state["distribution"]
        self._distribution = None if dist is None else _Normal(float(dist[0]), float(dist[1]))
        self._average = _MovingAverage(self.averaging_window)
        self._average.values.extend(float(v) for v in state["average"])
        self._average.total = float(state["total"])
        self._previous_tail = float(state["previous_tail"])


class NabSettings(NamedTuple):
    """Per-series settings of NuPIC's NAB run."""

    probationary_period: int
    learning_period: int
    estimation_samples: int


def nab_settings(rows: int) -> NabSettings:
    """probationary = min(floor(0.15 rows), 750); learning = floor(probationary / 2);
    estimation samples = the rest of the probationary period."""
    rows = _check_count("rows", rows, 1)
    probationary = min(math.floor(0.15 * rows), 750)
    learning = probationary // 2
    return NabSettings(probationary, learning, probationary - learning)


class SpatialAnomaly:
    """NAB's override: a value more than ``tolerance`` (5 %) of the range seen so far beyond the
    minimum or maximum seen so far is an anomaly whatever the likelihood says (score 1.0)."""

    def __init__(self, tolerance: float = 0.05) -> None:
        self.tolerance = float(tolerance)
        self.low: float | None = None
        self.high: float | None = None

    def check(self, value: float) -> bool:
        """Whether ``value`` is outside the tolerated range; then widen the range by it."""
        value = float(value)
        outside = False
        if self.low is not None and self.high is not None and self.low != self.high:
            margin = (self.high - self.low) * self.tolerance
            outside = value > self.high + margin or value < self.low - margin
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)
        return outside
