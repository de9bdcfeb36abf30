"""``workbench gui``: create the application, open the window on an experiment or a session."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Sequence

from PySide6.QtWidgets import QApplication

from workbench.plugins.registry import Registry

from . import theme
from .main_window import MainWindow


def install_excepthook(window: MainWindow) -> None:
    """Report an exception that escapes a slot in the window instead of ending the program."""

    def hook(kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        sys.__stderr__.write(details)
        window.show_error("Unexpected error", f"{kind.__name__}: {value}", details)

    sys.excepthook = hook


def create_window(session: str | Path | None = None, experiment: str = "sine",
                  plugin_dirs: Sequence[str | Path] = (), registry: Registry | None = None) -> MainWindow:
    """The window, showing ``session`` in replay or ``experiment`` live (or the first available)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    window = MainWindow(registry if registry is not None else Registry.discover(plugin_dirs=plugin_dirs))
    if session is None or not window.open_session(session):
        window.open_first_available(experiment)
    return window


def main(session: str | Path | None = None, experiment: str = "sine",
         plugin_dirs: Sequence[str | Path] = ()) -> int:
    """Run the desktop workbench until its window closes; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("HTM Workbench")
    window = create_window(session, experiment, plugin_dirs)
    install_excepthook(window)
    window.show()
    return int(app.exec())
