"""State dicts that lend their arrays instead of copying them, for callers that copy anyway.

A model's ``state_dict()`` returns arrays its caller owns: the model's later steps must not
change them, so the model copies its live arrays. A session checkpoint then copies every array
of that state once more, into its own reused buffer, before the model steps again; for a large
Temporal Memory that second copy of tens of megabytes (into freshly faulted pages) was most of
what a checkpoint held the run up for. Inside :func:`lent_state`, the engine's state dicts hand
out read-only views of their live arrays instead, valid until the model next changes; outside
it (saving to a file, comparing two states, forking in memory) they copy, as before.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy as np

_lending: contextvars.ContextVar[bool] = contextvars.ContextVar("workbench_lending_state", default=False)


@contextlib.contextmanager
def lent_state() -> Iterator[None]:
    """Within this block, ``state_dict()`` may return read-only views of live arrays. The
    caller must copy what it keeps before the model changes (steps, loads, resets)."""
    token = _lending.set(True)
    try:
        yield
    finally:
        _lending.reset(token)


def state_array(array: np.ndarray) -> np.ndarray:
    """``array`` as a state dict holds it: a copy the caller owns, or, inside
    :func:`lent_state`, a read-only view of the live array."""
    if not _lending.get():
        return array.copy()
    view = array.view()
    view.flags.writeable = False
    return view
