"""Dock layout presets, saved per experiment as JSON under the user's config folder
(:func:`userdirs.config_dir`). Each experiment has one file with named presets;
the preset called :data:`LAST` is written when the window leaves an experiment and restored
when it comes back, so a rearrangement survives without asking.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from .userdirs import config_dir

LAST = "last used"


class LayoutStore:
    """Named QMainWindow states (``saveState()`` bytes) per experiment."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or config_dir()) / "layouts"

    def _path(self, experiment: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in experiment) or "_"
        return self.root / f"{safe}.json"

    def _read(self, experiment: str) -> dict[str, str]:
        try:
            data = json.loads(self._path(experiment).read_text())
        except (OSError, ValueError):
            return {}
        presets = data.get("presets") if isinstance(data, dict) else None
        return {k: v for k, v in (presets or {}).items() if isinstance(k, str) and isinstance(v, str)}

    def names(self, experiment: str) -> list[str]:
        return sorted(self._read(experiment))

    def load(self, experiment: str, name: str) -> bytes | None:
        text = self._read(experiment).get(name)
        if text is None:
            return None
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except ValueError:
            return None

    def save(self, experiment: str, name: str, state: bytes) -> None:
        presets = self._read(experiment)
        presets[name] = base64.b64encode(bytes(state)).decode("ascii")
        self._write(experiment, presets)

    def delete(self, experiment: str, name: str) -> None:
        presets = self._read(experiment)
        if presets.pop(name, None) is not None:
            self._write(experiment, presets)

    def _write(self, experiment: str, presets: dict[str, str]) -> None:
        path = self._path(experiment)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"presets": presets}, indent=1))
        tmp.replace(path)
