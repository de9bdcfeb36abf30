"""Shared fixtures: ``backend_name`` runs a test once per available backend."""

import pytest

from workbench.engine.backend import available_backends

BACKENDS = [b for b in available_backends() if b != "opencl"]


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param
