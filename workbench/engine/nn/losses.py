"""Losses: cross-entropy on logits and mean squared error, both averaged over the batch."""

from __future__ import annotations

import numpy as np

from ..dtypes import is_float
from ..tensor import Tensor
from .functional import log_softmax


def cross_entropy(logits: Tensor, labels: object) -> Tensor:
    """Mean over the batch of ``-log softmax(logits)[label]``.

    ``logits`` is (batch, classes). ``labels`` is either integer class indices of shape (batch,)
    (a Tensor on the same backend, or anything numpy can read), or a float Tensor of target
    probabilities shaped like ``logits`` (rows summing to 1, e.g. several labels sharing the
    mass), which gives ``-sum(target * log softmax(logits))`` per row.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy needs logits of shape (batch, classes) (got {logits.shape})")
    batch, classes = logits.shape
    log_p = log_softmax(logits, axis=1)
    if isinstance(labels, Tensor) and is_float(labels.dtype):
        if labels.shape != logits.shape:
            raise ValueError(f"target probabilities have shape {labels.shape}, logits {logits.shape}")
        return -(log_p * labels).sum() / float(batch)
    index = _class_indices(labels, batch, classes, logits)
    return -log_p.take_along_axis(index.reshape(batch, 1), axis=1).sum() / float(batch)


def mse_loss(prediction: Tensor, target: object) -> Tensor:
    """Mean over every element of ``(prediction - target) ** 2``."""
    target = target if isinstance(target, Tensor) else \
        Tensor.from_numpy(np.asarray(target), backend=prediction.backend, dtype=prediction.dtype)
    if target.shape != prediction.shape:
        raise ValueError(f"mse_loss: prediction shape {prediction.shape} differs from target "
                         f"shape {target.shape}")
    diff = prediction - target
    return (diff * diff).sum() / float(max(diff.size, 1))


def _class_indices(labels: object, batch: int, classes: int, like: Tensor) -> Tensor:
    """Integer labels as an int32 tensor on ``like``'s backend, checked on the host when given
    there (a device tensor is trusted: reading it back would cost a synchronisation)."""
    if isinstance(labels, Tensor):
        if labels.dtype.kind not in "iu":
            raise TypeError(f"class labels must be integers (got {labels.dtype})")
        if labels.shape != (batch,):
            raise ValueError(f"labels have shape {labels.shape}, expected ({batch},)")
        return labels
    array = np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise TypeError(f"class labels must be integers (got {array.dtype})")
    if array.shape != (batch,):
        raise ValueError(f"labels have shape {array.shape}, expected ({batch},)")
    if array.size and (array.min() < 0 or array.max() >= classes):
        bad = array.min() if array.min() < 0 else array.max()
        raise ValueError(f"label {bad} is outside the {classes} classes of the logits")
    return Tensor.from_numpy(array.astype(np.int32), backend=like.backend)
