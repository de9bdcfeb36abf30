"""Observation spaces: value ranges per dimension, and observations as network inputs.

Both agents need a scale for every observation dimension: the HTM encoders place a value on a
range of bits, and a network learns fastest from inputs of order 1. A gymnasium ``Box`` gives
finite bounds for some dimensions and +-inf for others (CartPole's velocities); those need
bounds from the user or from :data:`KNOWN_BOUNDS`, and values beyond them are clipped by the
encoders.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

# Ranges that matter in practice, where the Box's own bounds are infinite or much wider than the
# states an episode can reach. CartPole ends when |x| > 2.4 or |angle| > 0.2095 rad, so its Box
# (|x| <= 4.8, |angle| <= 0.42) is twice too wide; its velocities stay within these bounds in
# almost every episode.
KNOWN_BOUNDS: dict[str, tuple[tuple[float, float], ...]] = {
    "CartPole": ((-2.4, 2.4), (-3.0, 3.0), (-0.21, 0.21), (-3.5, 3.5)),
}


def family(env_id: str) -> str:
    """``"CartPole-v1"`` -> ``"CartPole"`` (the id without namespace and version)."""
    name = env_id.split("/")[-1]
    return name.rsplit("-v", 1)[0]


def parse_numbers(text: str, what: str, count: int | None = None) -> list[float]:
    """``"0, 0.5, -1"`` -> [0.0, 0.5, -1.0]; other text is refused with a message naming ``what``."""
    parts = [p for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{what}: expected comma-separated numbers (got {text!r})") from None
    if count is not None and len(values) != count:
        raise ValueError(f"{what}: expected {count} numbers, one per observation dimension "
                         f"(got {len(values)} in {text!r})")
    return values


def parse_bounds(text: str, count: int) -> list[tuple[float, float]] | None:
    """``"-2.4:2.4, -3:3"`` -> one (low, high) pair per observation dimension; None when empty."""
    if not str(text).strip():
        return None
    pairs: list[tuple[float, float]] = []
    for part in str(text).replace(";", ",").split(","):
        low, sep, high = part.partition(":")
        try:
            if not sep:
                raise ValueError
            pair = (float(low), float(high))
        except ValueError:
            raise ValueError(f"bounds: expected low:high per dimension, comma-separated, e.g. "
                             f"'-2.4:2.4, -3:3' (got {part.strip()!r})") from None
        if not (np.isfinite(pair).all() and pair[0] < pair[1]):
            raise ValueError(f"bounds: need finite low < high (got {part.strip()!r})")
        pairs.append(pair)
    if len(pairs) != count:
        raise ValueError(f"bounds: the observation has {count} dimensions; got {len(pairs)} "
                         f"low:high pairs")
    return pairs


def box_bounds(space: Any, env_id: str = "",
               given: Sequence[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """(low, high) for every dimension of a 1-D Box: ``given`` if any, else the known ranges of
    the environment family, else the Box's bounds, which must then be finite."""
    if len(space.shape) != 1:
        raise ValueError(f"only flat (1-D) Box observations are supported (got shape {space.shape})")
    n = int(space.shape[0])
    if given is not None:
        if len(given) != n:
            raise ValueError(f"bounds: the observation has {n} dimensions; got {len(given)} pairs")
        return [(float(lo), float(hi)) for lo, hi in given]
    known = KNOWN_BOUNDS.get(family(env_id))
    if known is not None and len(known) == n:
        return [tuple(map(float, b)) for b in known]
    low, high = np.asarray(space.low, dtype=np.float64), np.asarray(space.high, dtype=np.float64)
    unbounded = [i for i in range(n) if not (np.isfinite(low[i]) and np.isfinite(high[i]))]
    if unbounded:
        raise ValueError(f"observation dimensions {unbounded} of {env_id or 'this environment'} have "
                         f"infinite bounds; give bounds for every dimension as low:high pairs, "
                         f"e.g. '{', '.join('-1:1' for _ in range(n))}'")
    return list(zip(low.tolist(), high.tolist()))


class ObservationScaler:
    """Observations as float32 network inputs: a Box scaled so that its bounds map to -1 and +1
    (values beyond them are kept, not clipped: a network extrapolates), a Discrete state as a
    one-hot vector (states have no order a network should assume)."""

    def __init__(self, space: Any, env_id: str = "",
                 bounds: Sequence[tuple[float, float]] | None = None) -> None:
        import gymnasium  # noqa: PLC0415

        if isinstance(space, gymnasium.spaces.Discrete):
            self.discrete = True
            self.size = int(space.n)
            self._start = int(space.start)
        elif isinstance(space, gymnasium.spaces.Box):
            self.discrete = False
            pairs = np.asarray(box_bounds(space, env_id, bounds), dtype=np.float64)
            self.size = len(pairs)
            self._middle = ((pairs[:, 0] + pairs[:, 1]) / 2).astype(np.float32)
            self._half = ((pairs[:, 1] - pairs[:, 0]) / 2).astype(np.float32)
        else:
            raise ValueError(f"observations of type {type(space).__name__} are not supported; "
                             "use an environment with a Box or Discrete observation space")

    def __call__(self, observation: Any) -> np.ndarray:
        if self.discrete:
            vector = np.zeros(self.size, dtype=np.float32)
            vector[int(observation) - self._start] = 1.0
            return vector
        return (np.asarray(observation, dtype=np.float32) - self._middle) / self._half
