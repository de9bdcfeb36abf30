"""How the Spatial Pooler stores its permanences: float32, float16 or 8-bit fixed point.

The dense permanences are almost all of a Spatial Pooler's memory (4 bytes per (column, input)
pair in float32) and almost all of what a learning step reads and writes, so storing them in 2
or 1 bytes halves or quarters both (Etaler measured float16 about 40 % faster). The option is
the ``permanence_dtype`` parameter; float32, the default, is HTM_SPEC.md's model exactly.

The rules at reduced precision, identical on numpy and OpenCL so that both stay equal bit for bit:

* Every rule computes in float32 as before, on the *decoded* stored values, and rounds its
  result to the storage once, when it writes it back (after the clip to [0, 1]).
* float16: IEEE half, rounded to nearest, ties to even (numpy's ``astype``; in ``sp.cl`` by
  float and bit operations, which PoCL vectorises); every half is exactly a float32, so
  decoding is exact. Inputs outside the potential pool are NaN, as in float32.
* uint8: fixed point, code q in 0..254 stands for q * STEP with STEP = float32(1/254) (a
  float32 product: exact IEEE on both backends, unlike a division, which OpenCL may round
  differently); encoding is rint(p * 254) (ties to even). Code 255 marks inputs outside the
  potential pool and decodes to NaN, so the NaN rules of the float32 code carry over. 254 steps
  rather than 255 leave that code free at no memory cost (a separate pool mask would cost a
  bit per pair).
* "Connected" compares the decoded value with the float32 threshold (connected - 1e-6):
  exact, since the decoded value is a float32.
* Raise to threshold aims at :meth:`PermanenceStorage.lowest_at_least` (the smallest stored
  value that is connected) instead of the float32 threshold itself: aiming at the threshold
  would round back below it (0.1 - 1e-6 is 25.4 steps of 1/254: code 25, not connected). The
  count of connected synapses it starts from is taken on stored values, so the initial
  permanences are rounded to the storage before they are raised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PERMANENCE_DTYPES = ("float32", "float16", "uint8")
U8_LEVELS = 254  # codes 0..254 are 0 .. 1 in steps of 1/254
U8_NOT_POTENTIAL = 255
U8_STEP = np.float32(1.0 / U8_LEVELS)
_HALF_ONE_BITS = np.uint16(0x3C00)
#: Every float16 bit pattern as a float32: a table lookup decodes 2-3x faster than numpy's
#: float16 conversion on the CPUs measured.
_HALF_TO_FLOAT = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16) \
    .astype(np.float32)


@dataclass(frozen=True)
class PermanenceStorage:
    """Encoding and decoding of one storage type (see the module docstring)."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def itemsize(self) -> int:
        """Bytes per stored permanence."""
        return self.dtype.itemsize

    @property
    def outside_pool(self) -> np.generic:
        """The stored value of an input outside the potential pool: NaN, or code 255."""
        return self.encode(np.array([np.nan], dtype=np.float32))[0]

    @property
    def exact(self) -> bool:
        """True for float32: encoding and decoding are the identity."""
        return self.name == "float32"

    @property
    def cl_defines(self) -> dict[str, object]:
        """Defines that select this storage in ``cl/kernels/sp.cl``."""
        return {"PERM_STORAGE": PERMANENCE_DTYPES.index(self.name),
                "PERM_U8_STEP": float(U8_STEP).hex() + "f"}

    def encode(self, values: np.ndarray) -> np.ndarray:
        """float32 permanences in [0, 1] (NaN outside the pool) -> stored; float32 unchanged."""
        values = np.asarray(values, dtype=np.float32)
        if self.name == "float32":
            return values
        if self.name == "float16":
            return values.astype(np.float16)
        codes = np.rint(values * np.float32(U8_LEVELS))
        return np.where(np.isnan(codes), np.float32(U8_NOT_POTENTIAL), codes).astype(np.uint8)

    def decode(self, stored: np.ndarray) -> np.ndarray:
        """Stored -> float32 permanences (NaN outside the pool); float32 unchanged."""
        if self.name == "float32":
            return stored
        if self.name == "float16":
            return np.take(_HALF_TO_FLOAT, np.asarray(stored, dtype=np.float16).view(np.uint16))
        values = stored.astype(np.float32) * U8_STEP
        values[stored == U8_NOT_POTENTIAL] = np.nan
        return values

    def quantize(self, values: np.ndarray) -> np.ndarray:
        """The float32 values the storage would give back: decode(encode(values))."""
        return values if self.exact else self.decode(self.encode(values))

    def lowest_at_least(self, threshold: np.float32) -> np.float32:
        """The smallest value the storage can hold that is >= ``threshold`` (a float32 in
        [-1, 1]); ``threshold`` itself for float32."""
        threshold = np.float32(threshold)
        if self.name == "float32":
            return threshold
        if self.name == "float16":
            half = np.float16(threshold)
            if np.float32(half) < threshold:
                half = np.nextafter(half, np.float16(np.inf))
            return np.float32(half)
        levels = self.decode(np.arange(U8_LEVELS + 1, dtype=np.uint8))
        return levels[min(int(np.searchsorted(levels, threshold)), U8_LEVELS)]

    def at_least(self, stored: np.ndarray, threshold: np.float32) -> np.ndarray:
        """decode(stored) >= threshold, without decoding (False outside the pool).

        Stored permanences lie in [0, 1] (never -0), where halves order like their bit
        patterns; NaN patterns lie above 1's."""
        threshold = np.float32(threshold)
        if self.name == "float32":
            return stored >= threshold
        if self.name == "float16":
            bits = np.asarray(stored, dtype=np.float16).view(np.uint16)
            lowest = self.lowest_at_least(threshold)
            first = np.float16(lowest).view(np.uint16) if lowest > 0 else np.uint16(0)
            return (bits >= first) & (bits <= _HALF_ONE_BITS)
        levels = self.decode(np.arange(U8_LEVELS + 1, dtype=np.uint8))
        first = np.uint8(np.searchsorted(levels, threshold))  # the first code >= threshold
        return (stored >= first) & (stored != U8_NOT_POTENTIAL)


def permanence_storage(name: str) -> PermanenceStorage:
    """The storage called ``name`` (one of :data:`PERMANENCE_DTYPES`)."""
    if name not in PERMANENCE_DTYPES:
        raise ValueError(f"permanence_dtype must be one of {', '.join(PERMANENCE_DTYPES)} "
                         f"(got {name!r})")
    return PermanenceStorage(name)
