"""Raw draws made on an OpenCL device (kernels/mt19937.cl) are the spec's Mersenne Twister
stream: equal to CompatRNG's (numpy's MT19937) from the same state, from any position in the
624-word key (its end included), across many renewals of the key, and the generator goes on
from where the device stopped."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import BACKENDS
from workbench.engine.backend import get_backend
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.rng_cl import draws_on_device

ON_DEVICE = [b for b in BACKENDS if b != "numpy"]


@pytest.mark.parametrize("backend_name", ON_DEVICE)
@pytest.mark.parametrize("seed, spent, n", [
    (42, 0, 1), (42, 0, 624), (42, 0, 625),   # the first key, exactly, and one renewal
    (7, 100, 524), (7, 100, 525),             # to the key's end from inside it, and past
    (7, 624, 3000),                           # starting at the end of a key
    (2024, 1000, 150_000),                    # hundreds of renewals
])
def test_device_draws_are_the_generators_stream(backend_name, seed, spent, n):
    runtime = get_backend(backend_name).runtime
    reference, rng = CompatRNG(seed), CompatRNG(seed)
    reference.draws(spent)
    rng.draws(spent)
    expected = reference.draws(n).astype(np.uint32)
    got = np.empty(n, dtype=np.uint32)
    runtime.cl.enqueue_copy(runtime.queue, got, draws_on_device(rng, n, runtime))
    assert np.array_equal(got, expected)
    assert rng.state_dict() == reference.state_dict()
    assert rng.draw() == reference.draw()


def test_no_draw_is_refused():
    with pytest.raises(ValueError, match="n >= 1"):
        draws_on_device(CompatRNG(1), 0, runtime=None)
