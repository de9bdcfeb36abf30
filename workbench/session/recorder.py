"""Recording a run: a frame listener that writes every step, checkpoints and user events.

:class:`Recorder` works on any run object shaped like ``workbench.plugins.runner.Run``
(``info``, ``params``, ``backend``, ``seed``, ``experiment``, ``streams``, ``listeners``,
``build()``) whose frames carry their compute time (``Frame.seconds``, which ``Run.step``
stamps: periodic checkpoints are spaced by it); it does not import the plugin layer, which
sits above sessions.

Checkpoints are taken at the start, after every user event, and periodically, so that
re-simulating from the nearest checkpoint to any step (a fork, a step back) takes at most about a
second: a checkpoint is due once the steps since the last one took the budget (0.85 s: a fork
may re-simulate a little more slowly than the run stepped, see ``RESIMULATION_BUDGET_S``). What counts is
each frame's compute time (``Frame.seconds``, stamped by the run), summed, not estimated from a
typical step, as steps vary (a model that reads a histogram every hundred steps); the time
between frames (a paused or single-stepping GUI, the recorder's own work) is not re-simulated
and does not count.

Recording must stay cheap (at most 10 % of the step rate), so checkpoints are spaced further
apart when they cost too much. A checkpoint has two parts: the snapshot, which the run waits
for (``state_dict()`` and one copy of its arrays), and compressing and storing it, which the
writer thread does while the run goes on. The snapshot may take at most 5 % of the run's time.
Where the writer thread has a core to spare, its part only has to keep up (at most half the
writer thread's time). Whether it had one is measured, not assumed from the core count: it had
if it ran for most of the time it took to store the last checkpoint, less the wait any
woken thread has for a core (``WAKE_UP_S``). Where it had not (one core,
or other programs keeping every core busy), its work comes out of the run's time, and both parts
together get the 5 %: the run keeps its speed, and re-simulation may take longer than the budget.
Costs are CPU times (of the thread doing each part), so that a machine kept busy by other
programs does not inflate them.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from pathlib import Path
from typing import Any

from workbench.engine.state import lent_state

from .errors import SessionError
from .frames import Frame
from .manifest import Manifest
from .records import Checkpoint
from .writer import SessionWriter, StoreTime

DEFAULT_CHUNK_SIZE = 256
# Seconds of steps (their compute time) between checkpoints. The promise is a second of
# re-simulation to reach any step; re-simulating a stretch took 0.93-1.03x its recorded compute
# time in bench_session's worst forks (its first steps refill caches and device buffers, other
# programs may hold the cores), so the budget keeps 15 % in hand.
RESIMULATION_BUDGET_S = 0.85
CHECKPOINT_SHARE = 0.05  # most of the run's time that checkpoints may take from it
WRITER_SHARE = 0.5  # most of a spare core's time that storing checkpoints may take
SPARE_CORE = 0.75  # the writer had a core to spare if it ran this much of the time it took,
WAKE_UP_S = 0.05  # not counting this much waiting: a woken thread waits for a core even on a
# machine with one to spare (measured: 25-55 ms beside PoCL's threads), which would otherwise
# make every cheap store look starved


class CheckpointPolicy:
    """When the next periodic checkpoint is due: every ``every`` steps when given, else once the
    steps since the last checkpoint took ``budget_s``, or longer when the last checkpoint cost
    more than its shares of that time (see the module docstring)."""

    COSTS = 3  # checkpoints whose median cost sets the spacing (one slow snapshot is not the rule)

    def __init__(self, every: int | None = None, budget_s: float = RESIMULATION_BUDGET_S) -> None:
        if every is not None and every < 1:
            raise ValueError(f"checkpoint interval must be >= 1 step (got {every})")
        if budget_s <= 0:
            raise ValueError(f"re-simulation budget must be > 0 s (got {budget_s})")
        self.every = every
        self.budget_s = budget_s
        self._since = 0  # steps since the last checkpoint
        self._elapsed = 0.0  # and the seconds they took to compute
        self._spacing = budget_s  # seconds of steps between checkpoints
        self._checkpoints = 0
        self._costs: deque[tuple[float, StoreTime]] = deque(maxlen=self.COSTS)

    def step_done(self, seconds: float) -> bool:
        """Note a step that took ``seconds`` to compute; True when a checkpoint is due."""
        self._since += 1
        if self.every is not None:
            return self._since >= self.every
        self._elapsed += seconds
        return self._elapsed >= self._spacing

    def checkpointed(self, snapshot_s: float, store: StoreTime) -> None:
        """A checkpoint was taken: its snapshot took the recording thread ``snapshot_s`` seconds
        of CPU, and storing one took the writer thread ``store`` (the last one it stored).
        The spacing follows the (lower) median cost of the last few checkpoints. The first
        checkpoint of a recording also allocates the buffer snapshots are copied into, so its
        cost says little about the next ones and is left out: the first spacing is the budget."""
        self._since = 0
        self._elapsed = 0.0
        self._checkpoints += 1
        if self._checkpoints == 1:
            return
        self._costs.append((snapshot_s, store))
        snapshot = statistics.median_low(c[0] for c in self._costs)
        store_cpu = statistics.median_low(c[1].cpu for c in self._costs)
        store_wall = statistics.median_low(c[1].wall for c in self._costs)
        if store_cpu >= SPARE_CORE * (store_wall - WAKE_UP_S):
            self._spacing = max(self.budget_s, snapshot / CHECKPOINT_SHARE, store_cpu / WRITER_SHARE)
        else:
            self._spacing = max(self.budget_s, (snapshot + store_cpu) / CHECKPOINT_SHARE)


def manifest_for(run: Any, chunk_size: int) -> Manifest:
    """The manifest of a recording of ``run`` (a built Run) made now."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1 (got {chunk_size})")
    return Manifest(experiment=run.info.name, experiment_version=str(run.info.cls.version),
                    params=dict(run.params), seed=int(run.seed), backend=str(run.backend),
                    streams=tuple(run.streams.values()), chunk_size=chunk_size)


