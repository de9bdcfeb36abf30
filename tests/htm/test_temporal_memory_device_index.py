"""The OpenCL dendrite engine counts segment activity on the device from a mirror of the
presynaptic index. Checked after every step of a learning workload against a brute-force count
from the segment pool and, on OpenCL, against the numpy engine running the same steps, and its
device mirror against the host's index, with the device's defaults and with the other choices
(work items per active cell: one on a GPU, 8 on a CPU device; collecting always by scanning
the counters, always by walking the entries: a CPU device's default chooses per step, and is
seen to choose each); the workload relocates
blocks, compacts the index buffer, grows and widens the pool's rows, resets, and reloads states
(index rebuilds into a fresh engine and into a used one whose pool then shrinks); one step in
twenty infers, which on a device runs there from start to end (the views of the step before it
are not read) and is checked when read back."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.htm import tm_dendrites_cl
from workbench.engine.htm.temporal_memory import TemporalMemory
from workbench.engine.htm.tm_dendrites import _ragged
from workbench.engine.htm.tm_dendrites_cl import DeviceDendrites

COLUMNS, ACTIVE = 256, 12
KW = dict(cells_per_column=4, activation_threshold=3, min_threshold=2, max_new_synapse_count=30,
          permanence_decrement=0.15, predicted_segment_decrement=0.05, max_segments_per_cell=2,
          max_synapses_per_segment=40, connected_permanence=0.3)


@pytest.fixture(autouse=True)
def every_count_on_the_device(monkeypatch):
    """A CPU device counts small learning steps on the host (numpy's count, which the TM
    tests compare): here every count is the device's, the one under test."""
    monkeypatch.setattr(tm_dendrites_cl, "HOST_COUNT_BELOW", 0)


def brute_force(tm: TemporalMemory, active_cells: np.ndarray):
    """(segments, active connected, active potential) for the segments with at least
    min(activation, min) threshold active potential synapses, straight from the pool's rows."""
    pool, n = tm._pool, tm._pool.n_rows
    live = np.arange(pool.width) < pool.count[:n, None]
    reached = live & np.isin(pool.pre[:n], active_cells)
    potential = reached.sum(axis=1)
    connected = (reached & (pool.perm[:n] >= tm.connected_permanence - np.float32(1e-6))).sum(axis=1)
    found = np.flatnonzero(potential >= min(tm.activation_threshold, tm.min_threshold))
    return found, connected[found], potential[found]


class Checked:
    """A TM whose dendrite engine's every count (a host step's start and finish, a device
    step's read back by read_step) is checked against the brute-force count at once and kept;
    on a device with ``lanes`` work items per active cell and ``scan`` (collect by scanning the
    counters), None for the device's defaults."""

    def __init__(self, backend: str, lanes: int | None = None, scan: bool | None = None) -> None:
        self.tm = tm = TemporalMemory(COLUMNS, backend=backend, resident=False, **KW)
        assert tm.backend_name == backend
        if lanes is not None or scan is not None:
            built = tm._engine
            tm._engine = DeviceDendrites(built.runtime, built.num_cells, built.connected,
                                         built.activation_threshold, built.min_threshold,
                                         built.cells_per_column, lanes=lanes, scan=scan)
        self.results: list[tuple[np.ndarray, ...]] = []
        # launches of each collect on host steps (a device step's choice is fixed: a walk)
        self.collects = {"tm_index_scan": 0, "tm_index_collect": 0}
        self._host_step = False
        kernels = tm._engine._kernels if backend != "numpy" else {}
        for name in self.collects.keys() & kernels.keys():
            kernels[name] = self._counted_launches(name, kernels[name])
        self.counted = False  # whether the last count ran on the device
        self.read_back = 0  # device steps read back
        engine = tm._engine
        cpc = tm.cells_per_column

        def check(active_cells, found, connected, potential):
            order = np.argsort(found)  # the device appends in no particular order
            result = found[order], connected[order], potential[order]
            expected = brute_force(tm, active_cells)
            for got, want in zip(result, expected):
                assert got.dtype.kind == "i"
                assert np.array_equal(got, want), (len(self.results), result, expected)
            self.results.append(result)
            self.counted = bool(engine.end and len(active_cells))

        start, finish = engine.start_activity, engine.finish_activity
        started_cells: list[np.ndarray] = []

        def start_activity(pool, active_cells, predicted_cells, bursting_columns, winners=None):
            cells = np.concatenate([predicted_cells, (bursting_columns[:, None] * cpc
                                                      + np.arange(cpc)).ravel()])
            assert np.array_equal(np.sort(cells), active_cells)  # the two forms agree
            started_cells.append(active_cells)
            self._host_step = True
            try:
                return start(pool, active_cells, predicted_cells, bursting_columns, winners)
            finally:
                self._host_step = False

        def finish_activity(started, winners=None):
            # the synapses do not change between start and finish (the TM starts early only
            # without learning), so the pool's rows now are those the count read
            found = finish(started, winners)
            check(started_cells.pop(), *found)
            return found

        engine.start_activity, engine.finish_activity = start_activity, finish_activity
        if hasattr(engine, "read_step"):
            read_step = engine.read_step

            def checked_read_step():
                step = read_step()
                predicted, bursting = step[0], step[1]
                cells = np.sort(np.concatenate([predicted, (bursting[:, None] * cpc
                                                            + np.arange(cpc)).ravel()]))
                check(cells, *step[3])
                self.read_back += 1
                return step

            engine.read_step = checked_read_step

    def _counted_launches(self, name: str, kernel):
        def launch(*args):
            self.collects[name] += self._host_step
            return kernel(*args)
        return launch

    def check_mirror(self) -> None:
        """Every cell's block bounds on the device are the host's, and its block there holds
        its entries' bins (entry >> slot_bits)."""
        engine = self.tm._engine
        bounds = np.empty((engine.num_cells, 2), dtype=np.int32)
        engine.cl.enqueue_copy(engine.queue, bounds, engine._bounds)
        assert np.array_equal(bounds[:, 0], engine.cell_start)
        assert np.array_equal(bounds[:, 1], engine.cell_len)
        mirror = np.empty(len(engine.entries), dtype=np.int32)
        engine.cl.enqueue_copy(engine.queue, mirror, engine._bins)
        blocks = _ragged(engine.cell_start, engine.cell_len)
        assert np.array_equal(mirror[blocks], engine.entries[blocks] >> engine.slot_bits)


