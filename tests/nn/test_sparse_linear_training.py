"""SparseLinear (the fused Tensor.sum_rows) trains exactly like a dense Linear fed the 0/1 SDR:
same weights step after step under Adam, with ragged batches given as index lists or as a
padded index tensor already on the backend."""

from __future__ import annotations

import numpy as np

from workbench.engine import Tensor
from workbench.engine.nn import Adam, Linear, ReLU, Sequential, SparseBatch, SparseLinear, cross_entropy


def test_sparse_and_dense_first_layers_train_alike(backend_name):
    size, hidden, classes, batch = 200, 16, 3, 8
    rng = np.random.default_rng(4)
    counts = rng.integers(5, 21, batch)
    rows = [np.sort(rng.choice(size, c, replace=False)) for c in counts]
    dense_x = np.zeros((batch, size), np.float32)
    for b, r in enumerate(rows):
        dense_x[b, r] = 1.0
    labels = rng.integers(0, classes, batch)

    def model(first):
        return Sequential(first(size, hidden, seed=5, backend=backend_name), ReLU(),
                          Linear(hidden, classes, seed=6, backend=backend_name))

    sparse, dense = model(SparseLinear), model(Linear)
    padded = np.zeros((batch, counts.max()), np.int32)
    for b, r in enumerate(rows):
        padded[b, :r.size] = r
    inputs = [(rows, Tensor(dense_x, backend=backend_name)),
              (SparseBatch.from_padded(Tensor(padded, backend=backend_name), counts),
               Tensor(dense_x, backend=backend_name))]
    opt_s, opt_d = Adam(sparse.parameters(), lr=0.05), Adam(dense.parameters(), lr=0.05)
    for step in range(6):
        sparse_in, dense_in = inputs[step % 2]
        for net, opt, x in ((sparse, opt_s, sparse_in), (dense, opt_d, dense_in)):
            opt.zero_grad()
            loss = cross_entropy(net(x), labels)
            loss.backward()
            opt.step()
        for (name, p_s), (_, p_d) in zip(sparse.named_parameters(), dense.named_parameters()):
            np.testing.assert_allclose(p_s.numpy(), p_d.numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} after step {step}")
    first = sparse[0].weight.numpy()
    untouched = np.setdiff1d(np.arange(size), np.concatenate(rows))
    np.testing.assert_array_equal(first[untouched],
                                  SparseLinear(size, hidden, seed=5).weight.numpy()[untouched])
