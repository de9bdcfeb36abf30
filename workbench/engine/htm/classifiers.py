"""Classifiers that read SDRs (HTM_SPEC.md, "Classifiers and anomaly").

Three readers with one API, so an experiment can swap them: ``infer(pattern)`` returns class
probabilities and ``learn(pattern, labels)`` trains on one record. A pattern is an :class:`SDR`
or an array of active bit indices.

- :class:`SDRClassifier`: softmax regression without bias, in float64, on the host.
- :class:`Predictor`: one SDRClassifier per horizon n, each trained with the pattern seen n
  records earlier, so it predicts n steps ahead.
- :class:`MLPClassifier`: the same inputs through hidden layers, trained online by the engine's
  autograd on any backend, with a SparseLinear first layer (an SDR classifier "is in fact a
  simple 2 layer MLP", as the spec quotes).
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..autograd import no_grad
from ..dtypes import DEFAULT_FLOAT, as_dtype
from ..nn import SGD, Adam, Linear, Sequential, SparseLinear, cross_entropy, make_activation, softmax
from ..nn.layers import ACTIVATIONS, init_scheme_for
from ..nn.init import as_generator
from ..state import state_array
from ..tensor import Tensor
from .sdr import SDR

Pattern = SDR | np.ndarray | Sequence[int]
Labels = int | Iterable[int]


def active_bits(pattern: Pattern) -> np.ndarray:
    """The active bit indices of ``pattern`` (an SDR, or unique non-negative integers)."""
    if isinstance(pattern, SDR):
        return pattern.sparse.astype(np.intp)
    bits = np.asarray(pattern)
    if bits.size == 0:
        return np.empty(0, dtype=np.intp)
    if bits.ndim != 1 or bits.dtype.kind not in "iu":
        raise ValueError(f"a pattern is an SDR or a 1-D array of integer bit indices "
                         f"(got {bits.dtype} of shape {bits.shape})")
    if bits.min() < 0:
        raise ValueError(f"bit indices must be >= 0 (got {bits.min()})")
    if np.unique(bits).size != bits.size:
        raise ValueError("bit indices repeat; each active bit may appear once")
    return bits.astype(np.intp)


def label_set(labels: Labels) -> np.ndarray:
    """Labels as sorted unique non-negative ints; at least one is needed to learn."""
    if isinstance(labels, (int, np.integer)) and not isinstance(labels, bool) and labels >= 0:
        return np.array([labels], dtype=np.intp)  # the usual case, one label
    array = np.unique(np.atleast_1d(np.asarray(labels)))
    if array.size == 0:
        raise ValueError("learn() needs at least one label")
    if array.dtype.kind not in "iu" or array.min() < 0:
        raise ValueError(f"labels must be non-negative integers (got {np.asarray(labels).tolist()})")
    return array.astype(np.intp)


def target_distribution(labels: np.ndarray, num_categories: int) -> np.ndarray:
    """The spec's target: 1/|labels| for every label, 0 elsewhere."""
    target = np.zeros(num_categories, dtype=np.float64)
    target[labels] = 1.0 / labels.size
    return target


