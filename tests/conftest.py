"""Shared fixtures: ``backend_name`` runs a test once per available backend.

``WORKBENCH_TEST_BACKENDS=opencl:0`` (comma-separated) limits the OpenCL devices tested, e.g. to
check one device of a machine quickly; numpy, the reference that tests compare against, always
runs.
"""

import os

import pytest

from workbench.engine.backend import available_backends

_SELECTED = [b.strip() for b in os.environ.get("WORKBENCH_TEST_BACKENDS", "").split(",") if b.strip()]
BACKENDS = (["numpy", *(b for b in _SELECTED if b != "numpy")] if _SELECTED
            else [b for b in available_backends() if b != "opencl"])


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param
