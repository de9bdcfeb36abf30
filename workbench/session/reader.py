"""Reading a session file: any step's frame, a stream over a range of steps, checkpoints, the
event log and the annotations (which, opened with ``annotate=True``, can also be edited).

Opening reads only the header, the manifest and the last chunk's key, so it takes about the
same time for ten steps as for a million. Step t is found with one index seek on the chunk
table and costs the decoding of one chunk (a few hundred steps); the last few decoded chunks
are kept, so scrubbing back and forth stays cheap. Scalar curves are read from the chunks'
scalar blocks alone, without decoding SDRs or images.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import store
from .errors import CorruptSessionError, SessionError, StepRangeError
from .frame_codec import DecodedChunk, decode_chunk, decode_scalars, scalar_names
from .frames import Frame, Stream, StreamKind
from .manifest import FORMAT_VERSION, Manifest
from .records import Annotation, Checkpoint, Event, json_object

CACHED_CHUNKS = 4
KEEP = object()  # edit_annotation: leave the view preset as it is


class SessionReader:
    """A session file opened for replay; ``annotate=True`` also allows editing annotations."""

    def __init__(self, path: str | Path, *, annotate: bool = False) -> None:
        self.path = Path(path)
        self.annotate_mode = annotate
        self._conn = store.connect(self.path, query_only=not annotate)
        self._cache: OrderedDict[int, DecodedChunk] = OrderedDict()
        try:
            with self._errors("open"):
                self._load_head()
        except BaseException:
            self._conn.close()
            raise

    def _load_head(self) -> None:
        version = store.get_meta(self._conn, "format_version")
        if version is None or not version.isdigit():
            raise CorruptSessionError(f"{self.path} has no format version")
        if int(version) > FORMAT_VERSION:
            raise store.newer_format(self.path, int(version))
        text = store.get_meta(self._conn, "manifest")
        if text is None:
            raise CorruptSessionError(f"{self.path} has no manifest")
        self.manifest = Manifest.from_json(text)
        self.streams: dict[str, Stream] = self.manifest.streams_by_name
        self._scalar_rows = {name: row for row, name in enumerate(scalar_names(self.manifest.streams))}
        end = json_object(store.get_meta(self._conn, "end"), "the end-of-recording marker")
        self.complete = end is not None  # False: the recorder stopped without closing (a crash)
        first = self._conn.execute("SELECT first_step FROM chunks ORDER BY first_step LIMIT 1").fetchone()
        last = self._conn.execute(
            "SELECT first_step, count FROM chunks ORDER BY first_step DESC LIMIT 1").fetchone()
        if first is not None and first[0] != 1:
            raise CorruptSessionError(f"{self.path} is damaged: its first frame is step {first[0]}, not 1")
        if last is not None:
            self._check_chunk_key(last[0], last[1], last[0])
        self.length = 0 if last is None else last[0] + last[1] - 1
        if end is not None and end.get("length") != self.length:
            raise CorruptSessionError(
                f"{self.path} is damaged: it was closed after {end.get('length')} steps but holds {self.length}")

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _errors(self, doing: str):
        return store.sqlite_errors(self.path, doing)

    # -- frames ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.length

    def check_step(self, step: int) -> int:
        """``step`` as an int, or :class:`StepRangeError` when it was not recorded."""
        if not 1 <= step <= self.length:
            span = f"steps 1..{self.length}" if self.length else "no steps"
            raise StepRangeError(f"step {step} is not in {self.path.name} ({span})")
        return int(step)

    def frame(self, step: int) -> Frame:
        """The frame recorded at ``step`` (1-based); its arrays and SDRs are read-only."""
        step = self.check_step(step)
        chunk = self._chunk_with(step)
        return chunk[step - chunk.first_step]

    def __getitem__(self, step: int) -> Frame:
        return self.frame(step)

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, first: int = 1, last: int | None = None) -> Iterator[Frame]:
        """Frames ``first .. last`` (inclusive; ``last`` defaults to the end), one chunk at a time."""
        first, last = self._span(first, last)
        step = first
        while step <= last:
            chunk = self._chunk_with(step)
            stop = min(last, chunk.first_step + len(chunk) - 1)
            for at in range(step, stop + 1):
                yield chunk[at - chunk.first_step]
            step = stop + 1

    def values(self, name: str, first: int = 1, last: int | None = None) -> list[Any]:
        """Stream ``name`` at steps ``first .. last``; None where a frame has no value."""
        self._stream(name)
        return [f.values.get(name) for f in self.frames(first, last)]

    def scalars(self, name: str, first: int = 1, last: int | None = None) -> np.ndarray:
        """Scalar stream ``name`` at steps ``first .. last`` as float64 (NaN where absent),
        read from the scalar blocks only."""
        if self._stream(name).kind is not StreamKind.SCALAR:
            raise SessionError(f"stream {name!r} is not a scalar stream")
        first, last = self._span(first, last)
        out = np.empty(max(0, last - first + 1))
        row, n_rows = self._scalar_rows[name], len(self._scalar_rows)
        with self._errors("read"):
            start = self._chunk_start(first) if out.size else last + 1
            cursor = self._conn.execute(
                "SELECT first_step, count, scalars_crc, scalars FROM chunks "
                "WHERE first_step BETWEEN ? AND ? ORDER BY first_step", (start, last))
            expected = start
            for chunk_first, count, crc, blob in cursor:
                self._check_chunk_key(chunk_first, count, expected)
                store.check_crc(crc, f"scalar block of the chunk at step {chunk_first}", chunk_first, count, blob)
                values = decode_scalars(blob, n_rows, count)[row]
                lo, hi = max(first, chunk_first), min(last, chunk_first + count - 1)
                out[lo - first:hi - first + 1] = values[lo - chunk_first:hi - chunk_first + 1]
                expected = chunk_first + count
        if out.size and expected <= last:
            raise CorruptSessionError(f"{self.path} is damaged: step {expected} is missing")
        return out

    def _stream(self, name: str) -> Stream:
        stream = self.streams.get(name)
        if stream is None:
            raise SessionError(f"{self.path.name} has no stream {name!r}; streams: {', '.join(self.streams)}")
        return stream

    def _span(self, first: int, last: int | None) -> tuple[int, int]:
        last = self.length if last is None else last
        if first > last:
            return first, first - 1
        return self.check_step(first), self.check_step(last)

    def _chunk_start(self, step: int) -> int:
        row = self._conn.execute("SELECT first_step FROM chunks WHERE first_step <= ? "
                                 "ORDER BY first_step DESC LIMIT 1", (step,)).fetchone()
        if row is None:
            raise CorruptSessionError(f"{self.path} is damaged: step {step} is missing")
        return int(row[0])

    def _check_chunk_key(self, first: Any, count: Any, expected: int) -> None:
        if not (isinstance(first, int) and isinstance(count, int) and count >= 1) or first != expected:
            raise CorruptSessionError(f"{self.path} is damaged: the frames around step {expected} are missing")

    def _chunk_with(self, step: int) -> DecodedChunk:
        for first, chunk in self._cache.items():
            if first <= step < first + len(chunk):
                self._cache.move_to_end(first)
                return chunk
        with self._errors("read"):
            row = self._conn.execute(
                "SELECT first_step, count, scalars_crc, scalars, payload_crc, payload FROM chunks "
                "WHERE first_step <= ? ORDER BY first_step DESC LIMIT 1", (step,)).fetchone()
        if row is None or not (isinstance(row[0], int) and isinstance(row[1], int)) or row[0] + row[1] <= step:
            raise CorruptSessionError(f"{self.path} is damaged: step {step} is missing")
        first, count, scalars_crc, scalars, payload_crc, payload = row
        what = f"the chunk at step {first} of {self.path.name}"
        store.check_crc(scalars_crc, what, first, count, scalars)
        store.check_crc(payload_crc, what, first, count, payload)
        chunk = decode_chunk(self.manifest.streams, first, count, scalars, payload)
        self._cache[first] = chunk
        if len(self._cache) > CACHED_CHUNKS:
            self._cache.popitem(last=False)
        return chunk

    def chunk_rows(self, last: int) -> list[tuple]:
        """The stored rows of the chunks that end at or before ``last`` (for copying into a fork)."""
        with self._errors("read"):
            rows = self._conn.execute(
                "SELECT first_step, count, scalars_crc, scalars, payload_crc, payload FROM chunks "
                "WHERE first_step + count - 1 <= ? ORDER BY first_step", (last,)).fetchall()
        for first, count, scalars_crc, scalars, payload_crc, payload in rows:
            store.check_crc(scalars_crc, f"the chunk at step {first}", first, count, scalars)
            store.check_crc(payload_crc, f"the chunk at step {first}", first, count, payload)
        return rows

    # -- checkpoints -------------------------------------------------------------------------
    @property
    def checkpoint_steps(self) -> list[int]:
        with self._errors("read"):
            steps = [r[0] for r in self._conn.execute("SELECT step FROM checkpoints ORDER BY step")]
        if not all(isinstance(s, int) for s in steps):
            raise CorruptSessionError(f"{self.path} is damaged: a checkpoint has no step")
        return steps

    def checkpoint_rows(self, last: int) -> list[tuple]:
        """The stored checkpoint rows at steps ``<= last`` (for copying into a fork)."""
        with self._errors("read"):
            rows = self._conn.execute("SELECT step, reason, crc, structure, data FROM checkpoints "
                                      "WHERE step <= ? ORDER BY step", (last,)).fetchall()
        for step, reason, crc, structure, data in rows:
            store.check_crc(crc, f"the checkpoint at step {step}", step, reason, structure, data)
        return rows

    def checkpoint(self, step: int) -> Checkpoint:
        """The nearest checkpoint at or before ``step`` (0 is the state before the first frame)."""
        if not 0 <= step <= self.length:
            raise StepRangeError(f"step {step} is not in {self.path.name} (steps 0..{self.length})")
        with self._errors("read"):
            row = self._conn.execute("SELECT step, reason, crc, structure, data FROM checkpoints "
                                     "WHERE step <= ? ORDER BY step DESC LIMIT 1", (step,)).fetchone()
        if row is None:
            raise CorruptSessionError(f"{self.path} has no checkpoint at or before step {step}")
        at, reason, crc, structure, data = row
        store.check_crc(crc, f"the checkpoint at step {at}", at, reason, structure, data)
        return Checkpoint.decode(at, reason, structure, data)

    # -- events and annotations ----------------------------------------------------------------
    @property
    def events(self) -> list[Event]:
        """The user events (parameter changes, learning on/off, resets), in order."""
        with self._errors("read"):
            rows = self._conn.execute("SELECT step, kind, data, crc FROM events ORDER BY id").fetchall()
        out = []
        for step, kind, data, crc in rows:
            store.check_crc(crc, "an event", step, kind, data)
            out.append(Event(step, kind, json_object(data, f"the event at step {step}")))
        return out

    @property
    def annotations(self) -> list[Annotation]:
        """Every annotation, by step (then by the order they were added)."""
        with self._errors("read"):
            rows = self._conn.execute(
                "SELECT id, step, caption, view, crc FROM annotations ORDER BY step, id").fetchall()
        out = []
        for id_, step, caption, view, crc in rows:
            store.check_crc(crc, f"the annotation at step {step}", step, caption, view)
            out.append(Annotation(id_, step, caption, json_object(view, f"the view of annotation {id_}")))
        return out

    def add_annotation(self, step: int, caption: str, view: dict[str, Any] | None = None) -> Annotation:
        """Add a caption at ``step`` (saved at once); returns it with its id."""
        self._require_annotate()
        self.check_step(step)
        view_text = _view_json(view)
        with self._errors("save an annotation to"), self._conn:
            cursor = self._conn.execute(
                "INSERT INTO annotations(step, caption, view, crc) VALUES (?, ?, ?, ?)",
                (step, caption, view_text, store.row_crc(step, caption, view_text)))
        return Annotation(int(cursor.lastrowid), step, caption, view)

    def edit_annotation(self, annotation_id: int, *, step: int | None = None, caption: str | None = None,
                        view: dict[str, Any] | None | object = KEEP) -> Annotation:
        """Change an annotation's step, caption or view (``view=None`` removes the preset)."""
        self._require_annotate()
        old = self._annotation(annotation_id)
        new = Annotation(old.id, old.step if step is None else self.check_step(step),
                         old.caption if caption is None else caption, old.view if view is KEEP else view)
        view_text = _view_json(new.view)
        with self._errors("save an annotation to"), self._conn:
            self._conn.execute("UPDATE annotations SET step = ?, caption = ?, view = ?, crc = ? WHERE id = ?",
                               (new.step, new.caption, view_text,
                                store.row_crc(new.step, new.caption, view_text), new.id))
        return new

    def delete_annotation(self, annotation_id: int) -> None:
        self._require_annotate()
        self._annotation(annotation_id)
        with self._errors("delete an annotation from"), self._conn:
            self._conn.execute("DELETE FROM annotations WHERE id = ?", (annotation_id,))

    def _annotation(self, annotation_id: int) -> Annotation:
        for a in self.annotations:
            if a.id == annotation_id:
                return a
        raise SessionError(f"{self.path.name} has no annotation with id {annotation_id}")

    def _require_annotate(self) -> None:
        if not self.annotate_mode:
            raise SessionError(f"{self.path.name} is open for replay only; open it with annotate=True "
                               "to edit annotations")


def _view_json(view: dict[str, Any] | None) -> str | None:
    if view is None:
        return None
    if not isinstance(view, dict):
        raise TypeError(f"an annotation's view preset must be a dict (got {type(view).__name__})")
    return json.dumps(view, separators=(",", ":"), allow_nan=False)