class SDRClassifier:
    """Softmax regression without bias (spec: "SDRClassifier").

    ``p = softmax(sum of W[i] over active bits i)``, max-subtracted; learning adds
    ``alpha * (target - p)`` to the rows of the active bits. ``W`` (float64) grows on demand:
    new categories and input bits start at zero weight, which is also what a bit never seen
    contributes, so growth changes no probability.

    W lives in the top-left corner of a larger zero array, so that growing by a few rows or one
    more category (a new highest label) seldom copies it all: rows grow by at least an eighth,
    columns by at least half. The spare columns stay zero: sums run over whole rows (a
    contiguous gather) and are cut to the categories before the softmax, and learning adds 0
    to them.
    """

    def __init__(self, alpha: float = 0.001) -> None:
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0 (got {alpha})")
        self.alpha = float(alpha)
        self._storage = np.zeros((0, 0), dtype=np.float64)
        self._rows = 0
        self._categories = 0

    @property
    def weights(self) -> np.ndarray:
        """W, (input bits seen so far, categories), read-only."""
        view = self._storage[:self._rows, :self._categories]
        view.flags.writeable = False
        return view

    @property
    def num_categories(self) -> int:
        return self._categories

    def infer(self, pattern: Pattern) -> np.ndarray:
        """Probability of each category (empty before anything was learned)."""
        return self._probabilities(active_bits(pattern))

    def learn(self, pattern: Pattern, labels: Labels) -> None:
        """One update towards ``labels`` (one int or several sharing the target mass)."""
        self._learn(active_bits(pattern), label_set(labels))

    def _learn(self, bits: np.ndarray, labels: np.ndarray) -> None:
        """:meth:`learn` on bits and labels already checked by :func:`active_bits` and
        :func:`label_set` (the Predictor checks a pattern once for all its horizons)."""
        self._grow(int(bits.max()) + 1 if bits.size else 0, int(labels.max()) + 1)
        error = target_distribution(labels, self._categories) - self._probabilities(bits, True)
        step = np.zeros(self._storage.shape[1], dtype=np.float64)
        step[:self._categories] = self.alpha * error
        updated = self._storage.take(bits, axis=0)
        updated += step
        self._storage[bits] = updated

    def _probabilities(self, bits: np.ndarray, all_seen: bool = False) -> np.ndarray:
        """Softmax of the summed rows of ``bits`` (checked bits; ``all_seen``: every one has a
        row). The rows are added one after another in the order of ``bits``, so the rounding
        is the same whatever reads them."""
        if self._categories == 0:
            return np.empty(0, dtype=np.float64)
        known = bits if all_seen else bits[bits < self._rows]  # unseen: zero weights
        z = self._storage.take(known, axis=0).sum(axis=0)[:self._categories]
        e = np.exp(z - z.max())
        return e / e.sum()

    def _grow(self, rows: int, categories: int) -> None:
        """Make W at least ``rows`` x ``categories``."""
        rows, categories = max(rows, self._rows), max(categories, self._categories)
        held_rows, held_columns = self._storage.shape
        if rows > held_rows or categories > held_columns:
            grown = np.zeros((max(rows, held_rows + held_rows // 8) if rows > held_rows else held_rows,
                              max(categories, held_columns + held_columns // 2)
                              if categories > held_columns else held_columns), dtype=np.float64)
            grown[:self._rows, :self._categories] = self.weights
            self._storage = grown
        self._rows, self._categories = rows, categories

    def state_dict(self) -> dict:
        return {"alpha": self.alpha, "weights": state_array(self.weights)}

    def load_state_dict(self, state: Mapping) -> None:
        weights = np.asarray(state["weights"], dtype=np.float64)
        if weights.ndim != 2:
            raise ValueError(f"SDRClassifier weights must be 2-D (got shape {weights.shape})")
        alpha = float(state["alpha"])
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0 (got {alpha})")
        self.alpha, self._storage = alpha, weights.copy()
        self._rows, self._categories = weights.shape


class Predictor:
    """One :class:`SDRClassifier` per horizon n in ``steps``, predicting n records ahead.

    ``learn(pattern, labels, record)`` trains classifier n on the pattern of record
    ``record - n`` with the current labels. Records are matched by number, not position: when
    numbers skip (missing data), a horizon whose earlier record is missing does not learn.
    """

    def __init__(self, steps: Iterable[int] = (1,), alpha: float = 0.001) -> None:
        steps = sorted({int(n) for n in steps})
        if not steps or steps[0] < 0:
            raise ValueError(f"steps must be one or more horizons >= 0 (got {steps})")
        self.steps = tuple(steps)
        self.classifiers = {n: SDRClassifier(alpha) for n in self.steps}
        self._history: deque[tuple[int, np.ndarray]] = deque()
        self._last_record: int | None = None

    def reset(self) -> None:
        """Forget earlier records (a new sequence starts; record numbers may start again)."""
        self._history.clear()
        self._last_record = None

    def infer(self, pattern: Pattern) -> dict[int, np.ndarray]:
        """For each horizon n, the probabilities of the category n records from now."""
        bits = active_bits(pattern)
        return {n: c._probabilities(bits) for n, c in self.classifiers.items()}

    def learn(self, pattern: Pattern, labels: Labels, record: int | None = None) -> None:
        """Store ``pattern`` as record ``record`` (default: the previous one + 1) and train each
        horizon n with the pattern of record ``record - n``, if there was one."""
        record = self._next_record(record)
        bits, labels = active_bits(pattern), label_set(labels)
        self._history.append((record, bits))
        while self._history[0][0] < record - self.steps[-1]:
            self._history.popleft()
        earlier = dict(self._history)
        for n, classifier in self.classifiers.items():
            if record - n in earlier:
                classifier._learn(earlier[record - n], labels)
        self._last_record = record

    def _next_record(self, record: int | None) -> int:
        if record is None:
            return 0 if self._last_record is None else self._last_record + 1
        record = int(record)
        if self._last_record is not None and record <= self._last_record:
            raise ValueError(f"record numbers must increase (got {record} after {self._last_record}); "
                             f"call reset() to start a new sequence")
        return record

    def state_dict(self) -> dict:
        return {"steps": list(self.steps), "last_record": self._last_record,
                "history": [(r, state_array(b)) for r, b in self._history],
                "classifiers": {n: c.state_dict() for n, c in self.classifiers.items()}}

    def load_state_dict(self, state: Mapping) -> None:
        steps = tuple(int(n) for n in state["steps"])
        if steps != self.steps:
            raise ValueError(f"saved predictor has steps {steps}, this one {self.steps}")
        for n in self.steps:
            self.classifiers[n].load_state_dict(state["classifiers"][n])
        self._history = deque((int(r), np.asarray(b, dtype=np.intp).copy()) for r, b in state["history"])
        last = state["last_record"]
        self._last_record = None if last is None else int(last)


class MLPClassifier:
    """SDR in, category probabilities out: SparseLinear, then hidden Linear layers, trained
    online (one step of the optimiser per ``learn``) by autograd on ``backend``.

    With no hidden layers, no bias, plain SGD at rate alpha and zero initial weights it takes
    exactly the SDRClassifier's step: the gradient of cross-entropy with respect to the logits
    is ``p - target``.
    """

    def __init__(self, input_size: int, num_categories: int, hidden_sizes: Sequence[int] = (128,),
                 *, seed: int, activation: str = "relu", learning_rate: float = 0.01,
                 optimizer: str = "adam", bias: bool = True, dtype: object = DEFAULT_FLOAT,
                 backend: object = "numpy") -> None:
        if input_size < 1 or num_categories < 1:
            raise ValueError(f"input_size and num_categories must be >= 1 (got {input_size}, "
                             f"{num_categories})")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd' (got {optimizer!r})")
        self.config = {"input_size": int(input_size), "num_categories": int(num_categories),
                       "hidden_sizes": [int(h) for h in hidden_sizes], "activation": activation,
                       "learning_rate": float(learning_rate), "optimizer": optimizer, "bias": bool(bias),
                       "dtype": as_dtype(dtype).name}
        sizes = [int(input_size), *self.config["hidden_sizes"], int(num_categories)]
        rng = as_generator(seed)
        scheme = init_scheme_for(activation)
        layers = [SparseLinear(sizes[0], sizes[1], seed=rng, bias=bias, init_scheme=scheme,
                               dtype=dtype, backend=backend)]
        for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
            layers += [make_activation(activation),
                       Linear(n_in, n_out, seed=rng, bias=bias, init_scheme=scheme, dtype=dtype,
                              backend=backend)]
        self.model = Sequential(*layers)
        self._input: SparseLinear = layers[0]
        params = self.model.parameters()
        make = Adam if optimizer == "adam" else SGD
        self.optimizer = make(params, lr=learning_rate)

    @property
    def num_categories(self) -> int:
        return self.config["num_categories"]

    def _logits(self, pattern: Pattern) -> Tensor:
        bits = active_bits(pattern)
        return self.model(self._input.batch([bits]))

    def infer(self, pattern: Pattern) -> np.ndarray:
        """Probability of each of the ``num_categories`` categories (float64)."""
        self.model.eval()
        with no_grad():
            return softmax(self._logits(pattern), axis=1).numpy()[0].astype(np.float64)

    def learn(self, pattern: Pattern, labels: Labels) -> None:
        """One optimiser step on the cross-entropy to the spec's target (1/|labels| each)."""
        labels = label_set(labels)
        if labels.max() >= self.num_categories:
            raise ValueError(f"label {labels.max()} is outside the {self.num_categories} categories "
                             f"this MLPClassifier was built for")
        self.model.train()
        logits = self._logits(pattern)
        target = target_distribution(labels, self.num_categories).reshape(1, -1)
        loss = cross_entropy(logits, Tensor.from_numpy(target, backend=logits.backend, dtype=logits.dtype))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def state_dict(self) -> dict:
        return {"config": dict(self.config), "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: Mapping) -> None:
        if dict(state["config"]) != self.config:
            raise ValueError(f"saved MLPClassifier was built with {dict(state['config'])}, this one "
                             f"with {self.config}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
