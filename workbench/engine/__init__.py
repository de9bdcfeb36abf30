"""The engine: tensors on numpy or OpenCL, autograd, nn, HTM layers and RL agents. No Qt here."""
