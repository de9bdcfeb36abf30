"""Frames to bytes and back, a chunk of consecutive steps at a time.

A chunk is stored column-wise, stream by stream, because that is both cheap to build (one
concatenation per stream, no per-value Python work beyond collecting references) and compact:

- scalar streams go into their own blob, a float64 matrix (stream x step) with NaN where a frame
  has no value, so a curve over many steps is read without touching SDRs or images;
- SDRs are their sorted indices as deltas (the first index of each step absolute), stored as
  the narrowest unsigned type that fits, which compression then packs well (HTM_SPEC.md: SDRs
  are sparse, so gaps are small);
- vectors, histograms and images keep their dtype and shape (one stacked array when every step
  agrees); texts go into the JSON header;
- a presence matrix (stream x step) records which streams each frame has, so frames read back
  exactly as they were written.

Both blocks are compressed by :mod:`.codec` (zstd since format 2, zlib in format 1 files).

Decoding trusts nothing: every reference is checked, and SDR indices are checked to be strictly
increasing and in range before SDRs are built without re-validation.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from workbench.engine.htm.sdr import SDR

from . import codec
from .blobs import BlobReader, BlobWriter, storable
from .errors import CorruptSessionError
from .frames import Frame, Stream, StreamKind

ARRAY_KINDS = (StreamKind.VECTOR, StreamKind.HISTOGRAM, StreamKind.IMAGE)
_HEADER_SIZE = struct.Struct("<I")


def scalar_names(streams: Sequence[Stream]) -> list[str]:
    """The scalar streams, in the order of their rows in a chunk's scalar matrix."""
    return [s.name for s in streams if s.kind is StreamKind.SCALAR]


class ChunkBuilder:
    """Collects consecutive frames' values column by column as they arrive, then encodes them.

    Only untracked objects are kept between steps (SDRs' index arrays and shapes, numbers,
    texts, array copies): a recorder holding a few hundred frames' SDR objects and dicts would
    make every garbage collection of the recording process slower.
    """

    def __init__(self, streams: Sequence[Stream]) -> None:
        self.streams = tuple(streams)
        self.count = 0
        # per stream: its values, its SDRs' shapes (SDR streams only), whether values are copied
        self._columns: dict[str, tuple[list[Any], list[tuple[int, ...]] | None, bool]] = {
            s.name: ([], [] if s.kind is StreamKind.SDR else None, s.kind in ARRAY_KINDS) for s in self.streams}
        self._partial: dict[int, set[str]] = {}  # frames lacking some streams: the streams they have

    def add(self, values: Mapping[str, Any]) -> None:
        """Add the next frame's values (checked against the streams, as ``validate_frame`` does)."""
        if len(values) != len(self.streams):
            self._partial[self.count] = set(values)
        for name, value in values.items():
            column, shapes, copy = self._columns[name]
            if shapes is not None:
                shapes.append(value.shape)
                value = value.sparse
            elif copy:  # SDRs, numbers and texts are immutable; arrays may be reused by the model
                value = np.array(value, copy=True)
            column.append(value)
        self.count += 1

    def encode(self) -> EncodedChunk:
        """The frames added, encoded and ready to compress."""
        count = self.count
        names = scalar_names(self.streams)
        scalars = np.full((len(names), count), np.nan)
        presence = np.ones((len(self.streams), count), dtype=np.uint8)
        for i, present in self._partial.items():
            presence[:, i] = [s.name in present for s in self.streams]
        blob = BlobWriter()
        specs: dict[str, Any] = {}
        for row, stream in enumerate(self.streams):
            name, kind = stream.name, stream.kind
            values, shapes, _ = self._columns[name]
            if kind is StreamKind.SCALAR:
                scalars[names.index(name), presence[row] != 0] = values
            elif kind is StreamKind.TEXT:
                specs[name] = {"texts": values}
            elif kind is StreamKind.SDR:
                specs[name] = _encode_sdrs(values, shapes, blob)
            elif kind in ARRAY_KINDS:
                specs[name] = _encode_arrays(name, values, blob)
            else:
                raise TypeError(f"stream {name!r} has kind {kind!r}, which sessions cannot store")
        header = json.dumps({"n": count, "presence": blob.add(presence), "streams": specs},
                            separators=(",", ":"), allow_nan=False).encode()
        return EncodedChunk(scalars, header, blob)


