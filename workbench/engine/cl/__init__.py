"""The OpenCL backend: device runtime, program cache and the kernels under ``kernels/``."""