def test_device_activity_equals_the_pool_and_the_numpy_engine(backend_name):
    on_device = backend_name != "numpy"
    if on_device:
        default = Checked(backend_name)
        engine = default.tm._engine
        variants = [(None, None), (8 if engine.lanes == 1 else 1, True), (None, False)]
        runs = [default] + [Checked(backend_name, *variant) for variant in variants[1:]]
        twin = Checked("numpy")
    else:
        variants, runs, twin = [(None, None)], [Checked("numpy")], None
    gen = np.random.default_rng(4)
    patterns = [np.sort(gen.choice(COLUMNS, ACTIVE, replace=False)) for _ in range(40)]
    events = {"relocation": 0, "compaction": 0, "row growth": 0, "widening": 0}
    early_state = None
    for step in range(420):
        if step == 60:  # fresh TMs (engines built from scratch by load_state_dict)
            state = runs[0].tm.state_dict()
            runs = [Checked(backend_name, *variant) for variant in variants]
            for run in runs:
                run.tm.load_state_dict(state)
        if step == 300:  # an earlier state into the used TMs: narrower, fewer rows
            for run in runs + ([twin] if twin else []):
                run.tm.load_state_dict(early_state)
            assert runs[0].tm._pool.width == 32 and len(runs[0].tm._pool.count) == 1024
        ix, pool = runs[0].tm._engine, runs[0].tm._pool
        start, end, rows, width = ix.cell_start.copy(), ix.end, len(pool.count), pool.width
        columns = (patterns[gen.integers(40)] if gen.random() < 0.7
                   else np.sort(gen.choice(COLUMNS, ACTIVE, replace=False)))
        for run in runs + ([twin] if twin else []):
            run.tm.compute(columns, learn=step % 20 != 18)  # some steps infer
            if step % 20 != 17:  # (so that the step after this one runs on the device)
                run.tm.active_cells  # the views are read: an inference step is walked on the
                # host while the device counts, or, run on the device, is read back
            if step % 20 == 19:
                run.tm.reset()
        if twin:
            for run in runs:
                for got, want in zip(run.results[-1], twin.results[-1]):
                    assert np.array_equal(got, want), step
                if run.counted:
                    run.check_mirror()
        if step == 20:
            early_state = runs[0].tm.state_dict()
        events["widening"] += pool.width > width
        events["row growth"] += len(pool.count) > rows
        events["compaction"] += ix.end < end
        events["relocation"] += pool.width == width and ix.end >= end and bool(np.any(ix.cell_start != start))
    # each at least once, rows grown and widened again after the earlier state came back
    assert events["relocation"] and events["compaction"], events
    assert events["row growth"] >= 2 and events["widening"] >= 2, events
    assert sum(len(r[0]) for r in runs[0].results) > 1000  # segments were found, not just none
    if on_device:
        assert all(run.read_back >= 15 for run in runs)  # device steps were checked too
        scans, walks = runs[0].collects.values()
        assert scans and (walks or runs[0].tm._engine.scan), runs[0].collects  # both, on a CPU
        assert runs[2].collects["tm_index_collect"] and runs[1].collects["tm_index_scan"]
        assert runs[1].collects["tm_index_collect"] == runs[2].collects["tm_index_scan"] == 0
