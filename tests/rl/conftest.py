import pytest

from .corridor import register


@pytest.fixture(scope="session")
def corridor_id() -> str:
    return register()
