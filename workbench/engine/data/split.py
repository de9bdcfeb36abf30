"""A labelled data set already divided into training and test parts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DataSplit:
    """Inputs ``x_*`` (one sample per row of the first axis) and integer labels ``y_*``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(initial=-1), self.y_test.max(initial=-1))) + 1

    def flattened(self) -> "DataSplit":
        """The same split with every sample flattened to a vector (images to pixel rows)."""
        return DataSplit(self.x_train.reshape(len(self.x_train), -1), self.y_train,
                         self.x_test.reshape(len(self.x_test), -1), self.y_test)

    def standardized(self, min_std: float = 0.1) -> "DataSplit":
        """Inputs shifted and scaled per feature by the training part's mean and standard
        deviation (the test part never leaks into the statistics). Deviations are floored at
        ``min_std`` so that features almost constant in training (border pixels) are not blown
        up into noise."""
        x_train = self.x_train.astype(np.float32)
        mean = x_train.mean(axis=0)
        scale = np.maximum(x_train.std(axis=0), np.float32(min_std))
        return DataSplit(((x_train - mean) / scale).astype(np.float32), self.y_train,
                         ((self.x_test.astype(np.float32) - mean) / scale).astype(np.float32),
                         self.y_test)
