"""The byte counts of benchmarks/bench_memory.py: what a model holds, counted once, against
sizes worked out by hand from each layout."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from benchmarks.bench_memory import (
    Held,
    container_bytes,
    held_memory,
    sp_bytes_per_pair_formula,
    sp_fit,
    sp_memory,
    tm_bucket,
    tm_memory,
    tm_row_formula,
    total,
)
from workbench.engine.htm.sp_storage import PERMANENCE_DTYPES
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.engine.htm.temporal_memory import TemporalMemory


class Holder:
    def __init__(self, **attributes) -> None:
        vars(self).update(attributes)


def test_an_array_and_its_views_count_once():
    data = np.zeros((10, 8), dtype=np.uint8)
    other = np.ones(5, dtype=np.float64)
    first = Holder(data=data, words=data.view(np.uint64), row=data[3], other=other, n=7)
    second = Holder(same=data, extra=np.zeros(3, dtype=np.int32))
    seen: set[int] = set()
    held = held_memory("a", first, seen) + held_memory("b", second, seen)
    assert {(h.owner, h.name, h.place, h.nbytes) for h in held} == {
        ("a", "data", "host", 80), ("a", "other", "host", 40), ("b", "extra", "host", 12)}
    assert total(held) == 132 and total(held, ("data", "extra")) == 92


def test_tm_entries_go_to_the_structure_they_belong_to():
    cases = {Held("pool", "pre", "host", 8, 4): "row", Held("engine", "_counters", "device", 8): "row",
             Held("engine", "entries", "host", 8, 1): "index",
             Held("engine", "_bins", "device", 8): "index",
             Held("pool", "free", "python", 8): "bookkeeping",
             Held("pool", "scratch", "host", 8, 101): "cell",  # one entry per cell (+1)
             Held("engine", "_staging", "device", 8): "staging",
             Held("tm", "_winner_cells", "host", 8, 3): "activity",
             Held("engine", "mystery", "device", 8): "other"}
    assert {held: tm_bucket(held, 100) for held in cases} == cases


def test_containers_count_their_contents():
    segments = {100000: [100001, 100002], 100003: [100004]}
    expected = (sys.getsizeof(segments) + 2 * sys.getsizeof(100000)
                + sys.getsizeof(segments[100000]) + sys.getsizeof(segments[100003])
                + 3 * sys.getsizeof(100001))
    assert container_bytes(segments, set()) == expected
    array = np.zeros(16, dtype=np.float32)
    nested = {"a": [array, array[4:]]}
    assert container_bytes(nested, set()) == (sys.getsizeof(nested) + sys.getsizeof("a")
                                              + sys.getsizeof(nested["a"]) + 64)
    held = held_memory("h", Holder(rows=segments), set())
    assert [(h.place, h.nbytes) for h in held] == [("python", expected)]
    assert held_memory("h", Holder(rows=segments), set(), containers=False) == []


@pytest.mark.parametrize("dtype", PERMANENCE_DTYPES)
def test_sp_bytes_per_pair_match_the_layout(backend_name, dtype):
    # 100 inputs -> 50 columns. numpy: permanences 50 x 100 + a uint8 flag per (input, column)
    # with columns padded to 56. OpenCL: permanences 50 x 128 (inputs padded to 64) + a
    # bitmask of 50 x 2 words of 8 bytes.
    sp = SpatialPooler(100, 50, potential_radius=10, backend=backend_name, permanence_dtype=dtype)
    size = {"float32": 4, "float16": 2, "uint8": 1}[dtype]
    if backend_name == "numpy":
        expected, layout = (50 * 100 * size + 100 * 56) / 5000, "numpy"
    else:
        expected, layout = (50 * 128 * size + 50 * 2 * 8) / 5000, "opencl"
    got = sp_memory(sp)
    assert got["per_pair"] == pytest.approx(expected)
    assert sp_bytes_per_pair_formula(layout, dtype, 50, 100) == pytest.approx(expected)
    assert got["potential"] == 50 * 11  # 21 inputs within radius 10, half of them: 10.5 -> 11
    assert 20 <= got["per_column_arrays"] <= 64  # overlaps, boosted, boost, three duty cycles, ...
    assert got["per_column"] == pytest.approx(expected * 100 + got["per_column_arrays"])
    # bench_scaling's 4,096-column shape has 1,024 inputs: pairs and columns, nothing counted twice
    projected = sp_fit(backend_name, dtype, 4096, got["per_pair"], got["per_column_arrays"])
    assert projected["state_bytes"] == pytest.approx(4096 * (1024 * expected + got["per_column_arrays"]))


def test_tm_rows_match_their_formula(backend_name, monkeypatch):
    from workbench.engine.htm import tm_dendrites_cl  # noqa: PLC0415

    # every count on the device (a CPU device counts small learning steps on the host), which
    # sizes the device's rows at the first
    monkeypatch.setattr(tm_dendrites_cl, "HOST_COUNT_BELOW", 0)
    tm = TemporalMemory(256, cells_per_column=4, backend=backend_name, resident=False)
    gen = np.random.default_rng(0)
    sequence = [np.sort(gen.choice(256, 10, replace=False)) for _ in range(6)]
    for _ in range(3):
        for columns in sequence:
            tm.compute(columns, learn=True)
        tm.reset()
    got = tm_memory(tm)
    assert got["segments"] > 0 and got["synapses"] > 0
    assert got["per_row_host"] == tm_row_formula(got["width"], device=False) == 32 * 8 + 12
    if backend_name != "numpy":
        # plus the found list's header (its count and the least-used tally), shared by every row
        assert got["per_row_device"] == 20 + 8 / got["rows"]
        assert tm_row_formula(got["width"], device=True) == 20
    parts = ("row_host", "row_device", "index", "bookkeeping", "cell", "staging", "activity", "other")
    assert sum(got[f"{part}_bytes"] for part in parts) == got["held_bytes"]  # each byte once
    assert got["cell_bytes"] >= tm.num_cells * 4  # at least the per-cell segment count
    assert got["per_synapse"] * got["synapses"] == pytest.approx(
        got["row_host_bytes"] + got["row_device_bytes"] + got["index_bytes"]
        + got["bookkeeping_bytes"])
