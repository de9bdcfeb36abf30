"""State dicts copy their arrays, except inside ``lent_state()``, where they lend read-only views
(a session checkpoint copies them itself, at once)."""

import numpy as np
import pytest

from workbench.engine.htm.classifiers import SDRClassifier
from workbench.engine.htm.sdr import SDR
from workbench.engine.htm.temporal_memory import TemporalMemory
from workbench.engine.state import lent_state, state_array


def _trained_tm(backend_name: str) -> TemporalMemory:
    tm = TemporalMemory(64, cells_per_column=4, activation_threshold=3, min_threshold=2,
                        max_new_synapse_count=4, backend=backend_name)
    gen = np.random.default_rng(0)
    for _ in range(30):
        tm.compute(np.sort(gen.choice(64, 6, replace=False)))
    return tm


def _arrays(tree, path=""):
    if isinstance(tree, np.ndarray):
        yield path, tree
    elif isinstance(tree, dict):
        for k, v in tree.items():
            yield from _arrays(v, f"{path}.{k}")
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from _arrays(v, f"{path}[{i}]")


def test_state_array_copies_outside_and_lends_a_read_only_view_inside():
    live = np.arange(6)
    owned = state_array(live)
    assert not np.shares_memory(owned, live) and owned.flags.writeable
    with lent_state():
        lent = state_array(live)
    assert np.shares_memory(lent, live) and not lent.flags.writeable
    with pytest.raises(ValueError):
        lent[0] = 1
    live[0] = 99
    assert lent[0] == 99 and owned[0] == 0  # a view follows the model; a copy does not


def test_lending_ends_with_the_block_even_on_error():
    with pytest.raises(RuntimeError), lent_state():
        raise RuntimeError("boom")
    assert not np.shares_memory(state_array(np.zeros(3)), np.zeros(3))
    live = np.zeros(3)
    assert not np.shares_memory(state_array(live), live)


def test_temporal_memory_lends_its_pool_and_the_lent_state_equals_the_copied_one(backend_name):
    tm = _trained_tm(backend_name)
    copied = tm.state_dict()
    with lent_state():
        lent = tm.state_dict()
    copied_arrays, lent_arrays = dict(_arrays(copied)), dict(_arrays(lent))
    assert copied_arrays.keys() == lent_arrays.keys()
    for path, array in lent_arrays.items():
        np.testing.assert_array_equal(array, copied_arrays[path], err_msg=path)
        assert not array.flags.writeable, path
    assert np.shares_memory(lent["pool"]["perm"], tm._pool.perm)
    assert not any(np.shares_memory(a, tm._pool.perm) for a in copied_arrays.values())
    # the copied state survives more learning unchanged and restores the TM it came from
    before = {p: a.copy() for p, a in copied_arrays.items()}
    tm.compute(np.arange(6))
    for path, array in dict(_arrays(copied)).items():
        np.testing.assert_array_equal(array, before[path], err_msg=path)


def test_classifier_lends_its_weights():
    clf = SDRClassifier(alpha=0.1)
    clf.learn(SDR.from_sparse(32, [1, 5, 9]), 2)
    with lent_state():
        lent = clf.state_dict()
    assert np.shares_memory(lent["weights"], clf.weights)
    assert not np.shares_memory(clf.state_dict()["weights"], clf.weights)
