"""CompatRNG against HTM_SPEC.md "Numbers and randomness": the mt19937 stream and its conversions."""

import numpy as np
import pytest

from workbench.engine.htm.rng import CompatRNG


def test_seed_42_stream_matches_std_mt19937():
    rng = CompatRNG(42)
    assert [rng.draw() for _ in range(3)] == [1608637542, 3421126067, 4083286876]


def test_default_seed_10000th_draw_is_the_cpp_standard_value():
    # The C++ standard requires std::mt19937 with its default seed 5489 to give 4123659995
    # as its 10000th output.
    assert int(CompatRNG(5489).draws(10000)[-1]) == 4123659995


def test_seed_zero_is_an_ordinary_seed():
    assert CompatRNG(0).draws(4).tolist() == CompatRNG(0).draws(4).tolist()
    assert CompatRNG(0).draw() != CompatRNG(1).draw()


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_out_of_range_is_an_error(seed):
    with pytest.raises(ValueError, match=str(seed)):
        CompatRNG(seed)


def test_draws_consumes_exactly_n():
    a, b = CompatRNG(7), CompatRNG(7)
    assert a.draws(5).tolist() == [b.draw() for _ in range(5)]
    assert a.draws(0).size == 0
    assert a.draw() == b.draw()


def test_integer_is_draw_mod_n():
    rng = CompatRNG(42)
    assert rng.integer(10) == 1608637542 % 10 == 2
    assert rng.integer(1000) == 3421126067 % 1000 == 67
    assert rng.integer(1) == 0
    with pytest.raises(ValueError, match="0"):
        rng.integer(0)


def test_real_divides_by_2_to_32_minus_1():
    rng = CompatRNG(42)
    assert rng.real() == 1608637542 / 4294967295.0
    assert rng.real() == 3421126067 / 4294967295.0


def test_real_range_rounds_through_float32_as_specified():
    rng = CompatRNG(42)
    value = rng.real_range(0.1, 0.7)
    # (b - a) in float32, times real() in float64, to float32, then a + that in float32.
    span = np.float32(np.float32(0.7) - np.float32(0.1))
    scaled = np.float32(float(span) * (1608637542 / 4294967295.0))
    assert value.dtype == np.float32
    assert value == np.float32(np.float32(0.1) + scaled)
    assert value == np.float32(0.32472405)


def test_shuffle_hand_checked_from_raw_draws():
    d1, d2, d3 = 1608637542, 3421126067, 4083286876
    expected = ["a", "b", "c", "d"]
    # i = 3: swap with d1 % 4 = 2; i = 2: swap with d2 % 3 = 2 (itself); i = 1: d3 % 2 = 0.
    assert (d1 % 4, d2 % 3, d3 % 2) == (2, 2, 0)
    expected[3], expected[2] = expected[2], expected[3]  # a b d c
    expected[1], expected[0] = expected[0], expected[1]  # b a d c
    items = ["a", "b", "c", "d"]
    CompatRNG(42).shuffle(items)
    assert items == expected == ["b", "a", "d", "c"]


def test_shuffle_of_array_equals_shuffle_of_list_and_uses_n_minus_1_draws():
    rng_a, rng_b, rng_c = CompatRNG(3), CompatRNG(3), CompatRNG(3)
    array = np.arange(1000, dtype=np.uint32)
    listed = list(range(1000))
    rng_a.shuffle(array)
    rng_b.shuffle(listed)
    assert array.dtype == np.uint32
    assert array.tolist() == listed
    assert sorted(listed) == list(range(1000))
    rng_c.draws(999)
    assert rng_a.draw() == rng_c.draw()


def test_shuffle_of_short_sequences_draws_nothing():
    rng, reference = CompatRNG(5), CompatRNG(5)
    one = [9]
    rng.shuffle([])
    rng.shuffle(one)
    assert one == [9]
    assert rng.draw() == reference.draw()


def test_sample_is_prefix_of_full_shuffle_whatever_k():
    population = np.arange(10, 20)
    shuffled = population.copy()
    CompatRNG(11).shuffle(shuffled)
    for k in (0, 3, 10):
        rng = CompatRNG(11)
        assert rng.sample(population, k).tolist() == shuffled[:k].tolist()
        reference = CompatRNG(11)
        reference.draws(9)
        assert rng.draw() == reference.draw()
    assert population.tolist() == list(range(10, 20))  # the population itself is untouched


def test_sample_larger_than_population_is_an_error():
    with pytest.raises(ValueError, match="5 from a population of 3"):
        CompatRNG(1).sample([1, 2, 3], 5)


def test_state_round_trip_continues_the_stream():
    rng = CompatRNG(42)
    rng.draws(700)  # past one 624-word regeneration
    state = rng.state_dict()
    expected = rng.draws(50).tolist()
    restored = CompatRNG(1)
    restored.load_state_dict(state)
    assert restored.seed == 42
    assert restored.draws(50).tolist() == expected
    rng.load_state_dict(state)
    assert rng.draws(50).tolist() == expected
