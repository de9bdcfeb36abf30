"""The OpenCL matmul against PyTorch's float32 matmul (TF32 off) on the same NVIDIA card, at
4096 x 4096 x 4096, measured side by side in one process (issue "Performance": target >= 40 %).
PyTorch is a reference here, never a dependency: without torch and a CUDA device this module
reports nothing.
"""

from __future__ import annotations

import time

import numpy as np

from workbench.engine.backend import get_backend
from workbench.engine.tensor import Tensor

SIZE = 4096
REPEATS = 10


def _torch_gflops(n: int) -> tuple[str, float] | None:
    try:
        import torch  # noqa: PLC0415 - optional reference
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    a = torch.rand(n, n, device="cuda", dtype=torch.float32)
    b = torch.rand(n, n, device="cuda", dtype=torch.float32)
    for _ in range(3):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(REPEATS):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / REPEATS
    return torch.cuda.get_device_name(0), 2 * n**3 / seconds / 1e9


def _ours_gflops(backend: str, n: int) -> float:
    be = get_backend(backend)
    rng = np.random.default_rng(0)
    a = Tensor(rng.random((n, n), dtype=np.float32), backend=be)
    b = Tensor(rng.random((n, n), dtype=np.float32), backend=be)
    for _ in range(3):
        (a @ b).numpy()
    be.runtime.queue.finish()
    start = time.perf_counter()
    for _ in range(REPEATS):
        c = a @ b
    be.runtime.queue.finish()
    seconds = (time.perf_counter() - start) / REPEATS
    del c
    return 2 * n**3 / seconds / 1e9


def run(backends: list[str], quick: bool = False) -> list[dict]:
    n = 1024 if quick else SIZE
    reference = _torch_gflops(n)
    if reference is None:
        return []
    card, torch_gflops = reference
    rows = []
    for name in backends:
        be = get_backend(name)
        if not getattr(be, "is_opencl", False) or not be.runtime.is_gpu:
            continue
        ours = _ours_gflops(name, n)
        rows.append({"bench": f"matmul {n}^3 float32", "card": card, "backend": name,
                     "opencl GFLOP/s": ours, "torch (TF32 off) GFLOP/s": torch_gflops,
                     "fraction of torch": ours / torch_gflops})
    return rows
