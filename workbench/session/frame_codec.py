"""Frames to bytes and back, a chunk of consecutive steps at a time.

A chunk is stored column-wise, stream by stream, because that is both cheap to build (one
concatenation per stream, no per-value Python work beyond collecting references) and compact:

- scalar streams go into their own blob, a float64 matrix (stream x step) with NaN where a frame
  has no value, so a curve over many steps is read without touching SDRs or images;
- SDRs are their sorted indices as deltas (the first index of each step absolute), stored as
  the narrowest unsigned type that fits, which zlib then packs well (HTM_SPEC.md: SDRs are
  sparse, so gaps are small);
- vectors, histograms and images keep their dtype and shape (one stacked array when every step
  agrees); texts go into the JSON header;
- a presence matrix (stream x step) records which streams each frame has, so frames read back
  exactly as they were written.

Decoding trusts nothing: every reference is checked, and SDR indices are checked to be strictly
increasing and in range before SDRs are built without re-validation.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Sequence

import numpy as np

from workbench.engine.htm.sdr import SDR

from .blobs import BlobReader, BlobWriter, storable
from .errors import CorruptSessionError
from .frames import Frame, Stream, StreamKind

COMPRESSION_LEVEL = 1  # level 1 already packs delta-coded SDRs; higher levels cost more than they save
_ARRAY_KINDS = (StreamKind.VECTOR, StreamKind.HISTOGRAM, StreamKind.IMAGE)
_HEADER_SIZE = struct.Struct("<I")


def scalar_names(streams: Sequence[Stream]) -> list[str]:
    """The scalar streams, in the order of their rows in a chunk's scalar matrix."""
    return [s.name for s in streams if s.kind is StreamKind.SCALAR]


def encode_chunk(streams: Sequence[Stream], frames: Sequence[Frame]) -> tuple[bytes, bytes]:
    """(scalar blob, payload blob) for ``frames``, both zlib-compressed."""
    count = len(frames)
    names = scalar_names(streams)
    scalars = np.full((len(names), count), np.nan)
    presence = np.zeros((len(streams), count), dtype=np.uint8)
    blob = BlobWriter()
    specs: dict[str, Any] = {}
    for row, stream in enumerate(streams):
        name = stream.name
        present = [i for i, f in enumerate(frames) if name in f.values]
        presence[row, present] = 1
        values = [frames[i].values[name] for i in present]
        kind = stream.kind
        if kind is StreamKind.SCALAR:
            scalars[names.index(name), present] = values
        elif kind is StreamKind.TEXT:
            specs[name] = {"texts": [str(v) for v in values]}
        elif kind is StreamKind.SDR:
            specs[name] = _encode_sdrs(values, blob)
        elif kind in _ARRAY_KINDS:
            specs[name] = _encode_arrays(name, values, blob)
        else:
            raise TypeError(f"stream {name!r} has kind {kind!r}, which sessions cannot store")
    header = json.dumps({"n": count, "presence": blob.add(presence), "streams": specs},
                        separators=(",", ":"), allow_nan=False).encode()
    payload = _HEADER_SIZE.pack(len(header)) + header + blob.getvalue()
    return (zlib.compress(scalars.tobytes(), COMPRESSION_LEVEL),
            zlib.compress(payload, COMPRESSION_LEVEL))


def _encode_sdrs(values: list[SDR], blob: BlobWriter) -> dict[str, Any]:
    lengths = np.fromiter((v.sparse.size for v in values), dtype=np.uint32, count=len(values))
    flat = np.concatenate([v.sparse for v in values]).astype(np.int64) if values else np.empty(0, np.int64)
    deltas = np.diff(flat, prepend=0)
    starts = (np.cumsum(lengths) - lengths)[lengths > 0]
    deltas[starts] = flat[starts]
    top = int(deltas.max()) if deltas.size else 0
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32
    spec: dict[str, Any] = {"lengths": blob.add(lengths), "deltas": blob.add(deltas.astype(dtype))}
    spec.update(_uniform("shape", [list(v.shape) for v in values]))
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


def _uniform(key: str, items: list[Any]) -> dict[str, Any]:
    """``{key: item}`` when every item is equal (or there are none), else ``{key + "s": items}``."""
    if all(item == items[0] for item in items[1:]):
        return {key: items[0] if items else None}
    return {key + "s": items}


