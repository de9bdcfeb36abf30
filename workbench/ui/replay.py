"""A recorded session as the views see it: frames by step, all scalar curves, annotations.

The session file is opened for annotating when it can be written (annotations are saved as
they are edited), else read-only. The views are the experiment's own when its plugin is
installed (it is built once with the recorded parameters to ask for them), else one generic
view per stream, so a session replays on a machine that lacks the plugin that made it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.plugins.api import BuildContext, View, default_views
from workbench.plugins.registry import Registry
from workbench.session.frames import Frame, Stream, StreamKind
from workbench.session.reader import SessionReader
from workbench.session.records import Annotation

from .history import SeriesSnapshot

LOOKBACK = 128
"""How far back replay looks for a stream a frame lacks (covers streams sent every 100 steps)."""


class ReplaySource:
    """One open session file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.reader = SessionReader(self.path, annotate=True)
            self.writable = True
        except Exception:
            self.reader = SessionReader(self.path)
            self.writable = False
        self.manifest = self.reader.manifest
        self.streams: dict[str, Stream] = dict(self.reader.streams)
        self.length = len(self.reader)
        steps = np.arange(1, self.length + 1, dtype=np.int64)
        values = {n: self.reader.scalars(n) for n, s in self.streams.items() if s.kind is StreamKind.SCALAR}
        self.series = SeriesSnapshot(steps, values, revision=1)
        self.view_note = ""

    def views(self, registry: Registry) -> list[View]:
        """The experiment's declared views when its plugin is here and builds, else generic ones."""
        name = self.manifest.experiment
        if name in registry.experiments:
            try:
                exp = registry.create(name)
                exp.setup(BuildContext("numpy", self.manifest.seed, dict(self.manifest.params)))
                views = [v for v in exp.views() if all(n in self.streams for n in v.stream_names)]
                if views:
                    return views
            except Exception as exc:
                self.view_note = f"the {name} plugin could not say its views ({type(exc).__name__}: {exc})"
        else:
            self.view_note = f"the {name} plugin is not installed"
        return default_views(list(self.streams.values()))

    def frame(self, step: int) -> Frame:
        """The frame of ``step``, with streams it lacks (those sent every N steps) taken from
        the latest earlier frame that has them, up to :data:`LOOKBACK` steps back."""
        frame = self.reader.frame(step)
        missing = [n for n in self.streams if n not in frame.values]
        if not missing:
            return frame
        values = dict(frame.values)
        for earlier in range(step - 1, max(0, step - LOOKBACK), -1):
            older = self.reader.frame(earlier).values
            for name in [n for n in missing if n in older]:
                values[name] = older[name]
                missing.remove(name)
            if not missing:
                break
        return Frame(step, values)

    @property
    def annotations(self) -> list[Annotation]:
        return self.reader.annotations

    def close(self) -> None:
        self.reader.close()
