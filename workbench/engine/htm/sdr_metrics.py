"""Running statistics of an SDR stream (HTM_SPEC.md, "SDR": Metrics).

Views and reports watch an encoder or a layer through four numbers: how sparse its output is,
how often each bit fires (and the entropy of that usage), and how much each output overlaps the
previous one. Each is the plain average of the first ``period`` samples and an exponential moving
average with weight ``1 / period`` after that, so a new stream settles quickly and an old one
keeps following change.
"""

from __future__ import annotations

import numpy as np

from .sdr import SDR, Shape, as_shape


def _binary_entropy(p: np.ndarray | float) -> np.ndarray:
    """Entropy in bits of a bit that is on with probability ``p`` (0 at p = 0 or 1)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log2(p) + (1.0 - p) * np.log2(1.0 - p))
    return np.nan_to_num(h, nan=0.0)


class RunningAverage:
    """Average of the first ``period`` samples, then an EMA with weight ``1 / period``.

    Also keeps the smallest and largest sample seen. ``mean`` is NaN before the first sample.
    """

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1 (got {period})")
        self.period = int(period)
        self.count = 0
        self.mean = np.nan
        self.min = np.inf
        self.max = -np.inf

    def add(self, value: float) -> None:
        self.count += 1
        weight = 1.0 / min(self.count, self.period)
        self.mean = value if self.count == 1 else self.mean + weight * (value - self.mean)
        self.min = min(self.min, value)
        self.max = max(self.max, value)


class SDRMetrics:
    """Sparsity, per-bit activation frequency, entropy and successive overlap of a stream.

    Successive overlap is |a AND b| / max(|a|, |b|) for each pair of consecutive SDRs (1.0 for
    two empty ones: they are identical), so it starts with the second sample.
    """

    def __init__(self, shape: int | tuple[int, ...], period: int) -> None:
        self.shape: Shape = as_shape(shape)
        self.sparsity = RunningAverage(period)
        self.overlap = RunningAverage(period)
        self.period = self.sparsity.period
        self._frequency = np.zeros(self.shape, dtype=np.float64).reshape(-1)
        self._previous: SDR | None = None

    def add(self, sdr: SDR) -> None:
        """Account for the next SDR of the stream."""
        if sdr.shape != self.shape:
            raise ValueError(f"metrics were made for shape {self.shape}, got an SDR of shape {sdr.shape}")
        self.sparsity.add(sdr.sparsity)
        weight = 1.0 / min(self.sparsity.count, self.period)
        self._frequency *= 1.0 - weight
        self._frequency[sdr.sparse] += weight
        if self._previous is not None:
            largest = max(sdr.active_count, self._previous.active_count)
            self.overlap.add(sdr.overlap(self._previous) / largest if largest else 1.0)
        self._previous = sdr

    @property
    def activation_frequency(self) -> np.ndarray:
        """Per-bit fraction of samples in which the bit was on, in the SDR's shape."""
        return self._frequency.reshape(self.shape).copy()

    @property
    def entropy(self) -> float:
        """Mean binary entropy of the bits' frequencies over that of their mean frequency.

        1.0 when every bit fires equally often (the best use of the bits at this sparsity),
        towards 0 when a few bits do all the work; 0.0 before any bit has fired.
        """
        best = float(_binary_entropy(self._frequency.mean()))
        if best == 0.0:
            return 0.0
        return float(_binary_entropy(self._frequency).mean()) / best
