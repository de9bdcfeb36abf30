"""scikit-learn's handwritten digits (1,797 8x8 images, 10 classes) with a fixed split.

The set ships inside scikit-learn, so it needs no download: the quickest real data for a small
network. The split is a seeded shuffle taking the same fraction of every class into the test
part (stratified), so accuracies are comparable run after run and between backends.
"""

from __future__ import annotations

import numpy as np

from ..random import Generator
from .split import DataSplit


def load_digits_split(test_fraction: float = 0.2, seed: int = 0) -> DataSplit:
    """Digits as float32 pixels scaled to [0, 1] (shape (n, 64)) and int64 labels.

    With the defaults: 1,438 training and 359 test samples, the same ones on every call.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (got {test_fraction})")
    try:
        from sklearn.datasets import load_digits  # noqa: PLC0415 - optional, heavy import
    except ImportError as exc:
        raise ImportError("the digits data set comes with scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    rng = Generator(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        picked = rng.permutation(members)[: int(round(test_fraction * members.size))]
        test[picked] = True
    train_order = rng.permutation(np.flatnonzero(~test))
    test_order = np.flatnonzero(test)
    return DataSplit(x[train_order], y[train_order], x[test_order], y[test_order])
