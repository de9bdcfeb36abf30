"""Compression of everything a session file stores as a blob: chunks' scalar and frame blocks,
checkpoints' structure and array bytes.

Format 2 files are written with zstandard at level 1: recording must cost at most 10 % of a
run's step rate, and on a hot gym checkpoint (33 MB of arrays) zstd level 1 takes about a fifth
of zlib level 1's CPU time for a slightly smaller result, and unpacks in about a third of the
time (forks load checkpoints faster). Compressing releases the GIL, so the writer thread does
it beside the recording run.

Format 1 files hold zlib streams everywhere. Reading tells the two apart blob by blob, by the
zstd frame's magic number (no zlib stream starts with it: 0x28 0xB5 fails a zlib header's check
bits), not by the file's format: a fork of a format 1 session copies its parent's zlib blobs as
stored into a format 2 file, beside the zstd blobs it records itself.
"""

from __future__ import annotations

import zlib
from typing import Iterable

import numpy as np
import zstandard

from .errors import CorruptSessionError

LEVEL = 1  # level 1 already packs delta-coded SDRs and model arrays; higher levels cost more than they save
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame's first four bytes (RFC 8878, section 3.1.1)

Buffer = bytes | bytearray | memoryview | np.ndarray  # C-contiguous arrays: their bytes as they lie


def pack(data: Buffer) -> bytes:
    """``data`` as one zstd frame (its size recorded in the frame, as :func:`unpack` needs)."""
    return zstandard.ZstdCompressor(level=LEVEL).compress(data)


def pack_parts(parts: Iterable[Buffer], size: int) -> bytes:
    """The concatenation of ``parts`` as one zstd frame, streamed part by part so that the
    parts are never joined into one copy. ``size`` is their total length in bytes (recorded in
    the frame; a different total raises ``zstandard.ZstdError``)."""
    packer = zstandard.ZstdCompressor(level=LEVEL).compressobj(size=size)
    out = [packer.compress(part) for part in parts]
    out.append(packer.flush())
    return b"".join(out)


def unpack(blob: Buffer, what: str) -> bytes:
    """The bytes packed in ``blob``: a zstd frame (format 2) or a zlib stream (format 1).
    Anything else (damaged, truncated, not bytes at all) raises :class:`CorruptSessionError`
    saying that ``what`` (e.g. "checkpoint at step 40") does not decompress."""
    try:
        if blob[:len(ZSTD_MAGIC)] == ZSTD_MAGIC:
            return zstandard.ZstdDecompressor().decompress(blob)
        return zlib.decompress(blob)
    except (zstandard.ZstdError, zlib.error, TypeError) as exc:
        raise CorruptSessionError(f"{what} does not decompress ({exc})") from None
    except MemoryError:  # a damaged frame header can claim any size
        raise CorruptSessionError(f"{what} does not decompress: it claims to unpack to more bytes than "
                                  "there is memory for (the file is probably damaged)") from None