def decode_scalars(blob: bytes, n_streams: int, count: int) -> np.ndarray:
    """The (stream x step) float64 scalar matrix of a chunk."""
    data = _inflate(blob, "scalar block")
    if len(data) != 8 * n_streams * count:
        raise CorruptSessionError(f"a scalar block holds {len(data)} bytes, expected {8 * n_streams * count}")
    matrix = np.frombuffer(data, dtype=np.float64).reshape(n_streams, count)
    matrix.flags.writeable = False
    return matrix


def decode_chunk(streams: Sequence[Stream], first_step: int, count: int, scalar_blob: bytes,
                 payload_blob: bytes) -> list[Frame]:
    """The frames ``first_step .. first_step + count - 1`` of a chunk (arrays read-only)."""
    names = scalar_names(streams)
    scalars = decode_scalars(scalar_blob, len(names), count)
    payload = _inflate(payload_blob, "frame block")
    try:
        (size,) = _HEADER_SIZE.unpack_from(payload)
        header = json.loads(payload[_HEADER_SIZE.size:_HEADER_SIZE.size + size])
        blob = BlobReader(memoryview(payload)[_HEADER_SIZE.size + size:], "frame block")
        presence = blob.array(header["presence"], writable=False)
        if header["n"] != count or presence.shape != (len(streams), count):
            raise CorruptSessionError("a frame block's size disagrees with its chunk")
        frames = [Frame(first_step + i, {}) for i in range(count)]
        for row, stream in enumerate(streams):
            present = np.flatnonzero(presence[row])
            if stream.kind is StreamKind.SCALAR:
                values = scalars[names.index(stream.name), present].tolist()
            else:
                values = _decode_values(stream, header["streams"][stream.name], blob, len(present))
            for i, value in zip(present.tolist(), values):
                frames[i].values[stream.name] = value
        return frames
    except (struct.error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise CorruptSessionError(f"a frame block is damaged ({type(exc).__name__}: {exc})") from None


def _decode_values(stream: Stream, spec: dict[str, Any], blob: BlobReader, n: int) -> list[Any]:
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
        return list(stacked)
    arrays = [blob.array(ref, writable=False) for ref in spec["each"]]
    if len(arrays) != n:
        raise CorruptSessionError(f"stream {stream.name!r}: {len(arrays)} arrays for {n} frames")
    return arrays


def _decode_sdrs(stream: Stream, spec: dict[str, Any], blob: BlobReader, n: int) -> list[SDR]:
    lengths = blob.array(spec["lengths"], writable=False).astype(np.int64)
    deltas = blob.array(spec["deltas"], writable=False).astype(np.int64)
    shapes = [spec["shape"]] * n if "shape" in spec else spec["shapes"]
    if lengths.shape != (n,) or len(shapes) != n or deltas.ndim != 1 or lengths.sum() != deltas.size:
        raise CorruptSessionError(f"stream {stream.name!r}: SDR sizes do not match the frames")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    running = np.cumsum(deltas)
    before = np.where(starts > 0, running[np.maximum(starts - 1, 0)] if deltas.size else 0, 0)
    flat = running - np.repeat(before, lengths)
    first = np.zeros(deltas.size, dtype=bool)
    first[starts[lengths > 0]] = True
    if np.any(deltas[~first] <= 0):
        raise CorruptSessionError(f"stream {stream.name!r}: SDR indices are not strictly increasing")
    sdrs = []
    for shape, start, end in zip(shapes, starts.tolist(), ends.tolist()):
        dims = tuple(shape)
        size = int(np.prod(dims)) if dims and all(isinstance(d, int) and d > 0 for d in dims) else 0
        if size < 1 or (end > start and flat[end - 1] >= size):
            raise CorruptSessionError(f"stream {stream.name!r}: an SDR index is outside its shape {shape!r:.40}")
        sdrs.append(SDR.from_sparse(dims, flat[start:end].astype(np.uint32), validate=False))
    return sdrs


def _inflate(blob: bytes, what: str) -> bytes:
    try:
        return zlib.decompress(blob)
    except (zlib.error, TypeError) as exc:
        raise CorruptSessionError(f"a {what} does not decompress ({exc})") from None
