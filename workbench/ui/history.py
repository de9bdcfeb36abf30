"""What the worker publishes and the GUI reads: scalar histories and a bounded buffer of frames.

The worker thread appends after every step; the GUI thread reads a :class:`SeriesSnapshot`
(views of the arrays, no copy) at its own pace. Appends write the new row before publishing
the new length under a lock, and growing swaps in new arrays, so a reader always sees complete
rows and the arrays it holds never change under it.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from workbench.session.frames import Frame

HISTORY_FRAMES = 1000
"""How many recent frames the live timeline keeps (older ones drop off the front)."""


@dataclass(frozen=True)
class SeriesSnapshot:
    """Every scalar stream's values so far, against the step numbers they were made at."""

    steps: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    revision: int = 0

    def __len__(self) -> int:
        return int(self.steps.size)

    def value_at(self, name: str, step: int) -> float:
        """The value of ``name`` recorded at ``step`` (NaN when there is none)."""
        if name not in self.values or not self.steps.size:
            return math.nan
        at = int(np.searchsorted(self.steps, step))
        if at < self.steps.size and self.steps[at] == step:
            return float(self.values[name][at])
        return math.nan


EMPTY_SERIES = SeriesSnapshot(np.zeros(0, dtype=np.int64))


class ScalarHistory:
    """Growable float64 columns, one per scalar stream, plus the step of each row."""

    def __init__(self, names: Iterable[str], capacity: int = 4096) -> None:
        self._names = list(names)
        self._lock = threading.Lock()
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._cols = {n: np.full(capacity, np.nan) for n in self._names}
        self._n = 0
        self._revision = 0

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def append(self, frame: Frame) -> None:
        """Add one row from ``frame`` (streams it lacks are NaN)."""
        n = self._n
        if n == self._steps.size:
            self._grow()
        self._steps[n] = frame.step
        for name, col in self._cols.items():
            value = frame.values.get(name)
            col[n] = math.nan if value is None else float(value)
        with self._lock:
            self._n = n + 1
            self._revision += 1

    def _grow(self) -> None:
        size = self._steps.size * 2
        steps = np.zeros(size, dtype=np.int64)
        steps[: self._n] = self._steps[: self._n]
        cols = {}
        for name, col in self._cols.items():
            grown = np.full(size, np.nan)
            grown[: self._n] = col[: self._n]
            cols[name] = grown
        with self._lock:
            self._steps, self._cols = steps, cols

    def snapshot(self) -> SeriesSnapshot:
        with self._lock:
            n, steps, cols, revision = self._n, self._steps, self._cols, self._revision
        return SeriesSnapshot(steps[:n], {k: v[:n] for k, v in cols.items()}, revision)


class FrameBuffer:
    """The last ``capacity`` frames, looked up by step number, shared across threads."""

    def __init__(self, capacity: int = HISTORY_FRAMES) -> None:
        self._frames: deque[Frame] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def append(self, frame: Frame) -> None:
        with self._lock:
            if self._frames and frame.step <= self._frames[-1].step:
                self._frames.clear()  # a reset or a fork started the numbering again
            self._frames.append(frame)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()

    def span(self) -> tuple[int, int] | None:
        """(first, last) step held, or None when empty."""
        with self._lock:
            if not self._frames:
                return None
            return self._frames[0].step, self._frames[-1].step

    def latest(self) -> Frame | None:
        with self._lock:
            return self._frames[-1] if self._frames else None

    def get(self, step: int) -> Frame | None:
        """The frame of ``step``, or None when it has dropped off or not happened."""
        with self._lock:
            if not self._frames:
                return None
            offset = step - self._frames[0].step
            if 0 <= offset < len(self._frames) and self._frames[offset].step == step:
                return self._frames[offset]
            for frame in self._frames:  # steps are contiguous except after a fork
                if frame.step == step:
                    return frame
            return None