class Recorder:
    """Records ``run`` into ``writer``: attach with :meth:`create` (or ``fork.fork_session``),
    then every step the run makes is recorded until :meth:`close`."""

    def __init__(self, run: Any, writer: SessionWriter, policy: CheckpointPolicy) -> None:
        self.run = run
        self.writer = writer
        self.policy = policy

    @classmethod
    def create(cls, path: str | Path, run: Any, *, chunk_size: int = DEFAULT_CHUNK_SIZE,
               checkpoint_every: int | None = None, budget_s: float = RESIMULATION_BUDGET_S) -> Recorder:
        """Start recording ``run`` (built first if needed) into a new session file at ``path``."""
        if run.experiment is None:
            run.build()
        policy = CheckpointPolicy(checkpoint_every, budget_s)
        recorder = cls(run, SessionWriter(path, manifest_for(run, chunk_size)), policy)
        recorder.start("start")
        return recorder

    def start(self, reason: str) -> None:
        """Checkpoint the run as it is and listen to its frames from now on."""
        self.checkpoint(reason)
        self.run.listeners.append(self.on_frame)

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def step(self) -> int:
        """The last recorded step (0 before the first)."""
        return self.writer.length

    def on_frame(self, frame: Frame) -> None:
        """The run's listener: record ``frame``, then checkpoint if one is due."""
        self.writer.append(frame)
        if self.policy.step_done(frame.seconds):
            self.checkpoint("periodic")

    def checkpoint(self, reason: str) -> None:
        """Checkpoint the run now (state after the last recorded step)."""
        start = time.thread_time()
        with lent_state():  # the writer copies the state's arrays before the run steps again
            self.writer.checkpoint(Checkpoint.capture(self.run.experiment, self.step, reason))
        # the writer thread's part is known for the previous checkpoint: a close estimate
        self.policy.checkpointed(time.thread_time() - start, self.writer.last_store)

    def record_event(self, kind: str, **data: Any) -> None:
        """Log a user action already applied to the run (``param`` name=..., value=...;
        ``learning`` on=...; ``reset``) and checkpoint the state it left."""
        if tuple(self.run.streams.values()) != self.writer.manifest.streams:
            raise SessionError("the experiment's streams changed (a parameter changed their shape); "
                               "start a new recording")
        self.writer.event(self.step, kind, data)
        self.checkpoint(kind)

    def annotate(self, caption: str, view: dict[str, Any] | None = None, step: int | None = None) -> None:
        """Add a caption at ``step`` (default: the last recorded step)."""
        self.writer.annotate(self.step if step is None else step, caption, view)

    def close(self) -> None:
        """Stop listening and finish the file."""
        if self.on_frame in self.run.listeners:
            self.run.listeners.remove(self.on_frame)
        self.writer.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
