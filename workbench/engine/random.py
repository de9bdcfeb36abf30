"""Seeded random tensors.

Numbers are drawn on the host by numpy's PCG64 from an explicit seed and then placed on the
backend, so the same seed gives the same values on every backend (a device-side generator
would make numpy and OpenCL runs differ). Random tensors are made at initialisation and for
data shuffling, never per element per step, so the transfer is not on a hot path.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .dtypes import DEFAULT_FLOAT, as_dtype
from .tensor import Tensor


class Generator:
    """A stream of random tensors from one explicit seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self.seed))

    def uniform(self, shape: Iterable[int], low: float = 0.0, high: float = 1.0,
                dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> Tensor:
        """Uniform in [low, high)."""
        values = self._rng.uniform(low, high, size=tuple(shape))
        return Tensor(values.astype(as_dtype(dtype)), backend=backend)

    def normal(self, shape: Iterable[int], mean: float = 0.0, std: float = 1.0,
               dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> Tensor:
        values = self._rng.normal(mean, std, size=tuple(shape))
        return Tensor(values.astype(as_dtype(dtype)), backend=backend)

    def integers(self, shape: Iterable[int], low: int, high: int, dtype: object = np.int32,
                 backend: object = "numpy") -> Tensor:
        """Integers in [low, high)."""
        values = self._rng.integers(low, high, size=tuple(shape))
        return Tensor(values.astype(as_dtype(dtype)), backend=backend)

    def permutation(self, n: int) -> np.ndarray:
        """A permutation of range(n) on the host (for shuffling data sets)."""
        return self._rng.permutation(n)

    def state_dict(self) -> dict:
        return {"seed": self.seed, "bit_generator": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.seed = int(state["seed"])
        self._rng.bit_generator.state = state["bit_generator"]
