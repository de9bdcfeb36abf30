"""Generic views driven only by streams: one class per view kind of the plugin API."""

from __future__ import annotations

from typing import Mapping

from workbench.plugins.api import View
from workbench.session.frames import Stream

from .base import Display, StreamView
from .curves import CurvesView
from .grid_views import CellsView, ColumnsView, SdrView
from .plots import HistogramView, VectorView
from .pictures import ImageView, TextView

VIEW_CLASSES: dict[str, type[StreamView]] = {
    "sdr": SdrView, "columns": ColumnsView, "cells": CellsView, "curves": CurvesView,
    "image": ImageView, "histogram": HistogramView, "vector": VectorView, "text": TextView,
}


def make_view(view: View, streams: Mapping[str, Stream]) -> StreamView:
    """The widget for ``view``; a stream it names that the experiment did not declare is an error."""
    missing = [n for n in view.stream_names if n not in streams]
    if missing:
        raise KeyError(f"view {view.title or view.kind!r} reads undeclared stream(s) {', '.join(missing)}; "
                       f"declared: {', '.join(streams) or 'none'}")
    return VIEW_CLASSES[view.kind](view, dict(streams))


__all__ = ["Display", "StreamView", "VIEW_CLASSES", "make_view"]