@dataclass(frozen=True)
class EncodedChunk:
    """A chunk's frames encoded but not yet compressed: encoding is Python work, done by the
    recording thread; compressing is most of the rest and releases the GIL, so the writer
    thread does it beside the run. Nothing else holds the arrays laid out in ``blob``."""

    scalars: np.ndarray  # float64, stream x step
    header: bytes
    blob: BlobWriter

    def compressed(self) -> tuple[bytes, bytes]:
        """(scalar blob, payload blob), both compressed: what a chunk row stores."""
        return (codec.pack(self.scalars),
                self.blob.compressed(prefix=_HEADER_SIZE.pack(len(self.header)) + self.header))


def _encode_sdrs(arrays: list[np.ndarray], shapes: list[tuple[int, ...]], blob: BlobWriter) -> dict[str, Any]:
    lengths = np.fromiter(map(len, arrays), dtype=np.uint32, count=len(arrays))
    flat = np.concatenate(arrays) if arrays else np.empty(0, np.uint32)  # SDRs' uint32 indices
    deltas = np.empty_like(flat)
    deltas[:1] = flat[:1]
    # in the indices' own dtype (an unsigned difference wraps where a frame starts, and those
    # places are overwritten next): half the memory traffic of int64, which a chunk's hundreds
    # of thousands of cell indices make most of the recording thread's encoding time
    np.subtract(flat[1:], flat[:-1], out=deltas[1:])
    starts = (np.cumsum(lengths) - lengths)[lengths > 0]
    deltas[starts] = flat[starts]
    top = int(deltas.max()) if deltas.size else 0
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32
    spec: dict[str, Any] = {"lengths": blob.add(lengths), "deltas": blob.add(deltas.astype(dtype))}
    if len(set(shapes)) <= 1:
        spec["shape"] = list(shapes[0]) if shapes else None
    else:
        spec["shapes"] = [list(shape) for shape in shapes]
    return spec


def _encode_arrays(name: str, values: list[np.ndarray], blob: BlobWriter) -> dict[str, Any]:
    for v in values:
        if not storable(v.dtype):
            raise TypeError(f"stream {name!r}: arrays of dtype {v.dtype} cannot be recorded")
    dtypes = {v.dtype.str for v in values}
    shapes = {v.shape for v in values}
    if len(dtypes) == 1 and len(shapes) == 1:
        return {"stacked": blob.add(np.stack(values))}
    return {"each": [blob.add(v) for v in values]}


def decode_scalars(blob: bytes, n_streams: int, count: int) -> np.ndarray:
    """The (stream x step) float64 scalar matrix of a chunk."""
    data = codec.unpack(blob, "a scalar block")
    if len(data) != 8 * n_streams * count:
        raise CorruptSessionError(f"a scalar block holds {len(data)} bytes, expected {8 * n_streams * count}")
    matrix = np.frombuffer(data, dtype=np.float64).reshape(n_streams, count)
    matrix.flags.writeable = False
    return matrix


class DecodedChunk(Sequence[Frame]):
    """The frames of one chunk, each built only when asked for (scrubbing shows one frame of a
    chunk; building all of them would cost more than reading the chunk)."""

    def __init__(self, first_step: int, count: int, columns: list[tuple[str, Sequence[Any], list[int]]]) -> None:
        self.first_step = first_step
        self._count = count
        self._columns = columns  # (stream name, its values, per step the value's index or -1)
        self._frames: dict[int, Frame] = {}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> Frame:  # type: ignore[override]
        if not 0 <= i < self._count:
            raise IndexError(f"frame {i} of a chunk of {self._count}")
        frame = self._frames.get(i)
        if frame is None:
            values = {name: column[slots[i]] for name, column, slots in self._columns if slots[i] >= 0}
            frame = self._frames[i] = Frame(self.first_step + i, values)
        return frame


class _SDRColumn(Sequence[SDR]):
    """A chunk's SDRs of one stream: all indices in one array, an SDR made per request."""

    def __init__(self, indices: np.ndarray, starts: list[int], ends: list[int], dims: list[tuple[int, ...]]) -> None:
        self._indices, self._starts, self._ends, self._dims = indices, starts, ends, dims

    def __len__(self) -> int:
        return len(self._dims)

    def __getitem__(self, j: int) -> SDR:  # type: ignore[override]
        return SDR.from_sparse(self._dims[j], self._indices[self._starts[j]:self._ends[j]], validate=False)


