"""The compatibility random number generator of HTM_SPEC.md ("Numbers and randomness").

htm.core draws from a 32-bit Mersenne Twister seeded like C++ ``std::mt19937(seed)`` and turns
draws into integers, reals, shuffles and samples in particular ways. Reproducing its outputs bit
for bit (the HelloSPTP golden values) needs exactly the same stream and the same conversions, so
every HTM layer that makes a random choice takes one of these, seeded explicitly.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

_UINT32_MAX = 4294967295.0


class CompatRNG:
    """A 32-bit Mersenne Twister with htm.core's draw conversions.

    Seed 0 is an ordinary seed (htm.core treats it as "random"; we never do).
    """

    def __init__(self, seed: int) -> None:
        if not 0 <= int(seed) < 2**32:
            raise ValueError(f"seed must be in [0, 2**32) (got {seed})")
        self.seed = int(seed)
        self._bitgen = np.random.MT19937()
        self._bitgen._legacy_seeding(self.seed)

    # -- raw stream ---------------------------------------------------------------------------
    def draw(self) -> int:
        """The next raw 32-bit draw."""
        return int(self._bitgen.random_raw())

    def draws(self, n: int) -> np.ndarray:
        """The next ``n`` raw draws as uint64 (values fit in 32 bits); consumes exactly n."""
        if n <= 0:
            return np.empty(0, dtype=np.uint64)
        return np.asarray(self._bitgen.random_raw(n), dtype=np.uint64).reshape(n)

    # -- conversions --------------------------------------------------------------------------
    def integer(self, n: int) -> int:
        """An integer in [0, n): ``draw % n``."""
        if n <= 0:
            raise ValueError(f"integer(n) needs n > 0 (got {n})")
        return self.draw() % n

    def real(self) -> float:
        """A real in [0, 1]: ``draw / (2**32 - 1)`` in float64."""
        return self.draw() / _UINT32_MAX

    def real_range(self, a: float, b: float) -> np.float32:
        """``a + float32(float32(b - a) * real())``, all in float32 as htm.core does."""
        span = np.float32(np.float32(b) - np.float32(a))
        scaled = np.float32(float(span) * self.real())
        return np.float32(np.float32(a) + scaled)

    def shuffle(self, items: list | np.ndarray) -> None:
        """Shuffle in place: for i = n-1 .. 1 swap a[i] with a[draw % (i + 1)] (n - 1 draws).

        The draws and their moduli are computed at once with numpy; only the swap walk, which
        depends on the previous swaps, stays a (tight) Python loop over plain Python lists.
        """
        n = len(items)
        if n < 2:
            return
        picks = (self.draws(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        values = items.tolist() if isinstance(items, np.ndarray) else items
        for i, j in zip(range(n - 1, 0, -1), picks):
            values[i], values[j] = values[j], values[i]
        if values is not items:
            items[:] = values

    def sample(self, population: Sequence[Any] | np.ndarray, k: int) -> np.ndarray:
        """The first ``k`` of a shuffled copy of ``population`` (always n - 1 draws, any k)."""
        pool = np.array(population, copy=True)
        if k > len(pool):
            raise ValueError(f"sample of {k} from a population of {len(pool)}")
        self.shuffle(pool)
        return pool[:k]

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The generator's full state (JSON-friendly) for save/load."""
        st = self._bitgen.state
        return {"seed": self.seed, "key": st["state"]["key"].tolist(), "pos": int(st["state"]["pos"])}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`; the stream continues where it was saved."""
        self.seed = int(state["seed"])
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.asarray(state["key"], dtype=np.uint32), "pos": int(state["pos"])},
        }
