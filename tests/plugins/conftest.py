import pytest


@pytest.fixture(autouse=True)
def _no_user_plugins(tmp_path, monkeypatch):
    """Tests never read the real per-user plugin folder."""
    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "no-user-plugins"))