def decode_chunk(streams: Sequence[Stream], first_step: int, count: int, scalar_blob: bytes,
                 payload_blob: bytes) -> DecodedChunk:
    """The frames ``first_step .. first_step + count - 1`` of a chunk (arrays read-only). Every
    check on the stored data happens here, so building a frame later cannot fail."""
    names = scalar_names(streams)
    scalars = decode_scalars(scalar_blob, len(names), count)
    payload = codec.unpack(payload_blob, "a frame block")
    try:
        (size,) = _HEADER_SIZE.unpack_from(payload)
        header = json.loads(payload[_HEADER_SIZE.size:_HEADER_SIZE.size + size])
        blob = BlobReader(memoryview(payload)[_HEADER_SIZE.size + size:], "frame block")
        presence = blob.array(header["presence"], writable=False)
        if header["n"] != count or presence.shape != (len(streams), count):
            raise CorruptSessionError("a frame block's size disagrees with its chunk")
        columns = []
        for row, stream in enumerate(streams):
            present = presence[row] != 0
            slots = np.where(present, np.cumsum(present) - 1, -1).tolist()
            n = int(present.sum())
            if stream.kind is StreamKind.SCALAR:
                column: Sequence[Any] = scalars[names.index(stream.name), present].tolist()
            else:
                column = _decode_values(stream, header["streams"][stream.name], blob, n)
            columns.append((stream.name, column, slots))
        return DecodedChunk(first_step, count, columns)
    except (struct.error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise CorruptSessionError(f"a frame block is damaged ({type(exc).__name__}: {exc})") from None


def _decode_values(stream: Stream, spec: dict[str, Any], blob: BlobReader, n: int) -> Sequence[Any]:
    kind = stream.kind
    if kind is StreamKind.TEXT:
        texts = spec["texts"]
        if len(texts) != n or not all(isinstance(t, str) for t in texts):
            raise CorruptSessionError(f"stream {stream.name!r}: texts do not match the frames")
        return texts
    if kind is StreamKind.SDR:
        return _decode_sdrs(stream, spec, blob, n)
    if "stacked" in spec:
        stacked = blob.array(spec["stacked"], writable=False)
        if len(stacked) != n:
            raise CorruptSessionError(f"stream {stream.name!r}: {len(stacked)} arrays for {n} frames")
        return stacked
    arrays = [blob.array(ref, writable=False) for ref in spec["each"]]
    if len(arrays) != n:
        raise CorruptSessionError(f"stream {stream.name!r}: {len(arrays)} arrays for {n} frames")
    return arrays


def _decode_sdrs(stream: Stream, spec: dict[str, Any], blob: BlobReader, n: int) -> _SDRColumn:
    lengths = blob.array(spec["lengths"], writable=False).astype(np.int64)
    deltas = blob.array(spec["deltas"], writable=False).astype(np.int64)
    if "shape" in spec:
        dims = [_sdr_shape(stream, spec["shape"])] * n
    else:
        dims = [_sdr_shape(stream, shape) for shape in spec["shapes"]]
    if lengths.shape != (n,) or len(dims) != n or deltas.ndim != 1 or lengths.sum() != deltas.size:
        raise CorruptSessionError(f"stream {stream.name!r}: SDR sizes do not match the frames")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    filled = lengths > 0
    running = np.cumsum(deltas)
    before = np.zeros(n, dtype=np.int64)
    later = filled & (starts > 0)
    before[later] = running[starts[later] - 1]
    flat = running - np.repeat(before, lengths)
    first = np.zeros(deltas.size, dtype=bool)
    first[starts[filled]] = True
    if np.any(deltas[~first] <= 0):
        raise CorruptSessionError(f"stream {stream.name!r}: SDR indices are not strictly increasing")
    sizes = np.array([math.prod(d) for d in dims], dtype=np.int64) if n else np.empty(0, np.int64)
    if np.any(flat[ends[filled] - 1] >= sizes[filled]):  # each SDR's last index is its largest
        raise CorruptSessionError(f"stream {stream.name!r}: an SDR index is outside its shape")
    return _SDRColumn(flat.astype(np.uint32), starts.tolist(), ends.tolist(), dims)


def _sdr_shape(stream: Stream, shape: Any) -> tuple[int, ...]:
    if not (isinstance(shape, list) and shape and all(isinstance(d, int) and d > 0 for d in shape)):
        raise CorruptSessionError(f"stream {stream.name!r}: an SDR has a malformed shape {shape!r:.40}")
    return tuple(shape)
