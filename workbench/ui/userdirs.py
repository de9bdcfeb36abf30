"""Where the workbench keeps per-user files: settings (layout presets) and data (recordings, sweep tables).

``$WORKBENCH_CONFIG_DIR`` and ``$WORKBENCH_DATA_DIR`` override platformdirs' folders; the GUI
tests point both at temporary folders, so they never write into the real user's folders.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "WORKBENCH_CONFIG_DIR"
DATA_ENV = "WORKBENCH_DATA_DIR"
APP = "htm-workbench"


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """The user's data folder (recordings, sweep tables)."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir(APP))


def recordings_dir() -> Path:
    """Where Record and "Continue from here" write their session files."""
    return data_dir() / "recordings"


def sweeps_dir() -> Path:
    """Where a sweep's results table goes unless the user picks a file."""
    return data_dir() / "sweeps"
