"""The import direction is one way, down: the engine, the plugins and the session code never load
Qt, so they run headless (CLI, CI, a worker process) without PySide6 or pyqtgraph installed."""

import subprocess
import sys

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")

# Import each layer and every module inside it (a Qt import hidden in a submodule counts too),
# then report any Qt module that got loaded.
PROBE = """
import importlib, pkgutil, sys
for name in ("workbench.engine", "workbench.plugins", "workbench.session"):
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {qt})))
"""


def test_engine_plugins_and_session_never_load_qt():
    result = subprocess.run([sys.executable, "-c", PROBE.replace("{qt}", repr(set(QT_MODULES)))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Qt loaded by a headless layer: {result.stdout.strip()}"

