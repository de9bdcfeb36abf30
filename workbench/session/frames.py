"""Streams and frames: what an experiment emits each step, in a form views and session files share.

An experiment declares its streams (name, kind, title) once; each step it returns a :class:`Frame`
mapping some of those names to values of the declared kind. Views are driven only by streams,
and a session file stores frames, so neither needs to know anything about the model behind them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from workbench.engine.htm.sdr import SDR


class StreamKind(str, enum.Enum):
    """The value types a stream can carry."""

    SDR = "sdr"            # an SDR (sorted uint32 indices + shape)
    SCALAR = "scalar"      # a float (NaN = undefined at this step)
    VECTOR = "vector"      # a 1-D float array (e.g. duty cycles, class probabilities)
    IMAGE = "image"        # a 2-D (grey) or HxWx3 (RGB) uint8 or float array
    HISTOGRAM = "histogram"  # counts per bin, with fixed edges declared on the stream
    TEXT = "text"          # a short string (a symbol, a prediction)


@dataclass(frozen=True)
class Stream:
    """A named, typed channel of per-step values.

    ``shape`` is the SDR's shape for sdr streams (used to lay out grids), ``cells_per_column`` marks
    a cell-level SDR (column-major cells) so views can draw cells per column, ``edges`` are the
    bin edges of a histogram stream, ``unit`` labels curve axes, ``group`` puts curves in one plot.
    """

    name: str
    kind: StreamKind
    title: str = ""
    help: str = ""
    shape: tuple[int, ...] = ()
    cells_per_column: int = 0
    edges: tuple[float, ...] = ()
    unit: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        if not self.name.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"stream name {self.name!r} must be letters, digits, '_' or '.'")
        object.__setattr__(self, "kind", StreamKind(self.kind))
        if self.kind is StreamKind.SDR and not self.shape:
            raise ValueError(f"sdr stream {self.name!r} needs a shape")

    def check(self, value: Any) -> Any:
        """``value`` normalised for this stream's kind, or a TypeError saying what is wrong."""
        kind = self.kind
        if kind is StreamKind.SDR:
            if not isinstance(value, SDR):
                raise TypeError(f"stream {self.name!r} expects an SDR (got {type(value).__name__})")
            if value.size != int(np.prod(self.shape)):
                raise TypeError(f"stream {self.name!r} expects an SDR of shape {self.shape} "
                                f"(got {value.shape})")
            return value
        if kind is StreamKind.SCALAR:
            return float(value)
        if kind is StreamKind.TEXT:
            return str(value)
        array = np.asarray(value)
        if kind is StreamKind.IMAGE and array.ndim not in (2, 3):
            raise TypeError(f"image stream {self.name!r} expects HxW or HxWx3 (got {array.shape})")
        if kind in (StreamKind.VECTOR, StreamKind.HISTOGRAM) and array.ndim != 1:
            raise TypeError(f"{kind.value} stream {self.name!r} expects a 1-D array (got {array.shape})")
        return array


@dataclass
class Frame:
    """The values one step produced, keyed by stream name. ``seconds`` is how long the
    experiment took to compute them (set by the run; not recorded): what re-simulating the
    step costs, which the gap between two frames is not (a GUI pauses, a recorder writes)."""

    step: int
    values: dict[str, Any] = field(default_factory=dict)
    seconds: float = field(default=0.0, compare=False)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def scalars(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.values.items() if isinstance(v, (float, int, np.floating))}


def validate_frame(frame: Frame, streams: Mapping[str, Stream]) -> Frame:
    """Check every value against its declared stream; unknown names are an error."""
    for name, value in frame.values.items():
        stream = streams.get(name)
        if stream is None:
            raise KeyError(f"frame has a value for undeclared stream {name!r}; declared: "
                           f"{', '.join(streams) or 'none'}")
        frame.values[name] = stream.check(value)
    return frame
