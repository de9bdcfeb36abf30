"""Checkpoint serialisation without pickle: exact round trips, clear refusals, damage detected."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.session import codec
from workbench.session.blobs import SnapshotBuffers
from workbench.session.errors import CorruptSessionError
from workbench.session.state_codec import StateEncodeError, decode_state, encode_state


def assert_identical(a, b, path="state"):
    """Equal values of identical types, arrays by dtype (byte order too), shape and bits."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} became {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype.str == b.dtype.str and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
        assert b.flags.writeable, f"{path}: decoded arrays must be writable"
    elif isinstance(a, np.generic):
        assert a.dtype.str == b.dtype.str and a.tobytes() == b.tobytes(), path
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b)), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert type(k) is type(next(x for x in b if x == k))
            assert_identical(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def round_trip(state):
    structure, data = encode_state(state)
    return decode_state(structure, codec.unpack(codec.pack(data), "a checkpoint"))


def test_nested_state_round_trips_exactly():
    state = {
        "layer": {"permanences": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
                  "counts": np.array([1, 2, 3], dtype=">u2"),
                  "mask": np.array([[True, False]]),
                  "empty": np.empty((0, 5), dtype=np.int64),
                  "scalar0d": np.array(2.5)},
        "segments": {3: [(1, 0.5), (2, 0.25)], 7: []},       # int keys, tuples inside lists
        "$weird": "a key that looks like a tag",
        "flags": (True, False, None),
        "numbers": [0, -1, 2**70, 1.5, -0.0, float("nan"), float("inf"), float("-inf")],
        "np_scalars": [np.float32(0.1), np.int64(-3), np.bool_(True), np.uint8(255)],
        "text": "ünïcødé",
        "labels": np.array(["ab", "c"]),
    }
    assert_identical(state, round_trip(state))


def test_strided_and_read_only_views_round_trip_in_c_order():
    storage = np.arange(60, dtype=">f8").reshape(6, 10)
    lent = storage[:4, 1:7:2]  # a slice of a larger buffer, as a classifier lends its weights
    lent.flags.writeable = False
    state = {"strided": lent, "fortran": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
             "reversed": np.arange(5, dtype=np.uint8)[::-1]}
    back = round_trip(state)
    for name, array in state.items():
        assert_identical(np.ascontiguousarray(array), back[name], name)


def test_decoded_arrays_are_a_snapshot():
    weights = np.ones(4, dtype=np.float32)
    structure, data = encode_state({"w": weights})
    weights[:] = 7  # the model keeps learning after the checkpoint
    assert decode_state(structure, data)["w"].tolist() == [1, 1, 1, 1]


def test_snapshots_reuse_buffers_given_back_and_never_share_one_in_use():
    buffers = SnapshotBuffers()
    weights = np.arange(10, dtype=np.float32)
    _, first = encode_state({"w": weights}, buffers)
    weights += 1
    _, second = encode_state({"w": weights}, buffers)  # the first is still being stored
    assert not np.shares_memory(first, second)
    assert np.frombuffer(first, np.float32).tolist() == list(range(10))
    assert np.frombuffer(second, np.float32).tolist() == list(range(1, 11))
    buffers.give_back(first)
    weights += 1
    _, third = encode_state({"w": weights}, buffers)
    assert np.shares_memory(first, third)  # reused: no fresh memory to fault in
    assert np.frombuffer(third, np.float32).tolist() == list(range(2, 12))
    buffers.give_back(second)
    buffers.give_back(third)
    _, bigger = encode_state({"w": np.ones(100, dtype=np.float64)}, buffers)  # the model grew
    assert bigger.nbytes == 800 and not np.shares_memory(bigger, second) and not np.shares_memory(bigger, third)
    assert np.frombuffer(bigger, np.float64).tolist() == [1.0] * 100


def test_dict_with_only_a_tag_like_key_is_not_mistaken_for_a_tag():
    for state in ({"$tuple": [1, 2]}, {"$array": 1}, {"$float": "nan"}):
        assert_identical(state, round_trip(state))


@pytest.mark.parametrize("bad, what", [
    ({"s": {1, 2}}, "state['s']: cannot store a set"),
    ({"a": [1, object()]}, "state['a'][1]: cannot store a object"),
    ({"o": np.array([None, 1], dtype=object)}, "state['o']: arrays of dtype object"),
    ({"b": b"raw"}, "cannot store a bytes"),
])
def test_unstorable_values_are_refused_with_their_path(bad, what):
    with pytest.raises(StateEncodeError) as info:
        encode_state(bad)
    assert what in str(info.value)


def test_structure_is_plain_json_without_code():
    structure, _ = encode_state({"t": (1,), "x": np.zeros(2)})
    assert structure == '{"t":{"$tuple":[1]},"x":{"$array":["<f8",[2],0,16]}}'


def test_array_bytes_are_laid_out_as_format_1_stores_them():
    """Each array's raw C-order bytes, one after another in the order met: files written before
    the snapshot buffers existed hold the same layout."""
    a = np.arange(6, dtype=">u2").reshape(2, 3).T  # not C-contiguous, big-endian
    b = np.array(True)
    structure, data = encode_state({"a": a, "b": b})
    assert structure == '{"a":{"$array":[">u2",[3,2],0,12]},"b":{"$array":["|b1",[],12,1]}}'
    assert data.tobytes() == np.ascontiguousarray(a).tobytes() + b.tobytes()


@pytest.mark.parametrize("structure, data", [
    ("{not json", b""),
    ('{"x":{"$array":["<f8",[2],0,16]}}', b"\0" * 8),            # bytes missing
    ('{"x":{"$array":["<f8",[3],0,16]}}', b"\0" * 16),           # shape disagrees with bytes
    ('{"x":{"$array":["|O",[1],0,8]}}', b"\0" * 8),              # object dtype
    ('{"x":{"$array":["zz9",[1],0,1]}}', b"\0"),                 # unknown dtype
    ('{"x":{"$array":"nope"}}', b""),
    ('{"x":{"$unknown":1}}', b""),
    ('{"x":{"$dict":[[[1],2]]}}', b""),                           # list as dict key
    ('{"x":{"$dict":[1]}}', b""),
    ("[" * 100000 + "]" * 100000, b""),
])
def test_damaged_checkpoints_raise_corrupt_session_error(structure, data):
    with pytest.raises(CorruptSessionError):
        decode_state(structure, data)


leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    hnp.arrays(hnp.scalar_dtypes().filter(lambda d: d.kind in "biufc"), hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)),
)
states = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=3)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(states)
def test_any_state_round_trips_exactly(state):
    assert_identical(state, round_trip(state))
