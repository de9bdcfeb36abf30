"""The SimHash document encoder (HTM_SPEC.md, "Encoders": SimHash document).

A text becomes the locality-sensitive SimHash of its tokens: each token hashes (SHAKE-256) to
``size`` pseudo-random signs, the signs are summed over the document weighted by each token's
weight, and the ``active_bits`` largest sums become the active bits. Documents sharing most of
their tokens share most of their bits. Written from that description (htm.core's
SimHashDocumentEncoder idea), not bit-compatible with it.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from ..sdr import SDR
from .base import Encoder, is_number, require, require_whole, resolve_active_bits


@lru_cache(maxsize=65536)
def _token_signs(token: str, size: int) -> np.ndarray:
    """+1 / -1 for each of ``size`` bits of SHAKE-256(token as UTF-8), bit i of byte i // 8
    taken least significant first."""
    digest = hashlib.shake_256(token.encode("utf-8", "surrogatepass")).digest((size + 7) // 8)
    bits = np.unpackbits(np.frombuffer(digest, dtype=np.uint8), bitorder="little")[:size]
    signs = bits.astype(np.float64) * 2.0 - 1.0
    signs.flags.writeable = False
    return signs


@dataclass(frozen=True)
class SimHashDocumentEncoderParameters:
    """``size`` bits and ``active_bits`` (or ``sparsity``), plus:

    - ``case_sensitive``: if False (default) tokens are compared case-folded.
    - ``token_similarity``: also add each character's hash, so that similar spellings share bits.
    - ``excludes``: tokens to ignore (case-folded too unless case_sensitive).
    - ``frequency_floor``: tokens occurring fewer times than this in a document are ignored.
    - ``frequency_ceiling``: repeats of a token beyond this many are ignored (None: no limit).
    """

    size: int
    active_bits: int | None = None
    sparsity: float | None = None
    case_sensitive: bool = False
    token_similarity: bool = False
    excludes: tuple[str, ...] = ()
    frequency_floor: int = 0
    frequency_ceiling: int | None = None


Document = str | Sequence[str] | Mapping[str, float]


class SimHashDocumentEncoder(Encoder):
    """SimHash of a document given as a string (split on whitespace), a sequence of tokens
    (weight = number of occurrences, within the frequency limits) or a mapping token -> weight
    (weights as given; the frequency limits do not apply). Ties among the largest sums go to
    the lowest bit index. A document with no token left to hash is an error."""

    def __init__(self, parameters: SimHashDocumentEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "SimHashDocumentEncoder"
        require_whole(owner, "size", p.size, minimum=2)
        active_bits = resolve_active_bits(owner, p.active_bits, p.sparsity, p.size)
        require(active_bits < p.size, f"{owner}: size must be > active_bits (got {p.size} <= {active_bits})")
        require_whole(owner, "frequency_floor", p.frequency_floor, minimum=0)
        if p.frequency_ceiling is not None:
            require_whole(owner, "frequency_ceiling", p.frequency_ceiling, minimum=1)
            require(
                p.frequency_ceiling >= p.frequency_floor,
                f"{owner}: frequency_ceiling must be >= frequency_floor "
                f"(got {p.frequency_ceiling} < {p.frequency_floor})",
            )
        excludes = (p.excludes,) if isinstance(p.excludes, str) else tuple(p.excludes)
        require(all(isinstance(t, str) for t in excludes), f"{owner}: excludes must be strings (got {excludes!r})")
        self._excluded = frozenset(self._fold(t) for t in excludes)
        self.active_bits = active_bits
        self._size = int(p.size)

    @property
    def size(self) -> int:
        return self._size

    def _fold(self, token: str) -> str:
        return token if self.parameters.case_sensitive else token.casefold()

    def _weights(self, document: Document) -> dict[str, float]:
        p = self.parameters
        if isinstance(document, str):
            document = document.split()
        if isinstance(document, Mapping):
            weights: dict[str, float] = {}
            for token, weight in document.items():
                require(isinstance(token, str), f"SimHashDocumentEncoder: tokens must be strings (got {token!r})")
                require(
                    is_number(weight) and math.isfinite(weight),
                    f"SimHashDocumentEncoder: weight of {token!r} must be a finite number (got {weight!r})",
                )
                folded = self._fold(token)
                if folded not in self._excluded:
                    weights[folded] = weights.get(folded, 0.0) + float(weight)
            return weights
        if not isinstance(document, Sequence):
            raise TypeError(
                "SimHashDocumentEncoder encodes a string, a sequence of tokens or a mapping token -> "
                f"weight (got {type(document).__name__})"
            )
        require(
            all(isinstance(t, str) for t in document),
            "SimHashDocumentEncoder: tokens must be strings",
        )
        counts = Counter(self._fold(t) for t in document)
        ceiling = p.frequency_ceiling if p.frequency_ceiling is not None else math.inf
        return {
            token: float(min(count, ceiling))
            for token, count in counts.items()
            if token not in self._excluded and count >= p.frequency_floor
        }

    def encode(self, value: Document) -> SDR:
        weights = self._weights(value)
        require(
            bool(weights), "SimHashDocumentEncoder: the document has no tokens left to hash (after exclusions and frequency limits)"
        )
        sums = np.zeros(self._size, dtype=np.float64)
        for token, weight in weights.items():
            sums += weight * _token_signs(token, self._size)
            if self.parameters.token_similarity:
                for character in token:
                    sums += weight * _token_signs(character, self._size)
        winners = np.argsort(-sums, kind="stable")[: self.active_bits]
        return SDR.from_sparse(self.shape, np.sort(winners).astype(np.uint32), validate=False)
