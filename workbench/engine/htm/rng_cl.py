"""Raw draws of a :class:`~.rng.CompatRNG` generated on an OpenCL device (kernels/mt19937.cl).

A Temporal Memory learning step at 65,536 columns spends about 1.7 million draws of the spec's
single Mersenne Twister stream on its growth shuffles, which then run on the device
(:mod:`.shuffles`): making them on the host and sending them over took a large share of the
step (on the 2-core VM 7-9 ms to draw and 2.4 ms to convert to 32 bits). Here the device makes
them from the generator's state and the generator takes the state back afterwards, so the
stream stays one: the host's next draw is the one after the device's last, exactly as if the
host had made them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rng import CompatRNG

_KERNELS = "mt19937.cl"
_GROUP = 256  # work items of the one work-group: at least the twist's 227-word phases
_KEY = 624


def build_kernel(runtime: Any) -> Any:
    """The generator's kernel on ``runtime`` (a CLRuntime), built once and cached there; a
    caller that must fall back when it fails to build calls this up front."""
    return runtime.kernel(_KERNELS, "mt19937_draws", {"GROUP": _GROUP})


def draws_on_device(rng: CompatRNG, n: int, runtime: Any) -> Any:
    """The next ``n`` raw draws of ``rng`` (n >= 1), made on ``runtime``'s device (a
    CLRuntime), as a device buffer of n uint32; ``rng`` moves past them (one blocking read of
    its 2.5 KB state)."""
    if n < 1:
        raise ValueError(f"draws_on_device needs n >= 1 (got {n})")
    cl = runtime.cl
    saved = rng.state_dict()
    state = np.empty(_KEY + 1, dtype=np.uint32)
    state[:_KEY] = saved["key"]
    state[_KEY] = saved["pos"]
    mf = cl.mem_flags
    state_buffer = cl.Buffer(runtime.context, mf.READ_WRITE | mf.COPY_HOST_PTR, hostbuf=state)
    out = runtime.allocator(4 * n)  # from the runtime's memory pool: a step may draw 1.7 million
    build_kernel(runtime)(runtime.queue, (_GROUP,), (_GROUP,), np.uint32(n), state_buffer, out)
    cl.enqueue_copy(runtime.queue, state, state_buffer, is_blocking=True)
    rng.load_state_dict({"seed": saved["seed"], "key": state[:_KEY].tolist(),
                         "pos": int(state[_KEY])})
    return out
