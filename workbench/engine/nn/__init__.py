"""Neural networks on the tensor engine: modules, layers, losses, optimisers, initialisation.

    >>> from workbench.engine import Tensor
    >>> from workbench.engine.nn import MLP, Adam, cross_entropy
    >>> model = MLP([4, 8, 3], "relu", seed=0)
    >>> opt = Adam(model.parameters(), lr=0.01)
    >>> loss = cross_entropy(model(Tensor([[0.0, 1.0, 2.0, 3.0]])), [2])
    >>> loss.backward(); opt.step(); opt.zero_grad()
"""

from .functional import log_softmax, softmax
from .layers import (MLP, Linear, ReLU, Sequential, Sigmoid, SparseBatch, SparseLinear, Tanh,
                     make_activation)
from .losses import cross_entropy, mse_loss
from .module import Module, Parameter
from .optim import SGD, Adam, Optimizer
from .training import accuracy, predict, train_epoch

__all__ = ["Module", "Parameter", "Linear", "SparseLinear", "SparseBatch", "ReLU", "Sigmoid", "Tanh",
           "Sequential", "MLP", "make_activation", "softmax", "log_softmax", "cross_entropy",
           "mse_loss", "Optimizer", "SGD", "Adam", "train_epoch", "predict", "accuracy"]
