"""The stable argsort by 16-bit digits (workbench/engine/htm/radix.py) against numpy's stable
argsort: same permutation, ties in input order, at every digit count."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.htm.radix import argsort_below


BOUNDS = [1, 2, 1 << 16, (1 << 16) + 1, 1 << 21, 1 << 31, 1 << 32, 1 << 41, 1 << 63]


@pytest.mark.parametrize("bound, dtype", [(b, d) for b in BOUNDS for d in (np.int64, np.uint64)]
                         + [(b, np.int32) for b in BOUNDS if b <= 1 << 31])
@pytest.mark.parametrize("n", [0, 5, 2999, 3000, 40_000])
def test_equals_numpys_stable_argsort(bound, n, dtype):
    gen = np.random.default_rng(bound % 1000 + n)
    high = gen.integers(0, bound, 8, dtype=np.uint64) if bound > 1 else np.zeros(8, np.uint64)
    keys = high[gen.integers(0, 8, n)].astype(dtype)  # few distinct values: many ties
    keys[: n // 2] = gen.integers(0, bound, n // 2, dtype=np.uint64).astype(dtype)
    keys[-1:] = bound - 1  # the largest key, which needs every digit
    got = argsort_below(keys, bound)
    assert np.array_equal(got, np.argsort(keys, kind="stable"))


def test_refuses_non_integers():
    with pytest.raises(TypeError, match="argsort_below sorts integers"):
        argsort_below(np.array([0.5, 1.5]), 2)
