"""The small records a session keeps besides frames: checkpoints, user events and annotations.

A checkpoint is everything needed to continue a run from a step: the experiment's
``state_dict()`` plus what the :class:`~workbench.plugins.api.Experiment` base class keeps
outside it (parameters in effect, the learning switch, the step counter). Checkpoints are taken
every few steps and after every user event, so re-simulating from the nearest one never has to
replay an event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import codec
from .blobs import SnapshotBuffers
from .errors import CorruptSessionError
from .state_codec import decode_state, encode_state

EVENT_KINDS = ("param", "learning", "reset")


@dataclass(frozen=True)
class Event:
    """A user action recorded after frame ``step`` was made (it affects frame ``step + 1`` on)."""

    step: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Annotation:
    """A caption shown at ``step``; ``view`` optionally holds a view preset (any JSON object)."""

    id: int
    step: int
    caption: str
    view: dict[str, Any] | None = None


@dataclass(frozen=True)
class Checkpoint:
    """The run's state after frame ``step`` and after any events recorded at ``step``."""

    step: int
    reason: str
    state: Any
    params: dict[str, Any]
    learning: bool
    steps_done: int

    @classmethod
    def capture(cls, experiment: Any, step: int, reason: str) -> Checkpoint:
        """A checkpoint of ``experiment`` (an Experiment) as it is now."""
        return cls(step, reason, experiment.state_dict(), dict(experiment.p), bool(experiment.learning),
                   int(experiment.steps_done))

    def restore(self, experiment: Any) -> None:
        """Put a freshly built ``experiment`` (built with :attr:`params`) into this state."""
        experiment.load_state_dict(self.state)
        experiment.learning = self.learning
        experiment.steps_done = self.steps_done

    def encode(self, buffers: SnapshotBuffers | None = None) -> tuple[str, np.ndarray]:
        """(structure JSON, array bytes) of this checkpoint: a snapshot, arrays copied (into a
        buffer from ``buffers`` when given; see :func:`~.state_codec.encode_state`)."""
        return encode_state({"state": self.state, "params": self.params, "learning": self.learning,
                             "steps_done": self.steps_done}, buffers)

    @classmethod
    def decode(cls, step: int, reason: str, structure: bytes, data: bytes) -> Checkpoint:
        what = f"checkpoint at step {step}"
        structure_text = codec.unpack(structure, what)
        try:
            content = decode_state(structure_text.decode(), codec.unpack(data, what))
        except UnicodeDecodeError as exc:
            raise CorruptSessionError(f"{what} has a damaged structure ({exc})") from None
        if not (isinstance(content, dict) and isinstance(content.get("params"), dict)
                and isinstance(content.get("learning"), bool) and isinstance(content.get("steps_done"), int)
                and "state" in content):
            raise CorruptSessionError(f"checkpoint at step {step} lacks its state, params or counters")
        return cls(step, reason, content["state"], content["params"], content["learning"],
                   content["steps_done"])


def compress(structure: str, data: np.ndarray) -> tuple[bytes, bytes]:
    """The stored form of an encoded checkpoint (compression releases the GIL while it works:
    on the writer thread this runs beside the recording run)."""
    return codec.pack(structure.encode()), codec.pack(data)


def json_object(text: str | None, what: str) -> dict[str, Any] | None:
    """A stored JSON object (or None), damage reported as :class:`CorruptSessionError`."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise CorruptSessionError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise CorruptSessionError(f"{what} is not a JSON object")
    return value
