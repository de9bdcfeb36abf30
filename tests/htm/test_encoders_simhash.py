"""SimHashDocumentEncoder (HTM_SPEC.md "Encoders": SimHash document)."""

import hashlib

import numpy as np
import pytest

from workbench.engine.htm.encoders import SimHashDocumentEncoder, SimHashDocumentEncoderParameters


def simhash(**kwargs) -> SimHashDocumentEncoder:
    return SimHashDocumentEncoder(SimHashDocumentEncoderParameters(**kwargs))


def hash_bits(token: str, size: int) -> list[int]:
    digest = hashlib.shake_256(token.encode()).digest((size + 7) // 8)
    return [(digest[i // 8] >> (i % 8)) & 1 for i in range(size)]


def test_single_token_takes_its_lowest_set_hash_bits():
    encoder = simhash(size=64, active_bits=5)
    ones = [i for i, b in enumerate(hash_bits("hello", 64)) if b]
    assert encoder.encode("hello").sparse.tolist() == ones[:5]  # all sums +1: ties go to the lowest index


def test_weighted_sum_over_tokens_hand_computed():
    encoder = simhash(size=16, active_bits=4)
    a, b = np.array(hash_bits("a", 16)) * 2 - 1, np.array(hash_bits("b", 16)) * 2 - 1
    sums = 2 * a + b
    expected = sorted(np.argsort(-sums, kind="stable")[:4].tolist())
    assert encoder.encode(["a", "b", "a"]).sparse.tolist() == expected
    assert encoder.encode("a b a") == encoder.encode({"a": 2, "b": 1.0})


def test_case_sensitivity():
    folded, exact = simhash(size=256, active_bits=20), simhash(size=256, active_bits=20, case_sensitive=True)
    assert folded.encode("Hello World") == folded.encode("hello world")
    assert exact.encode("Hello World") != exact.encode("hello world")


def test_excluded_tokens_and_frequency_limits():
    encoder = simhash(size=256, active_bits=20, excludes=("the",))
    assert encoder.encode("The cat the") == encoder.encode("cat")
    floor = simhash(size=256, active_bits=20, frequency_floor=2)
    assert floor.encode("a a b") == floor.encode({"a": 1})
    ceiling = simhash(size=32, active_bits=12, frequency_ceiling=1)
    assert ceiling.encode("a a a b") == ceiling.encode("a b")
    assert simhash(size=32, active_bits=12).encode("a a a b") != ceiling.encode("a b")  # the weight matters


def test_token_similarity_makes_similar_spellings_share_bits():
    plain = simhash(size=400, active_bits=40)
    similar = simhash(size=400, active_bits=40, token_similarity=True)
    assert similar.encode("encoder").overlap(similar.encode("encoders")) > plain.encode("encoder").overlap(
        plain.encode("encoders")
    )


def test_similar_documents_share_more_bits_than_unrelated_ones():
    encoder = simhash(size=400, sparsity=0.25)
    text = "the quick brown fox jumps over the lazy dog near the river bank"
    here = encoder.encode(text)
    assert here.active_count == 100
    near = here.overlap(encoder.encode(text.replace("dog", "cat")))
    far = here.overlap(encoder.encode("completely unrelated sentence about stock markets and interest rates"))
    assert near > 80 > 40 > far


@pytest.mark.parametrize(
    "document, error, message",
    [
        ("", ValueError, "no tokens left to hash"),
        ("the THE", ValueError, "no tokens left to hash"),
        (["a", 3], ValueError, "tokens must be strings"),
        ({"a": float("inf")}, ValueError, "weight of 'a' must be a finite number"),
        ({1: 1.0}, ValueError, "tokens must be strings \\(got 1\\)"),
        (1.5, TypeError, "encodes a string, a sequence of tokens or a mapping"),
    ],
)
def test_bad_documents(document, error, message):
    with pytest.raises(error, match=message):
        simhash(size=64, active_bits=5, excludes=("the",)).encode(document)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=10, active_bits=10), "size must be > active_bits"),
        (dict(size=10, active_bits=2, frequency_floor=-1), "frequency_floor must be a whole number >= 0"),
        (dict(size=10, active_bits=2, frequency_ceiling=0), "frequency_ceiling must be a whole number >= 1"),
        (dict(size=10, active_bits=2, frequency_floor=3, frequency_ceiling=2), "must be >= frequency_floor"),
        (dict(size=10, active_bits=2, excludes=(1,)), "excludes must be strings"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simhash(**kwargs)
