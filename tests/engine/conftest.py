"""The ``backend`` fixture: every engine test runs once per available backend.

``numpy`` is always there; every OpenCL device adds ``opencl:N`` (the alias ``opencl`` is the
same object as ``opencl:0`` and is left out so no device is tested twice). In CI the OpenCL
device is PoCL on the CPU, so none of these tests skips there.
"""

import pytest

from workbench.engine import get_backend

from .tensor_testing import BACKEND_NAMES


@pytest.fixture(params=BACKEND_NAMES)
def backend(request):
    return get_backend(request.param)
