"""Writing a session file: frames in chunks, checkpoints, events and annotations.

Recording must not slow the run it records (at most 10 %). The calling thread collects each
frame's values column by column (arrays copied; SDRs, numbers and texts are immutable), encodes
a chunk when it is full, and snapshots checkpoints (one copy of each array into a reused buffer,
nothing converted). Compressing chunks and checkpoints and all SQLite work happen on a
background thread: they release the GIL, so a second core does them. Encoding stays on the
calling thread because it is Python work: on the writer thread it would fight the run for the
GIL and cost more (measured). One transaction per chunk: a crash costs at most the frames not
yet committed, and the file stays readable up to the last committed chunk.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from . import store
from .blobs import SnapshotBuffers
from .errors import SessionError
from .frame_codec import ChunkBuilder
from .frames import Frame
from .manifest import FORMAT_VERSION, Manifest, now_utc
from .records import EVENT_KINDS, Checkpoint, compress

if TYPE_CHECKING:
    import sqlite3

    from .reader import SessionReader


class StoreTime(NamedTuple):
    """What storing a checkpoint took the writer thread: its CPU time, and the wall time from
    starting to finishing (more than the CPU time when the thread had to wait for a core)."""

    cpu: float
    wall: float


QUEUED_JOBS = 4  # chunks waiting for the writer thread before the recording run has to wait

Job = Callable[["sqlite3.Connection"], None]


class SessionWriter:
    """A new session file at ``path`` describing ``manifest``'s run.

    With ``parent`` and ``fork_step``, the file starts as a copy of ``parent``'s steps
    ``1 .. fork_step`` (frames, checkpoints, events, annotations) and the next frame appended is
    step ``fork_step + 1``.
    """

    def __init__(self, path: str | Path, manifest: Manifest, parent: SessionReader | None = None,
                 fork_step: int = 0) -> None:
        self.path = Path(path)
        self.manifest = manifest
        self.length = 0        # frames appended so far
        self.committed = 0     # frames whose chunk is on disk
        self.last_store = StoreTime(0.0, 0.0)  # what storing the last checkpoint took the writer thread
        self._buffers = SnapshotBuffers()  # checkpoint snapshots, reused
        self._pending = ChunkBuilder(manifest.streams)  # the frames not yet handed over
        self._closed = False
        self._error: BaseException | None = None
        self._conn = store.create(self.path)
        try:
            with store.sqlite_errors(self.path, "write"):
                with self._conn:
                    store.put_meta(self._conn, "format_version", str(FORMAT_VERSION))
                    store.put_meta(self._conn, "manifest", manifest.to_json())
                    if parent is not None:
                        self._copy_prefix(parent, fork_step)
                store.begin_recording(self._conn)
        except BaseException:
            self._conn.close()
            store.remove(self.path)  # a fork whose parent failed mid-copy leaves nothing behind
            raise
        self._queue: queue.Queue[Job | None] = queue.Queue(QUEUED_JOBS)
        self._thread = threading.Thread(target=self._work, name=f"session writer {self.path.name}", daemon=True)
        self._thread.start()

    # -- the calling thread ----------------------------------------------------------------------
    def append(self, frame: Frame) -> None:
        """Add the next step's frame (its values must already match the manifest's streams)."""
        self._raise_if_failed()
        self._pending.add(frame.values)
        self.length += 1
        if self._pending.count >= self.manifest.chunk_size:
            self._submit_pending()

    def checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint`` (replacing any other at its step). Its arrays are copied now, into
        a reused buffer; compressing and storing them is the writer thread's work."""
        structure, data = checkpoint.encode(self._buffers)
        step, reason = checkpoint.step, checkpoint.reason

        def write(conn: sqlite3.Connection) -> None:
            start, start_cpu = time.perf_counter(), time.thread_time()
            packed_structure, packed_data = compress(structure, data)
            self._buffers.give_back(data)
            with conn:
                conn.execute("INSERT OR REPLACE INTO checkpoints(step, reason, crc, structure, data) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (step, reason, store.row_crc(step, reason, packed_structure, packed_data),
                              packed_structure, packed_data))
            self.last_store = StoreTime(time.thread_time() - start_cpu, time.perf_counter() - start)
        self._submit(write)

    def event(self, step: int, kind: str, data: dict[str, Any]) -> None:
        """Log a user event that happened after frame ``step``."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {', '.join(EVENT_KINDS)} (got {kind!r})")
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
        self._submit(lambda conn: _in_transaction(conn, _insert_event, step, kind, text))

    def annotate(self, step: int, caption: str, view: dict[str, Any] | None = None) -> None:
        """Add a caption at ``step`` (a frame already appended or still to come)."""
        text = None if view is None else json.dumps(view, separators=(",", ":"), allow_nan=False)
        self._submit(lambda conn: _in_transaction(conn, _insert_annotation, step, caption, text))

    def flush(self) -> None:
        """Wait until every full chunk and record handed over so far is on disk."""
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        """Write the last (partial) chunk, mark the recording finished and make the file one
        self-contained file again. A recording that failed is left unfinished and says why."""
        if self._closed:
            return
        try:
            if self._pending.count and self._error is None:
                self._submit_pending()
        finally:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        try:
            if self._error is None:
                with store.sqlite_errors(self.path, "finish"):
                    with self._conn:
                        store.put_meta(self._conn, "end", json.dumps({"length": self.length, "closed": now_utc()}))
                    store.end_recording(self._conn)
        finally:
            self._conn.close()
        self._raise_if_failed()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit_pending(self) -> None:
        chunk, self._pending = self._pending, ChunkBuilder(self.manifest.streams)
        count = chunk.count
        first = self.length - count + 1
        # Encoding is Python work: done here, it costs what it costs; on the writer thread it
        # would fight this thread for the GIL and cost more. Compression and SQLite release the GIL.
        encoded = chunk.encode()

        def write(conn: sqlite3.Connection) -> None:
            scalars, payload = encoded.compressed()
            with conn:
                _insert_chunk(conn, (first, count, store.row_crc(first, count, scalars), scalars,
                                     store.row_crc(first, count, payload), payload))
            self.committed = first + count - 1
        self._submit(write)

    def _submit(self, job: Job) -> None:
        if self._closed:
            raise SessionError(f"the recording to {self.path} is closed")
        self._raise_if_failed()
        self._queue.put(job)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise SessionError(f"recording to {self.path} failed: {self._error}") from self._error

    # -- the writer thread -------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job(self._conn)
            except BaseException as exc:  # reported to the recording thread by _raise_if_failed
                self._error = exc
            finally:
                self._queue.task_done()

    # -- forks -------------------------------------------------------------------------------
    def _copy_prefix(self, parent: SessionReader, step: int) -> None:
        """Steps ``1 .. step`` of ``parent``: whole chunks copied as stored, the chunk that
        ``step`` cuts through re-read into the pending chunk so chunk boundaries stay aligned."""
        conn = self._conn
        for row in parent.chunk_rows(step):
            _insert_chunk(conn, row)
            self.committed = row[0] + row[1] - 1
        for frame in parent.frames(self.committed + 1, step):
            self._pending.add(frame.values)
        self.length = step
        for row in parent.checkpoint_rows(step):
            conn.execute("INSERT INTO checkpoints(step, reason, crc, structure, data) VALUES (?, ?, ?, ?, ?)", row)
        for event in parent.events:
            if event.step <= step:
                _insert_event(conn, event.step, event.kind, json.dumps(event.data, separators=(",", ":")))
        for note in parent.annotations:
            if note.step <= step:
                view = None if note.view is None else json.dumps(note.view, separators=(",", ":"))
                _insert_annotation(conn, note.step, note.caption, view)


def _insert_chunk(conn: sqlite3.Connection, row: tuple) -> None:
    conn.execute("INSERT INTO chunks(first_step, count, scalars_crc, scalars, payload_crc, payload) "
                 "VALUES (?, ?, ?, ?, ?, ?)", row)


def _insert_event(conn: sqlite3.Connection, step: int, kind: str, text: str) -> None:
    conn.execute("INSERT INTO events(step, kind, data, crc) VALUES (?, ?, ?, ?)",
                 (step, kind, text, store.row_crc(step, kind, text)))


def _insert_annotation(conn: sqlite3.Connection, step: int, caption: str, view: str | None) -> None:
    conn.execute("INSERT INTO annotations(step, caption, view, crc) VALUES (?, ?, ?, ?)",
                 (step, caption, view, store.row_crc(step, caption, view)))


def _in_transaction(conn: sqlite3.Connection, insert: Callable[..., None], *args: Any) -> None:
    with conn:
        insert(conn, *args)
