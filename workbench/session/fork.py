"""Forking a session: continue a recorded run live from any step, into a new session file.

The nearest checkpoint at or before step t is loaded into a freshly built experiment, the steps
from there to t are re-simulated and compared with the recording (they must match exactly:
ARCHITECTURE.md, "Determinism"), and the run continues, recorded into a new file that starts
as a copy of the parent's steps 1..t and names its parent and the fork step.

The session layer cannot build experiments itself (plugins sit above it), so the caller passes
a factory; the CLI and GUI make one from the plugin registry::

    factory = lambda name, params, backend, seed: Run(registry.get(name), params, backend, seed)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .compare import frame_difference
from .errors import ForkDivergenceError, SessionError, StepRangeError
from .manifest import Parent
from .reader import SessionReader
from .recorder import RESIMULATION_BUDGET_S, CheckpointPolicy, Recorder, manifest_for
from .writer import SessionWriter

RunFactory = Callable[[str, dict[str, Any], str, int], Any]
"""(experiment name, parameters, backend, seed) -> an unbuilt run (``workbench.plugins.runner.Run``)."""


@dataclass
class Fork:
    """A forked run, recorded live into ``recorder``; ``resimulated`` steps were checked."""

    run: Any
    recorder: Recorder
    step: int
    resimulated: int


def restore_run(reader: SessionReader, step: int, factory: RunFactory, backend: str | None = None) -> tuple[Any, int]:
    """A run in the state it had right after step ``step`` of ``reader``'s recording (before
    frame ``step + 1``), re-simulated from the nearest checkpoint and checked against every
    recorded frame on the way. Returns (run, number of steps re-simulated)."""
    if not 0 <= step <= reader.length:
        raise StepRangeError(f"cannot fork {reader.path.name} at step {step}: it holds steps 0..{reader.length}")
    manifest = reader.manifest
    checkpoint = reader.checkpoint(step)
    run = factory(manifest.experiment, checkpoint.params, backend or manifest.backend, manifest.seed)
    run.build()
    checkpoint.restore(run.experiment)
    declared = [(s.name, s.kind) for s in manifest.streams]
    if [(s.name, s.kind) for s in run.streams.values()] != declared:
        raise SessionError(f"{manifest.experiment} now declares different streams than the recording "
                           f"({', '.join(run.streams)} instead of {', '.join(s.name for s in manifest.streams)})")
    version_note = ""
    if str(run.info.cls.version) != manifest.experiment_version:
        version_note = (f" (recorded with {manifest.experiment} version {manifest.experiment_version}, "
                        f"re-simulated with version {run.info.cls.version})")
    for at in range(checkpoint.step + 1, step + 1):
        frame = run.step()
        difference = frame_difference(reader.frame(at), frame, manifest.streams)
        if difference is not None:
            name, what = difference
            raise ForkDivergenceError(
                f"re-simulation from the checkpoint at step {checkpoint.step} diverged from the recording "
                f"at step {at}, stream {name!r}: {what}{version_note}", at, name)
    return run, step - checkpoint.step


def fork_session(parent: str | Path | SessionReader, step: int, path: str | Path, factory: RunFactory, *,
                 backend: str | None = None, checkpoint_every: int | None = None,
                 budget_s: float = RESIMULATION_BUDGET_S) -> Fork:
    """Fork ``parent`` after step ``step`` into a new session at ``path``; the returned run is
    recording: step it to continue, close ``fork.recorder`` when done."""
    reader = parent if isinstance(parent, SessionReader) else SessionReader(parent)
    try:
        if Path(path).resolve() == reader.path.resolve():
            raise SessionError(f"a fork needs a new file; {path} is the session being forked")
        run, resimulated = restore_run(reader, step, factory, backend)
        base = reader.manifest
        manifest = dataclasses.replace(manifest_for(run, base.chunk_size), params=dict(base.params),
                                       parent=Parent(base.session_id, str(reader.path), step))
        writer = SessionWriter(path, manifest, parent=reader, fork_step=step)
    finally:
        if reader is not parent:
            reader.close()
    recorder = Recorder(run, writer, CheckpointPolicy(checkpoint_every, budget_s))
    recorder.start("fork")
    return Fork(run, recorder, step, resimulated)
