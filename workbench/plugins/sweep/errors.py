"""The one error a sweep raises for things the user can fix."""


class SweepError(ValueError):
    """A sweep cannot start or go on: an unknown metric, a results table from another sweep, an
    unreachable scheduler. The message says what was wrong and what to do (the CLI prints it as
    one line and exits 2)."""
