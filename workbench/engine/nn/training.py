"""Mini-batch training and evaluation loops for classifiers (shared by tests, benchmarks and
experiments, so each reports the same numbers the same way)."""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..random import Generator
from ..tensor import Tensor
from .losses import cross_entropy
from .module import Module
from .optim import Optimizer


def train_epoch(model: Module, optimizer: Optimizer, x: Tensor, y: np.ndarray, batch_size: int,
                generator: Generator) -> float:
    """One pass over ``x`` (samples on the model's backend) in an order drawn from
    ``generator``; returns the mean cross-entropy over the epoch."""
    if len(y) != x.shape[0]:
        raise ValueError(f"{x.shape[0]} samples but {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 (got {batch_size})")
    model.train()
    order = generator.permutation(len(y)).astype(np.int32)
    labels = Tensor.from_numpy(np.asarray(y, dtype=np.int32), backend=x.backend)
    total = None
    for start in range(0, len(y), batch_size):
        batch = order[start:start + batch_size]
        index = Tensor.from_numpy(batch, backend=x.backend)
        loss = cross_entropy(model(x.take(index, axis=0)), labels.take(index, axis=0))
        optimizer.zero_grad()
        loss.backward()
        weighted = loss.detach() * float(len(batch))
        # Free the graph before the update: on OpenCL its lazily evaluated tensors that read the
        # parameters would otherwise have to be computed before the update overwrites them.
        del loss
        optimizer.step()
        total = weighted if total is None else total + weighted
    return total.item() / len(y)


def predict(model: Module, x: Tensor, batch_size: int = 1024) -> np.ndarray:
    """Predicted class (argmax of the outputs) per sample, in eval mode and without a graph."""
    model.eval()
    parts = []
    with no_grad():
        for start in range(0, x.shape[0], batch_size):
            parts.append(model(x[start:start + batch_size]).argmax(axis=1).numpy())
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)


def accuracy(model: Module, x: Tensor, y: np.ndarray) -> float:
    """Fraction of samples whose predicted class equals the label."""
    return float(np.mean(predict(model, x) == np.asarray(y)))
