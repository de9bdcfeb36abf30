"""The experiment plugin API (ARCHITECTURE.md, "Experiments (plugins)").

An experiment is a model, its data stream, its parameters and the streams it shows. It has no Qt
code: it declares streams and views, and generic views in ``workbench.ui`` draw them. The same
object runs in the GUI's worker thread, in ``workbench run`` and in sweeps.

Minimal plugin::

    class Counter(Experiment):
        name = "counter"
        title = "Counter"
        description = "Counts steps."
        params = (Param("step_size", "int", 1, "added each step", low=1, high=10),)

        def build(self, ctx):
            self.total = 0

        def streams(self):
            return [Stream("total", StreamKind.SCALAR, "Total")]

        def step(self):
            self.total += self.p["step_size"]
            return self.frame(total=self.total)

        def state_dict(self):
            return {"total": self.total}

        def load_state_dict(self, state):
            self.total = state["total"]
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

from workbench.session.frames import Frame, Stream, StreamKind

from .params import Param

VIEW_KINDS = ("sdr", "columns", "cells", "curves", "image", "histogram", "vector", "text")


@dataclass(frozen=True)
class View:
    """A view the experiment asks for: its kind and the streams it reads, by role.

    Roles by kind: ``columns`` reads ``active``, ``predicted`` (and optionally ``input`` for the
    synapse inspector); ``cells`` reads ``active``, ``predictive``, ``winner``; every other kind
    reads its streams in order. ``inspect`` names the layer the synapse inspector asks about.
    """

    kind: str
    streams: Mapping[str, str] | Sequence[str]
    title: str = ""
    inspect: str = ""

    def __post_init__(self) -> None:
        if self.kind not in VIEW_KINDS:
            raise ValueError(f"view kind {self.kind!r} is not one of {', '.join(VIEW_KINDS)}")
        if not isinstance(self.streams, Mapping):
            object.__setattr__(self, "streams", {name: name for name in self.streams})

    @property
    def stream_names(self) -> list[str]:
        return list(self.streams.values())


def default_views(streams: list[Stream]) -> list[View]:
    """One view per stream, scalar curves grouped into one plot per ``Stream.group``."""
    views: list[View] = []
    groups: dict[str, list[str]] = {}
    for s in streams:
        if s.kind is StreamKind.SCALAR:
            groups.setdefault(s.group or s.name, []).append(s.name)
        else:
            views.append(View(s.kind.value, [s.name], s.title or s.name))
    views.extend(View("curves", names, key) for key, names in groups.items())
    return views


@dataclass
class BuildContext:
    """What :meth:`Experiment.build` gets: the backend name, the seed and validated parameters."""

    backend: str = "numpy"
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)


class Experiment(abc.ABC):
    """Base class of every experiment; subclasses set the class attributes and override methods."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self) -> None:
        self.ctx = BuildContext()
        self.p: dict[str, Any] = {}
        self.steps_done = 0
        self.learning = True

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self, ctx: BuildContext) -> None:
        """Store the context and build the model (called by runners; plugins override build)."""
        self.ctx = ctx
        self.p = dict(ctx.params)
        self.steps_done = 0
        self.build(ctx)

    @abc.abstractmethod
    def build(self, ctx: BuildContext) -> None:
        """Create the model and the data stream from ``ctx`` (backend, seed, params)."""

    @abc.abstractmethod
    def step(self) -> Frame:
        """Advance one step and return its frame (use :meth:`frame` to build it)."""

    def streams(self) -> list[Stream]:
        """Every stream this experiment emits (called after build: shapes may depend on params)."""
        return []

    def views(self) -> list[View]:
        """The views to open; by default :func:`default_views` of :meth:`streams`."""
        return default_views(self.streams())

    @abc.abstractmethod
    def state_dict(self) -> dict:
        """Everything needed to continue the run exactly (model, data position, RNG states)."""

    @abc.abstractmethod
    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`; the next step continues the saved run."""

    def metrics(self) -> dict[str, float]:
        """Summary figures of the run so far (printed by ``workbench run``, scored by sweeps)."""
        return {}

    def inspect(self, layer: str, index: int) -> dict[str, Any]:
        """Details of one column or cell for the synapse inspector (empty when not supported).

        ``layer`` is the ``inspect`` name of the clicked view. For a column (layer "sp")
        return ``kind="column"``, ``column``, ``input_shape``, ``potential`` (input indices of
        the potential pool, ascending), ``permanences`` (one per potential input) and
        ``threshold`` (the connected permanence), optionally ``connected`` and ``facts``
        ({label: value}). For a cell (layer "tm") return ``kind="cell"``, ``cell``, ``column``,
        ``cells_per_column``, ``segments`` (``[(segment_id, [(presynaptic_cell, permanence),
        ...]), ...]``) and ``threshold``. ``workbench/plugins/builtin/_pipeline.py`` shows both.
        """
        return {}

    # -- helpers -----------------------------------------------------------------------------
    def frame(self, **values: Any) -> Frame:
        """A frame for the step being made (numbered from 1), counting the step."""
        self.steps_done += 1
        return Frame(self.steps_done, values)

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise KeyError(f"{cls.name} has no parameter {name!r}")
