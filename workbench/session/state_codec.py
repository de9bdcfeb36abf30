"""Model checkpoints without pickle: a JSON structure plus one blob of array bytes.

Session files are shared, so loading one must never run code from it (pickle would). A state
dict is nested dict / list / tuple / str / int / float / bool / None / numpy arrays and numpy
scalars; it becomes a JSON document in which the types JSON lacks are tagged objects, and every
array's raw bytes go into one blob. Decoding rebuilds the same value exactly: dtypes (byte order
included), shapes, tuple-versus-list, non-string dict keys, NaN and infinities, -0.0.

Tags (a dict whose only key starts with ``$``): ``$tuple`` [items], ``$dict`` [[key, value]...]
(for dicts with non-str keys or keys starting with ``$``), ``$float`` "nan" | "inf" | "-inf",
``$array`` / ``$number`` [dtype, shape, offset, nbytes] (``$number`` is a numpy scalar).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .blobs import BlobReader, BlobWriter, SnapshotBuffers, storable
from .errors import CorruptSessionError


class StateEncodeError(TypeError):
    """A state dict holds a value that cannot be stored; the message gives its path."""


def encode_state(state: Any, buffers: SnapshotBuffers | None = None) -> tuple[str, np.ndarray]:
    """``state`` as (JSON structure, array bytes as one uint8 array). The bytes are a snapshot
    that later in-place changes to the model cannot alter: every array is copied once, into a
    buffer from ``buffers`` (give it back once stored) or a new one. No bytes are converted:
    compressing them is left to the caller, who may do it on another thread."""
    blob = BlobWriter()

    def array_ref(array: np.ndarray, path: str) -> list:
        if not storable(array.dtype):
            raise StateEncodeError(f"{path}: arrays of dtype {array.dtype} cannot be stored "
                                   "(object or structured dtypes)")
        return blob.add(array)

    def encode(value: Any, path: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.ndarray):
            return {"$array": array_ref(value, path)}
        if isinstance(value, np.generic):
            return {"$number": array_ref(np.asarray(value), path)}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
        if isinstance(value, list):
            return [encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [encode(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: encode(v, f"{path}[{k!r}]") for k, v in value.items()}
            return {"$dict": [[encode(k, f"{path} key {k!r}"), encode(v, f"{path}[{k!r}]")]
                              for k, v in value.items()]}
        raise StateEncodeError(f"{path}: cannot store a {type(value).__name__} in a checkpoint; use "
                               "dict, list, tuple, str, int, float, bool, None or numpy arrays")

    structure = json.dumps(encode(state, "state"), separators=(",", ":"), allow_nan=False)
    return structure, blob.snapshot(None if buffers is None else buffers.take(blob.nbytes))


def decode_state(structure: str, data: bytes | memoryview) -> Any:
    """The value :func:`encode_state` encoded; damaged input raises :class:`CorruptSessionError`."""
    try:
        tree = json.loads(structure)
    except (ValueError, RecursionError) as exc:
        raise CorruptSessionError(f"checkpoint structure is not valid JSON ({exc})") from None
    blob = BlobReader(data, "checkpoint")

    def decode(node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [decode(v) for v in node]
        if not isinstance(node, dict):
            raise CorruptSessionError(f"checkpoint holds an unexpected JSON value {node!r:.80}")
        if len(node) == 1:
            (tag, body), = node.items()
            if tag == "$array":
                return blob.array(body, writable=True)
            if tag == "$number":
                return blob.array(body, writable=True)[()]
            if tag == "$tuple" and isinstance(body, list):
                return tuple(decode(v) for v in body)
            if tag == "$float" and body in ("nan", "inf", "-inf"):
                return float(body)
            if tag == "$dict" and isinstance(body, list):
                if not all(isinstance(kv, list) and len(kv) == 2 for kv in body):
                    raise CorruptSessionError("checkpoint has a malformed $dict entry")
                try:
                    return {decode(k): decode(v) for k, v in body}
                except TypeError:
                    raise CorruptSessionError("checkpoint has an unhashable dict key") from None
            if tag.startswith("$"):
                raise CorruptSessionError(f"checkpoint has an unknown tag {tag!r:.40}")
        return {k: decode(v) for k, v in node.items()}

    try:
        return decode(tree)
    except RecursionError:
        raise CorruptSessionError("checkpoint structure is nested too deeply") from None
