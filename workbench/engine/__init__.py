"""The engine: tensors on numpy or OpenCL, autograd, nn, HTM layers and RL agents. No Qt here.

    >>> from workbench.engine import Tensor, no_grad
    >>> x = Tensor([[1.0, 2.0]], backend="numpy", requires_grad=True)
    >>> (x * x).sum().backward(); x.grad.numpy().tolist()
    [[2.0, 4.0]]
"""

from .autograd import no_grad
from .backend import available_backends, get_backend
from .random import Generator
from .tensor import Tensor

__all__ = ["Tensor", "Generator", "no_grad", "get_backend", "available_backends"]
