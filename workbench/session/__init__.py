"""Sessions: recording runs into ``*.wbsession`` files, replaying, forking and annotating them
(ARCHITECTURE.md, "Sessions"). No Qt and no plugin imports here; see each module's docstring."""

from .errors import (
    CorruptSessionError,
    ForkDivergenceError,
    NewerFormatError,
    NotASessionError,
    SessionError,
    StepRangeError,
)
from .fork import Fork, fork_session, restore_run
from .reader import SessionReader
from .recorder import Recorder
from .writer import SessionWriter

__all__ = [
    "SessionError", "NotASessionError", "CorruptSessionError", "NewerFormatError", "StepRangeError",
    "ForkDivergenceError", "SessionReader", "SessionWriter", "Recorder", "Fork", "fork_session",
    "restore_run",
]
