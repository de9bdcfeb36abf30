"""Histogram and vector views (permanence histograms, duty cycles, boost factors, probabilities)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from workbench.session.frames import Frame

from .. import palette
from .base import StreamView
from .ranges import SteadyRange

BAR_LIMIT = 64
"""Vectors up to this long are drawn as bars; longer ones (duty cycles of every column) as a
filled line, which stays readable and cheap for thousands of entries."""


def _brush(colour: str, alpha: int = 150):
    r, g, b = palette.rgb(colour)
    return pg.mkBrush(r, g, b, alpha)


class HistogramView(StreamView):
    """Counts per bin as steps over the stream's declared bin edges."""

    kind = "histogram"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        self.plot = pg.PlotWidget()
        if len(self.streams) > 1:
            self.plot.addLegend(offset=(-8, 8), labelTextColor=palette.TEXT)
        self.items = {}
        for i, stream in enumerate(self.streams.values()):
            colour = palette.CURVE_COLOURS[i % len(palette.CURVE_COLOURS)]
            self.items[stream.name] = self.plot.plot(
                [0, 1], [0], stepMode="center", fillLevel=0, brush=_brush(colour),
                pen=pg.mkPen(colour, width=1), name=stream.title or stream.name)
        if len(self.streams) == 1:
            stream = next(iter(self.streams.values()))
            self.plot.setLabel("bottom", stream.unit or stream.title or stream.name)
        self.range = SteadyRange(self.plot.getPlotItem(), min_x_span=0.0, headroom=0.0)
        self.layout().addWidget(self.plot, 1)
        self.layout().addWidget(self.readout)

    def draw_frame(self, frame: Frame | None) -> None:
        parts = []
        if frame is None:
            self.range.reset()
        for stream in self.streams.values():
            counts = None if frame is None else frame.get(stream.name)
            item = self.items[stream.name]
            if counts is None:
                continue  # histograms may come every N steps: keep the last one
            counts = np.asarray(counts, dtype=np.float64)
            edges = np.asarray(stream.edges, dtype=np.float64)
            if edges.size != counts.size + 1:
                edges = np.arange(counts.size + 1, dtype=np.float64)
            item.setData(edges, counts)
            self.range.update(float(edges[0]), float(edges[-1]), 0.0, float(max(counts.max(), 1.0)))
            parts.append(f"{stream.title or stream.name}: {counts.sum():g} in {counts.size} bins")
        if parts:
            self.readout.setText("   ".join(parts))


class VectorView(StreamView):
    """1-D arrays against their index: bars for short vectors, a filled line for long ones."""

    kind = "vector"

    def __init__(self, view, streams) -> None:
        super().__init__(view, streams)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "index")
        if len(self.streams) > 1:
            self.plot.addLegend(offset=(-8, 8), labelTextColor=palette.TEXT)
        self.items: dict[str, object] = {}
        self.colours = {}
        for i, stream in enumerate(self.streams.values()):
            self.colours[stream.name] = palette.CURVE_COLOURS[i % len(palette.CURVE_COLOURS)]
        self.range = SteadyRange(self.plot.getPlotItem(), min_x_span=0.0, headroom=0.0)
        self.layout().addWidget(self.plot, 1)
        self.layout().addWidget(self.readout)

    def _item(self, name: str, length: int):
        """The plot item for ``name``, made on first use (bars or line, by length)."""
        item = self.items.get(name)
        bars = length <= BAR_LIMIT
        if item is not None and isinstance(item, pg.BarGraphItem) == bars:
            return item
        if item is not None:
            self.plot.removeItem(item)
        colour = self.colours[name]
        stream = next(s for s in self.streams.values() if s.name == name)
        label = stream.title or stream.name
        if bars:
            count = len(self.streams)
            slot = list(self.colours).index(name)
            width = 0.8 / count
            item = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=width, brush=_brush(colour, 200),
                                   pen=pg.mkPen(colour), name=label)
            item.offset = (slot - (count - 1) / 2) * width
            self.plot.addItem(item)  # named: the legend lists it
        else:
            fill = {"fillLevel": 0, "brush": _brush(colour, 90)} if len(self.streams) == 1 else {}
            item = self.plot.plot([], [], pen=pg.mkPen(colour, width=1), name=label, **fill)
        self.items[name] = item
        return item

    def draw_frame(self, frame: Frame | None) -> None:
        parts = []
        if frame is None:
            self.range.reset()
        for stream in self.streams.values():
            value = None if frame is None else frame.get(stream.name)
            if value is None:
                continue  # vectors may come every N steps: keep the last one
            vector = np.asarray(value, dtype=np.float64)
            item = self._item(stream.name, vector.size)
            index = np.arange(vector.size, dtype=np.float64)
            if isinstance(item, pg.BarGraphItem):
                item.setOpts(x=index + item.offset, height=vector)
            else:
                item.setData(index, vector)
            if vector.size and np.isfinite(vector).any():
                lo, hi = float(np.nanmin(vector)), float(np.nanmax(vector))
                self.range.update(-0.5, vector.size - 0.5, min(lo, 0.0), max(hi, 1e-3))
                parts.append(f"{stream.title or stream.name}: min {lo:.3g}, mean {np.nanmean(vector):.3g}, "
                             f"max {hi:.3g}")
        if parts:
            self.readout.setText("   ".join(parts))
