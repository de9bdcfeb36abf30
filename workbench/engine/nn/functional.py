"""Softmax and log-softmax, composed from Tensor primitives so autograd differentiates them.

Both subtract the row maximum first: exp of a large logit overflows float32 at about 88, and the
shift changes neither result (softmax is invariant to adding a constant per row). The maximum is
detached because the shift's own gradient is exactly zero.
"""

from __future__ import annotations

from ..tensor import Tensor


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, as ``z - log(sum(exp(z)))`` with ``z = x - max(x)``."""
    z = x - x.max(axis=axis, keepdims=True).detach()
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, max-subtracted."""
    e = (x - x.max(axis=axis, keepdims=True).detach()).exp()
    return e / e.sum(axis=axis, keepdims=True)
