"""What a session is a recording of: the manifest stored once at the head of every session file.

It holds everything needed to rebuild the run (experiment name and version, parameters, seed,
backend) and to read the frames without the experiment's code (the stream declarations), so a
session can be replayed on a machine that lacks the plugin that made it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import CorruptSessionError
from .frames import Stream

# The session format this workbench writes; it reads every format up to it. Format 1 compressed
# blobs with zlib, format 2 with zstd (see codec.py); the tables and the blobs' layout are the same.
FORMAT_VERSION = 2
DISTRIBUTION = "htm-workbench"


def workbench_version() -> str:
    """The installed package's version, else the source tree's pyproject.toml, else "unknown"."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stream_to_json(stream: Stream) -> dict[str, Any]:
    data = dataclasses.asdict(stream)
    data["kind"] = stream.kind.value
    return data


def stream_from_json(data: Any) -> Stream:
    if not isinstance(data, dict):
        raise CorruptSessionError(f"manifest has a malformed stream declaration {data!r:.80}")
    try:
        values = dict(data)
        for key in ("shape", "edges"):
            values[key] = tuple(values.get(key, ()))
        return Stream(**values)
    except (TypeError, ValueError) as exc:
        raise CorruptSessionError(f"manifest has a malformed stream declaration ({exc})") from None


@dataclass(frozen=True)
class Parent:
    """The session a fork continues, and the step it branched at."""

    session_id: str
    path: str
    step: int


@dataclass(frozen=True)
class Manifest:
    """The run a session records. ``streams`` keeps the experiment's declaration order."""

    experiment: str
    experiment_version: str
    params: dict[str, Any]
    seed: int
    backend: str
    streams: tuple[Stream, ...]
    chunk_size: int
    format_version: int = FORMAT_VERSION
    workbench_version: str = field(default_factory=workbench_version)
    created: str = field(default_factory=now_utc)
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    parent: Parent | None = None

    @property
    def streams_by_name(self) -> dict[str, Stream]:
        return {s.name: s for s in self.streams}

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["streams"] = [stream_to_json(s) for s in self.streams]
        return json.dumps(data, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
            parent = data.get("parent")
            manifest = cls(
                experiment=str(data["experiment"]),
                experiment_version=str(data["experiment_version"]),
                params=dict(data["params"]),
                seed=int(data["seed"]),
                backend=str(data["backend"]),
                streams=tuple(stream_from_json(s) for s in data["streams"]),
                chunk_size=int(data["chunk_size"]),
                format_version=int(data["format_version"]),
                workbench_version=str(data["workbench_version"]),
                created=str(data["created"]),
                session_id=str(data["session_id"]),
                parent=None if parent is None else Parent(str(parent["session_id"]), str(parent["path"]),
                                                          int(parent["step"])),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CorruptSessionError(f"the session manifest is damaged ({type(exc).__name__}: {exc})") from None
        if manifest.chunk_size < 1:
            raise CorruptSessionError(f"the session manifest has chunk_size {manifest.chunk_size} (must be >= 1)")
        return manifest
