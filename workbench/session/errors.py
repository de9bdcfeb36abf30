"""Why a session file could not be read, written or forked.

Session files come from other people (teaching material, bug reports), so every problem with a
file is a :class:`SessionError` with a message that says what is wrong and what to do; callers
(the CLI, the GUI) show that one line instead of a traceback.
"""

from __future__ import annotations


class SessionError(Exception):
    """A session file could not be used; the message says why."""


class NotASessionError(SessionError):
    """The file exists but is not a workbench session (another file type or SQLite database)."""


class CorruptSessionError(SessionError):
    """The file is a session but part of it is damaged (truncated, overwritten, bad checksum)."""


class NewerFormatError(SessionError):
    """The file was written by a newer workbench whose session format this one cannot read."""


class StepRangeError(SessionError, IndexError):
    """A step outside the recorded range was asked for."""


class ForkDivergenceError(SessionError):
    """Re-simulating a session from a checkpoint did not reproduce the recorded frames.

    ``step`` and ``stream`` say where the first difference is.
    """

    def __init__(self, message: str, step: int, stream: str) -> None:
        super().__init__(message)
        self.step = step
        self.stream = stream
