"""RDSE and MurmurHash3 (HTM_SPEC.md "Encoders": RDSE; "Reference numbers": HelloSPTP)."""

import json
import math

import numpy as np
import pytest

from tests.paths import HELLO_GOLDEN
from workbench.engine.htm.encoders import RDSE, RDSEParameters, murmur3_32, murmur3_32_words
from workbench.engine.htm.encoders.base import EncodingCache
from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.sdr import SDR



@pytest.mark.parametrize(
    "data, seed, expected",
    [
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"", 0xFFFFFFFF, 0x81F16F39),
        (b"\x00\x00\x00\x00", 0, 0x2362F9DE),
        (b"\xff\xff\xff\xff", 0, 0x76293B50),
        (b"!Ce\x87", 0, 0xF55B516B),
        (b"\x21\x43\x65\x87", 0x5082EDEE, 0x2362F9DE),
        (b"\x21\x43\x65", 0, 0x7E4A8634),
        (b"\x21\x43", 0, 0xA0F7B07A),
        (b"\x21", 0, 0x72661CF4),
        (b"Hello, world!", 1234, 0xFAF6CDB3),
        (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
    ],
)
def test_murmur3_known_vectors(data, seed, expected):
    assert murmur3_32(data, seed) == expected


def test_vectorised_murmur_matches_the_byte_version():
    keys = np.random.default_rng(0).integers(0, 2**32, size=(50, 3), dtype=np.uint64).astype(np.uint32)
    hashes = murmur3_32_words(keys, 77)
    assert hashes.dtype == np.uint32
    assert hashes.tolist() == [murmur3_32(row.astype("<u4").tobytes(), 77) for row in keys]
    single = murmur3_32_words(keys[:, 0], 5)
    assert single.tolist() == [murmur3_32(int(k).to_bytes(4, "little"), 5) for k in keys[:, 0]]


def rdse(**kwargs) -> RDSE:
    return RDSE(RDSEParameters(**kwargs))


def expected_bits(keys, seed, size):
    return sorted({murmur3_32((k % 2**32).to_bytes(4, "little"), seed) % size for k in keys})


def test_bits_are_hashes_of_consecutive_keys():
    encoder = rdse(size=100, active_bits=3, resolution=1.0, seed=0)
    assert encoder.encode(2.7).sparse.tolist() == expected_bits([2, 3, 4], 0, 100)
    assert encoder.encode(-0.5) == encoder.encode(0.9)  # trunc toward zero: both key 0


def test_negative_keys_wrap_as_twos_complement():
    encoder = rdse(size=1000, active_bits=4, resolution=0.5, seed=7)
    # -1.2 / 0.5 = -2.4 -> -2 -> 2**32 - 2; the keys run 2**32 - 2, 2**32 - 1, 0, 1.
    assert encoder.encode(-1.2).sparse.tolist() == expected_bits([2**32 - 2, 2**32 - 1, 2**32, 2**32 + 1], 7, 1000)


def test_huge_quotients_wrap_like_x86():
    encoder = rdse(size=1000, active_bits=4, resolution=1.0, seed=7)
    assert encoder.encode(2.0**40 + 5) == encoder.encode(5)  # mod 2**32
    assert encoder.encode(1e30) == encoder.encode(0) == encoder.encode(-1e30)  # cvttsd2si gives 2**63


def test_resolution_is_float32_radius_over_active_bits():
    encoder = rdse(size=1000, sparsity=0.2, radius=0.03, seed=2019)
    assert encoder.active_bits == 200
    assert encoder.resolution == float(np.float32(0.03) / np.float32(200))
    assert rdse(size=10, active_bits=2, resolution=0.1).resolution == float(np.float32(0.1))


def test_collisions_leave_fewer_bits_and_nan_is_empty():
    encoder = rdse(size=20, active_bits=15, resolution=1.0, seed=3)
    sdr = encoder.encode(10)
    assert 0 < sdr.active_count < 15
    assert sdr.sparse.tolist() == expected_bits(range(10, 25), 3, 20)
    assert encoder.encode(math.nan).active_count == 0


def test_infinity_and_non_numbers_are_errors():
    encoder = rdse(size=100, active_bits=3, resolution=1.0)
    with pytest.raises(ValueError, match="cannot encode inf"):
        encoder.encode(math.inf)
    with pytest.raises(TypeError, match="encodes numbers"):
        encoder.encode(None)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=10, active_bits=10, radius=1.0), "size must be > active_bits \\(got 10 <= 10\\)"),
        (dict(size=10, active_bits=2), "exactly one of radius, resolution \\(got none\\)"),
        (dict(size=10, active_bits=2, radius=1.0, resolution=1.0), "\\(got radius, resolution\\)"),
        (dict(size=10, active_bits=2, radius=math.inf), "radius must be a finite number > 0"),
        (dict(size=10, active_bits=2, resolution=1e-50), "resolution 0.0 is 0 in float32"),
        (dict(size=1, active_bits=1, radius=1.0), "size must be a whole number >= 2"),
        (dict(size=10, active_bits=2, radius=1.0, seed=2**32), "seed must be < 2\\*\\*32"),
        (dict(size=10, active_bits=2, radius=1.0, seed=-1), "seed must be a whole number >= 0"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rdse(**kwargs)


def test_hello_sptp_encoder_output_at_step_5000_bit_for_bit():
    golden = json.loads(HELLO_GOLDEN.read_text())
    encoder = rdse(size=1000, sparsity=0.2, radius=0.03, seed=2019)
    rng = CompatRNG(42)  # one RNG for the noise of every step
    x = np.float32(0.0)
    for _ in range(golden["steps"]):
        x = np.float32(x + np.float32(0.01))
        value = np.float32(math.sin(float(x)))  # sine in float64, then rounded to float32
        noisy = encoder.encode(value).add_noise(0.01, rng)
    assert noisy.active_count == 177
    assert noisy.sparse.tolist() == golden["encoder_after_noise"]


def test_values_seen_again_encode_as_a_fresh_encoder_does():
    encoder = rdse(size=700, sparsity=0.02, resolution=0.88, seed=3)
    gen = np.random.default_rng(1)
    values = gen.choice(gen.uniform(-50, 120, 40), 300).tolist() + [math.nan, 1e30, 2.0**40 + 5]
    for value in values:
        got = encoder.encode(value)
        assert got == rdse(size=700, sparsity=0.02, resolution=0.88, seed=3).encode(value), value
        assert not got.sparse.flags.writeable  # the SDR handed out again cannot be changed


def test_encoding_cache_starts_over_when_full():
    cache = EncodingCache(limit=2)
    a, b, c = (SDR.from_sparse((8,), [i]) for i in range(3))
    assert cache.put("a", a) is a and cache.put("b", b) is b
    assert cache.get("a") is a and cache.get("b") is b
    cache.put("c", c)  # full: the earlier encodings go
    assert cache.get("a") is None and cache.get("b") is None and cache.get("c") is c
