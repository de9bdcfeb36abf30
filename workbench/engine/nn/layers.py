"""Layers: Linear, SparseLinear (for SDR inputs), activations, Sequential and MLP.

Weights are stored (in_features, out_features), so ``y = x @ W + b`` needs no transpose and row
``i`` of ``W`` is what input bit ``i`` adds to the output: SparseLinear sums exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from ..backend import get_backend
from ..dtypes import DEFAULT_FLOAT
from ..random import Generator
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

ACTIVATIONS = ("relu", "sigmoid", "tanh")


class Linear(Module):
    """``y = x @ weight + bias`` with weight (in_features, out_features)."""

    def __init__(self, in_features: int, out_features: int, *, seed: int | Generator,
                 bias: bool = True, init_scheme: str = "kaiming", dtype: object = DEFAULT_FLOAT,
                 backend: object = "numpy") -> None:
        super().__init__()
        self.in_features, self.out_features = _features(in_features, out_features)
        self.weight = Parameter(init.weight(init_scheme, in_features, out_features, seed, dtype, backend))
        self.bias = Parameter(Tensor.zeros((out_features,), dtype, backend)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear expects inputs with {self.in_features} features in the last "
                             f"axis (got shape {x.shape})")
        y = x @ self.weight
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


@dataclass(frozen=True)
class SparseBatch:
    """Active input indices of a batch, ready for :class:`SparseLinear`.

    ``indices`` is (batch, k) int32, one row of active bits per sample, padded with bit 0 where
    a sample has fewer than ``k`` bits; ``counts`` (batch,) int32 says how many bits of each
    row are real, and is None when every sample has exactly ``k`` bits (SDRs of fixed sparsity).
    """

    indices: Tensor
    counts: Tensor | None

    @property
    def batch_size(self) -> int:
        return self.indices.shape[0]

    @property
    def mask(self) -> Tensor | None:
        """(batch, 1, k): 1.0 for real bits, 0.0 for padding (None when no row is padded), for
        ops on the padded indices that must ignore the padding."""
        if self.counts is None:
            return None
        batch, k = self.indices.shape
        real = np.arange(k)[None, :] < self.counts.numpy()[:, None]
        return Tensor.from_numpy(real.reshape(batch, 1, k), backend=self.indices.backend,
                                 dtype=DEFAULT_FLOAT)

    @staticmethod
    def from_padded(indices: Tensor, counts: Sequence[int] | np.ndarray | None = None) -> "SparseBatch":
        """A batch from a padded (batch, k) int32 index tensor already on its backend (e.g. a
        layer's output kept on the device), with the number of real bits in each row; without
        ``counts`` every row is full. Padding entries must still be valid bit indices."""
        if indices.ndim != 2 or indices.dtype not in (np.int32, np.uint32):
            raise ValueError(f"padded indices must be a (batch, k) int32 tensor (got {indices.dtype} "
                             f"of shape {indices.shape})")
        if counts is None:
            return SparseBatch(indices, None)
        batch, k = indices.shape
        counts = np.asarray(counts)
        if counts.shape != (batch,) or counts.min(initial=0) < 0 or counts.max(initial=0) > k:
            raise ValueError(f"counts must be {batch} integers in 0..{k} (got {counts.tolist()})")
        if np.all(counts == k):
            return SparseBatch(indices, None)
        return SparseBatch(indices, Tensor.from_numpy(counts.astype(np.int32), backend=indices.backend))

    @staticmethod
    def from_indices(active: Sequence[object] | np.ndarray, in_features: int,
                     backend: object = "numpy") -> "SparseBatch":
        """Build a batch from one index array per sample (lists, arrays or SDR ``.sparse``), or
        a 2-D integer array with one equal-length row per sample. Indices must be unique within
        a sample (an SDR's are): a repeated bit would be counted twice."""
        backend = get_backend(backend)
        if isinstance(active, np.ndarray) and active.ndim == 2:
            rows = list(active)
        else:
            rows = [np.asarray(a) for a in active]
        if not rows:
            raise ValueError("a sparse batch needs at least one sample")
        counts = [_check_row(r, in_features, i) for i, r in enumerate(rows)]
        k = max(max(counts), 1)
        padded = np.zeros((len(rows), k), dtype=np.int32)
        for i, r in enumerate(rows):
            padded[i, :r.size] = r
        return SparseBatch.from_padded(Tensor.from_numpy(padded, backend=backend), counts)


class SparseLinear(Module):
    """A Linear layer whose input is the set of active bits of a binary vector (an SDR).

    ``x @ W`` for a 0/1 row ``x`` is the sum of the rows of ``W`` at its active bits, so the
    forward pass sums those rows (:meth:`Tensor.sum_rows`, one fused op), costing
    O(active bits x outputs) instead of O(input bits x outputs); its gradient adds the output
    gradient straight into the rows that were active and is zero in all others. Weights and
    initialisation equal :class:`Linear`'s, so a SparseLinear and a Linear built from one seed
    compute the same thing.
    """

    def __init__(self, in_features: int, out_features: int, *, seed: int | Generator,
                 bias: bool = True, init_scheme: str = "kaiming", dtype: object = DEFAULT_FLOAT,
                 backend: object = "numpy") -> None:
        super().__init__()
        self.in_features, self.out_features = _features(in_features, out_features)
        self.weight = Parameter(init.weight(init_scheme, in_features, out_features, seed, dtype, backend))
        self.bias = Parameter(Tensor.zeros((out_features,), dtype, backend)) if bias else None

    def batch(self, active: Sequence[object] | np.ndarray) -> SparseBatch:
        """``active`` (index arrays, one per sample) as a :class:`SparseBatch` for this layer."""
        return SparseBatch.from_indices(active, self.in_features, self.weight.backend)

    def forward(self, active: SparseBatch | Sequence[object] | np.ndarray) -> Tensor:
        batch = active if isinstance(active, SparseBatch) else self.batch(active)
        y = self.weight.sum_rows(batch.indices, batch.counts)
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


def make_activation(name: str) -> Module:
    """The activation module called ``name`` ("relu", "sigmoid" or "tanh")."""
    table = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return table[name]()


def init_scheme_for(activation_name: str) -> str:
    """Kaiming for ReLU, Xavier for the saturating activations (what each was derived for)."""
    return "kaiming" if activation_name == "relu" else "xavier"


class Sequential(Module):
    """Modules applied one after another; children are named "0", "1", ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules (argument {i} is {type(m).__name__})")
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class MLP(Sequential):
    """Linear layers of the given ``sizes`` with ``activation`` between them (not after the last).

    ``MLP([64, 128, 10], "relu", seed=0)`` is Linear(64, 128), ReLU, Linear(128, 10): it returns
    logits. All layers draw their weights, in order, from one generator seeded by ``seed``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", *, seed: int | Generator,
                 bias: bool = True, dtype: object = DEFAULT_FLOAT, backend: object = "numpy") -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"an MLP needs at least an input and an output size (got {sizes})")
        scheme = init_scheme_for(activation)
        rng = init.as_generator(seed)
        modules: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i:
                modules.append(make_activation(activation))
            modules.append(Linear(n_in, n_out, seed=rng, bias=bias, init_scheme=scheme, dtype=dtype,
                                  backend=backend))
        super().__init__(*modules)
        self.sizes = tuple(sizes)
        self.activation = activation

    def extra_repr(self) -> str:
        return f"sizes={list(self.sizes)}, activation={self.activation!r}"


def _features(in_features: int, out_features: int) -> tuple[int, int]:
    if in_features < 1 or out_features < 1:
        raise ValueError(f"in_features and out_features must be >= 1 (got {in_features}, {out_features})")
    return int(in_features), int(out_features)


def _check_row(row: np.ndarray, in_features: int, sample: int) -> int:
    if row.ndim != 1:
        raise ValueError(f"sample {sample}: active indices must be one-dimensional (got shape {row.shape})")
    if row.size == 0:
        return 0
    if row.dtype.kind not in "iu":
        raise TypeError(f"sample {sample}: active indices must be integers (got {row.dtype})")
    if row.min() < 0 or row.max() >= in_features:
        bad = row.min() if row.min() < 0 else row.max()
        raise ValueError(f"sample {sample}: active index {bad} is outside 0..{in_features - 1}")
    if np.unique(row).size != row.size:
        raise ValueError(f"sample {sample}: active indices repeat; each bit may appear once")
    return int(row.size)
