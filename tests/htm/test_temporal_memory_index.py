"""The dendrite engines keep an exact picture of the segment pool: the presynaptic index (entries
per presynaptic cell, through relocations and compactions), which the OpenCL engine keeps on the
host too, checked against the pool after every step of a churning workload (its device mirror:
test_temporal_memory_device_index.py)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.backend import opencl_problem
from workbench.engine.htm.temporal_memory import TemporalMemory

BACKENDS = ["numpy"] + (["opencl"] if opencl_problem() is None else [])
KW = dict(cells_per_column=4, activation_threshold=3, min_threshold=2, max_new_synapse_count=5,
          permanence_decrement=0.15, predicted_segment_decrement=0.05, max_segments_per_cell=3,
          max_synapses_per_segment=9, connected_permanence=0.3)


def churn(tm: TemporalMemory, steps: int, check) -> None:
    gen = np.random.default_rng(4)
    patterns = [np.sort(gen.choice(48, 7, replace=False)) for _ in range(12)]
    for step in range(steps):
        cols = patterns[gen.integers(12)] if gen.random() < 0.85 else np.sort(gen.choice(48, 7, replace=False))
        tm.compute(cols)
        check(step)


def expected_by_cell(tm: TemporalMemory) -> dict[int, set[tuple[int, int, bool]]]:
    connected = tm.connected_permanence - np.float32(1e-6)
    out: dict[int, set] = {}
    for cell in range(tm.num_cells):
        for seg, syns in tm.segments_of(cell):
            for slot, (pre, perm) in enumerate(syns):
                out.setdefault(pre, set()).add((seg, slot, bool(perm >= connected)))
    return out


def decode(entry: int, slot_bits: int) -> tuple[int, int, bool]:
    """(segment, slot, connected) of an index entry: segment + 1, connected, slot, high to low."""
    entry = int(entry)
    return (entry >> (slot_bits + 1)) - 1, entry & ((1 << slot_bits) - 1), bool(entry >> slot_bits & 1)


def check_presynaptic_index(tm: TemporalMemory):
    """Numpy: every cell's live entries are exactly its synapses, through relocations and
    compactions (at least one of which the workload must force)."""
    ix = tm._engine
    compactions = []
    last_end = [0]

    def check(step):
        if ix.end < last_end[0]:
            compactions.append(step)
        last_end[0] = ix.end
        expected = expected_by_cell(tm)
        bits = ix.slot_bits
        for cell in range(tm.num_cells):
            block = ix.entries[ix.cell_start[cell]: ix.cell_start[cell] + ix.cell_len[cell]]
            assert ix.cell_len[cell] <= ix.cell_cap[cell]
            live = block[block > 0]
            got = {decode(e, bits) for e in live}
            assert len(got) == len(live), (step, cell)
            assert got == expected.get(cell, set()), (step, cell)
        # every synapse's recorded position holds its entry
        pool = tm._pool
        for seg in range(pool.n_rows):
            for slot in range(pool.count[seg]):
                entry = ix.entries[ix.position[seg * pool.width + slot]]
                assert decode(entry, bits)[:2] == (seg, slot)

    churn(tm, 300, check)
    assert compactions, "the workload should force at least one compaction"


@pytest.mark.parametrize("backend", BACKENDS)
def test_dendrite_engine_mirrors_the_segment_pool(backend):
    tm = TemporalMemory(48, backend=backend, **KW)
    check_presynaptic_index(tm)  # the OpenCL engine keeps the same host index (and mirrors it)
    assert tm.num_synapses() > 200
