"""CategoryEncoder (HTM_SPEC.md "Encoders": Category)."""

import pytest

from workbench.engine.htm.encoders import CategoryEncoder, CategoryEncoderParameters


def test_one_block_per_category_in_listed_order():
    encoder = CategoryEncoder(CategoryEncoderParameters(categories=("red", "green", 7), active_bits=3))
    assert encoder.size == encoder.shape[0] == 9
    assert encoder.encode("red").sparse.tolist() == [0, 1, 2]
    assert encoder.encode("green").sparse.tolist() == [3, 4, 5]
    assert encoder.encode(7).sparse.tolist() == [6, 7, 8]
    assert encoder.encode("red").overlap(encoder.encode(7)) == 0


def test_unknown_category_is_an_error_listing_the_known_ones():
    encoder = CategoryEncoder(CategoryEncoderParameters(categories=("a", "b"), active_bits=1))
    with pytest.raises(ValueError, match="unknown category 'c' \\(known: 'a', 'b'\\)"):
        encoder.encode("c")
    with pytest.raises(ValueError, match="unknown category nan"):
        encoder.encode(float("nan"))
    many = CategoryEncoder(CategoryEncoderParameters(categories=tuple(range(12)), active_bits=1))
    with pytest.raises(ValueError, match="known: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \\.\\.\\.\\)"):
        many.encode(12)


@pytest.mark.parametrize(
    "categories, active_bits, message",
    [
        ((), 2, "at least one category"),
        (("a", "a"), 2, "categories must be distinct"),
        ((1, 1.0), 2, "categories must be distinct"),
        (("a",), 0, "active_bits must be a whole number >= 1 \\(got 0\\)"),
    ],
)
def test_parameter_errors(categories, active_bits, message):
    with pytest.raises(ValueError, match=message):
        CategoryEncoder(CategoryEncoderParameters(categories=categories, active_bits=active_bits))
