"""MurmurHash3_x86_32, written from Austin Appleby's public algorithm description.

The RDSE (HTM_SPEC.md, "Encoders") maps each bucket key to a bit with this hash, so matching
htm.core's encodings bit for bit needs exactly this function. :func:`murmur3_32` hashes one byte
string (the reference definition); :func:`murmur3_32_words` hashes many keys of whole 32-bit
little-endian words at once with numpy, since every operation is a 32-bit wrap-around one.
"""

from __future__ import annotations

import numpy as np

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def _mix_key(k: int) -> int:
    k = (k * _C1) & _MASK
    k = _rotl(k, 15)
    return (k * _C2) & _MASK


def _finalise(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data`` with a 32-bit ``seed``."""
    h = seed & _MASK
    whole = len(data) - len(data) % 4
    for start in range(0, whole, 4):
        h ^= _mix_key(int.from_bytes(data[start : start + 4], "little"))
        h = (_rotl(h, 13) * 5 + 0xE6546B64) & _MASK
    tail = data[whole:]
    if tail:
        h ^= _mix_key(int.from_bytes(tail, "little"))
    return _finalise(h ^ len(data))


def _rotl_words(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmur3_32_words(words: np.ndarray, seed: int = 0) -> np.ndarray:
    """MurmurHash3_x86_32 of many keys at once.

    ``words`` is a uint32 array of shape (keys,) or (keys, words_per_key); each row is hashed as
    the bytes of its words in little-endian order, the same as :func:`murmur3_32` of
    ``row.astype('<u4').tobytes()``. Returns uint32 hashes, one per key.
    """
    keys = np.asarray(words, dtype=np.uint32)
    if keys.ndim == 1:
        keys = keys[:, None]
    h = np.full(keys.shape[0], seed & _MASK, dtype=np.uint32)
    for column in keys.T:
        k = column * np.uint32(_C1)
        k = _rotl_words(k, 15) * np.uint32(_C2)
        h ^= k
        h = _rotl_words(h, 13) * np.uint32(5) + np.uint32(0xE6546B64)
    h ^= np.uint32(4 * keys.shape[1])
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h
