"""Reduced-precision permanences (``permanence_dtype``, workbench/engine/htm/sp_storage.py).

The encodings are checked against references built here from first principles (every half
in [0, 1] enumerated in float64; codes of 1/254); the model against the rule "compute in float32
on the stored values, round once when storing", written out step by step; and numpy against
OpenCL, which must agree bit for bit at every precision.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.conftest import BACKENDS
from workbench.engine.backend import get_backend
from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES, permanence_storage
from workbench.engine.htm.spatial_pooler import SpatialPooler

F = np.float32
REDUCED = ("float16", "uint8")
THRESHOLD = F(F(0.1) - F(1e-6))


@functools.lru_cache(maxsize=1)
def halves_in_unit_interval() -> tuple[np.ndarray, np.ndarray]:
    """(values as float64, bit patterns) of every float16 in [0, 1], ascending."""
    bits = np.arange(0, 0x3C01, dtype=np.uint16)  # 0 .. 1.0 (0x3C00)
    return bits.view(np.float16).astype(np.float64), bits


def nearest_half(x: float) -> float:
    """Round to the nearest float16, ties to the even bit pattern, by search in float64."""
    values, bits = halves_in_unit_interval()
    above = int(np.searchsorted(values, x))
    if values[min(above, len(values) - 1)] == x:
        return float(values[above])
    low, high = values[above - 1], values[above]
    if x - low != high - x:
        return float(low if x - low < high - x else high)
    return float(low if bits[above - 1] % 2 == 0 else high)


def reference_quantize(name: str, values: np.ndarray) -> np.ndarray:
    """float32 values in [0, 1] -> the value stored, written out independently of sp_storage."""
    values = np.asarray(values, dtype=np.float32)
    if name == "float32":
        return values
    if name == "float16":
        return np.array([nearest_half(float(v)) for v in values.ravel()], F).reshape(values.shape)
    codes = np.array([round(float(F(v * F(254)))) for v in values.ravel()])  # ties to even
    return (codes.astype(F) * F(1 / 254)).reshape(values.shape)


# -- the encodings --------------------------------------------------------------------------------
def test_float16_rounds_to_nearest_even():
    values, _ = halves_in_unit_interval()
    gen = np.random.default_rng(0)
    ties = ((values[1:] + values[:-1]) / 2).astype(F)  # midpoints: exact in float32
    samples = np.concatenate([gen.random(2000).astype(F), ties[::37], ties[-5:], [F(0), F(1)]])
    storage = permanence_storage("float16")
    got = storage.decode(storage.encode(samples))
    np.testing.assert_array_equal(got, reference_quantize("float16", samples))
    assert storage.encode(samples).dtype == np.float16


def test_uint8_codes_are_steps_of_one_254th():
    storage = permanence_storage("uint8")
    codes = np.arange(255, dtype=np.uint8)
    levels = storage.decode(codes)
    assert levels[0] == 0 and levels[254] == 1 and levels[127] == F(127) * F(1 / 254)
    assert np.abs(levels.astype(np.float64) - codes / 254).max() < 1e-7
    np.testing.assert_array_equal(storage.encode(levels), codes)  # every code round-trips
    assert storage.encode(np.array([THRESHOLD, 0.5, np.nan], F)).tolist() == [25, 127, 255]
    assert np.isnan(storage.decode(np.array([255], np.uint8))[0])
    samples = np.random.default_rng(1).random(3000).astype(F)
    np.testing.assert_array_equal(storage.quantize(samples), reference_quantize("uint8", samples))


@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
def test_nan_marks_inputs_outside_the_pool(name):
    storage = permanence_storage(name)
    stored = storage.encode(np.array([np.nan, 0.25], F))
    decoded = storage.decode(stored)
    assert np.isnan(decoded[0]) and decoded[1] == reference_quantize(name, np.array([0.25], F))[0]
    assert storage.itemsize == {"float32": 4, "float16": 2, "uint8": 1}[name]


@pytest.mark.parametrize(("name", "expected"), [
    ("float32", THRESHOLD),
    ("float16", F(0.10003662109375)),  # half(0.1) is 0.0999755859375 < threshold: the next half
    ("uint8", F(26) * F(1 / 254)),  # 0.1 is 25.4 steps: code 26
])
def test_lowest_connected_stored_value(name, expected):
    storage = permanence_storage(name)
    assert storage.lowest_at_least(THRESHOLD) == expected
    assert storage.quantize(np.array([expected], F))[0] == expected


@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
def test_at_least_compares_the_decoded_value(name):
    storage = permanence_storage(name)
    values = np.concatenate([np.random.default_rng(2).random(500).astype(F) * F(0.2),
                             [np.nan, F(0), F(1)]]).astype(F)
    stored = storage.encode(values)
    for threshold in (THRESHOLD, F(0.1) + F(1e-6), F(0.5), F(-1e-6), F(1) + F(1e-6)):
        np.testing.assert_array_equal(storage.at_least(stored, threshold),
                                      storage.decode(stored) >= threshold)


# -- the model --------------------------------------------------------------------------------------
def random_inputs(seed: int, steps: int, size: int, density: float) -> list[np.ndarray]:
    gen = np.random.default_rng(seed)
    return [np.flatnonzero(gen.random(size) < density) for _ in range(steps)]


@pytest.mark.parametrize("name", REDUCED)
def test_each_learning_step_rounds_once_after_the_float32_update(backend_name, name):
    inc, dec = F(0.05), F(0.008)
    sp = SpatialPooler(64, 48, potential_radius=20, local_area_density=0.1, seed=5,
                       backend=backend_name, permanence_dtype=name)
    before = sp.permanence_matrix()
    assert np.array_equal(reference_quantize(name, np.maximum(before, 0)), np.maximum(before, 0))
    for x in random_inputs(3, 30, 64, 0.2):  # < 50 steps: no bump, no minimum duty cycles
        active = sp.compute(x, learn=True)
        after = sp.permanence_matrix()
        expected = before.copy()
        on = np.zeros(64, bool)
        on[x] = True
        for column in active:
            pool = before[column] >= 0
            moved = np.where(on, before[column] + inc, before[column] - dec).astype(F)
            expected[column, pool] = reference_quantize(name, np.clip(moved, F(0), F(1))[pool])
        np.testing.assert_array_equal(after, expected)
        for column in (int(active[0]), 47 - int(active[0])):
            connected = np.flatnonzero(after[column] >= THRESHOLD)
            assert sp.connected_synapses(column).tolist() == connected.tolist()
        before = after


@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
def test_raise_to_threshold_connects_at_every_precision(backend_name, name):
    sp = SpatialPooler(40, 40, potential_radius=3, potential_pct=1.0, stimulus_threshold=4,
                       syn_perm_connected=0.6, wrap_around=False, seed=3, backend=backend_name,
                       permanence_dtype=name)
    counts = [len(sp.connected_synapses(c)) for c in range(40)]
    assert min(counts) >= 4
    for x in random_inputs(4, 40, 40, 0.1):
        active = sp.compute(x, learn=True)
        assert all(len(sp.connected_synapses(int(c))) >= 4 for c in active)


def run_model(backend: str, name: str, global_inhibition: bool, steps: int):
    sp = SpatialPooler(512, 512, potential_radius=128, potential_pct=0.5,
                       global_inhibition=global_inhibition, local_area_density=0.04,
                       stimulus_threshold=2, boost_strength=2.0, duty_cycle_period=100, seed=9,
                       backend=backend, permanence_dtype=name)
    outputs = [sp.compute(x, learn=True).tolist() for x in random_inputs(6, steps, 512, 0.08)]
    state = sp.state_dict()
    state["radius"] = sp.inhibition_radius
    return outputs, state


@functools.lru_cache(maxsize=None)
def numpy_reference(name: str, global_inhibition: bool):
    return run_model("numpy", name, global_inhibition, 300)


@pytest.mark.parametrize("global_inhibition", [True, False], ids=["global", "local"])
@pytest.mark.parametrize("name", REDUCED)
def test_backends_agree_bit_for_bit_at_reduced_precision(backend_name, name, global_inhibition):
    expected_outputs, expected = numpy_reference(name, global_inhibition)
    outputs, state = run_model(backend_name, name, global_inhibition,
                               100 if backend_name == "numpy" else 300)
    for step, (got, want) in enumerate(zip(outputs, expected_outputs), start=1):
        assert got == want, f"active columns differ at step {step}"
    if backend_name == "numpy":
        return  # the numpy run repeats itself; the state is compared for the other backends
    for key in ("permanences", "overlap_duty_cycles", "active_duty_cycles",
                "min_overlap_duty_cycles", "boost_factors", "radius"):
        np.testing.assert_array_equal(state[key], expected[key], err_msg=key)
    assert len(np.unique(state["boost_factors"])) > 10  # boosting really happened
    assert global_inhibition or state["radius"] < 512  # local inhibition with a computed radius
    assert np.array_equal(reference_quantize(name, np.maximum(state["permanences"], 0)),
                          np.maximum(state["permanences"], 0))


@pytest.mark.parametrize("target", BACKENDS)
def test_state_round_trip_keeps_the_stored_values(backend_name, target):
    kwargs = dict(potential_radius=16, local_area_density=0.1, permanence_dtype="uint8", seed=2)
    sp = SpatialPooler(64, 64, backend=backend_name, **kwargs)
    data = random_inputs(7, 50, 64, 0.15)
    for x in data[:20]:
        sp.compute(x, learn=True)
    copy = SpatialPooler(64, 64, backend=target, **kwargs)
    copy.load_state_dict(sp.state_dict())
    for x in data[20:]:
        assert copy.compute(x, learn=True).tolist() == sp.compute(x, learn=True).tolist()
    np.testing.assert_array_equal(copy.permanence_matrix(), sp.permanence_matrix())
    other = SpatialPooler(64, 64, backend=target, **{**kwargs, "permanence_dtype": "float16"})
    with pytest.raises(ValueError, match="permanence_dtype"):
        other.load_state_dict(sp.state_dict())


@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
def test_permanences_take_their_storage_size(backend_name, name):
    sp = SpatialPooler(128, 32, backend=backend_name, permanence_dtype=name)
    engine = sp._engine
    perm = engine.perm
    held = perm.nbytes if isinstance(perm, np.ndarray) else perm.size
    padded_inputs = 128  # a multiple of 64: no padding on OpenCL either
    assert held == 32 * padded_inputs * {"float32": 4, "float16": 2, "uint8": 1}[name]


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "numpy"])
@pytest.mark.parametrize("name", PERMANENCE_DTYPES)
def test_gpu_layout_agrees_with_numpy(backend, name, monkeypatch):
    # GPUs get another bitmask layout (word-major: neighbouring work items touch neighbouring
    # permanences), a 64-wide adapt work-group and a work-group radix select. CI has no GPU, so
    # the GPU path runs here on the OpenCL device there is, told it is a GPU.
    monkeypatch.setattr(get_backend(backend).runtime, "is_gpu", True)
    assert SpatialPooler(64, 64, backend=backend, permanence_dtype=name)._engine._word_major
    expected_outputs, _ = numpy_reference(name, True)
    outputs, state = run_model(backend, name, True, 120)
    assert outputs == expected_outputs[:120]
    _, expected = run_model("numpy", name, True, 120)
    for key in ("permanences", "overlap_duty_cycles", "active_duty_cycles", "boost_factors"):
        np.testing.assert_array_equal(state[key], expected[key], err_msg=key)
