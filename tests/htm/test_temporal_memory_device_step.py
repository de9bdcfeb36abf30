"""A Temporal Memory step without learning runs on an OpenCL device from start to end and
brings nothing back until something asks (ARCHITECTURE.md: "copy back only what a view asks
for"); after a step whose views were read, the next is walked on the host while the device
counts. Checked against the numpy TM step by step, with the views read after some steps and
not others (so several device steps run between two reads), resets, the random draws that the
device's least-used choices spend, and saving and loading states between unread steps. These
are the host-walked engine's (tm_dendrites_cl); a resident TM runs every step on the device
and is checked against numpy in test_temporal_memory.py."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import BACKENDS
from workbench.engine.htm.temporal_memory import TemporalMemory

ON_DEVICE = [b for b in BACKENDS if b != "numpy"]
VIEWS = ("active_cells", "winner_cells", "predictive_cells", "predictive_columns",
         "bursting_columns", "active_segments", "matching_segments")


def _same(tm: TemporalMemory, reference: TemporalMemory, step: int) -> None:
    for view in VIEWS:
        assert np.array_equal(getattr(tm, view), getattr(reference, view)), (step, view)
    assert np.array_equal(tm.anomaly, reference.anomaly, equal_nan=True), step


@pytest.mark.parametrize("cells_per_column", [1, 6])
def test_inference_steps_equal_numpy_read_back_or_not(backend_name, cells_per_column):
    kw = dict(cells_per_column=cells_per_column, activation_threshold=6, min_threshold=4,
              max_new_synapse_count=10, predicted_segment_decrement=0.01,
              max_segments_per_cell=6, max_synapses_per_segment=16)
    gen = np.random.default_rng(3)
    patterns = [np.sort(gen.choice(300, 14, replace=False)) for _ in range(12)]
    reference = TemporalMemory(300, **kw)
    tm = TemporalMemory(300, backend=backend_name, resident=False, **kw)
    inferred = 0
    least_used = []  # the device's least-used choices, as each read brings them back
    read_step = getattr(tm._engine, "read_step", None)
    if read_step is not None:
        def counted_read_step():
            step = read_step()
            least_used.append(step[4])
            return step

        tm._engine.read_step = counted_read_step
    for step in range(900):
        columns = (patterns[step % 12] if gen.random() < 0.8
                   else np.sort(gen.choice(300, 14, replace=False)))
        if step % 53 == 52:
            columns = columns[:0]  # no active column
        learn = step < 200 or gen.random() < 0.3
        inferred += not learn
        for model in (reference, tm):
            model.compute(columns, learn=learn)
        if gen.random() < 0.3:  # read back now; otherwise the next steps run on unread
            _same(tm, reference, step)
        if step % 37 == 36:
            reference.reset()
            tm.reset()
        if step % 150 == 149:  # saved between unread steps, loaded into a used TM
            state = tm.state_dict()
            assert state["rng"] == reference.state_dict()["rng"], step
            tm.compute(patterns[0], learn=False)  # a step that the load replaces
            tm.load_state_dict(state)
    _same(tm, reference, 900)
    assert tm.state_dict()["rng"] == reference.state_dict()["rng"]
    assert tm.num_synapses() == reference.num_synapses() > 0
    assert inferred > 400
    if tm.backend_name != "numpy":
        assert sum(least_used) > 0  # the device chose least-used cells: their draws were spent


@pytest.mark.parametrize("backend_name", ON_DEVICE)
def test_an_inference_step_reads_nothing_back_until_asked(backend_name):
    tm = TemporalMemory(64, cells_per_column=4, activation_threshold=2, min_threshold=2,
                        connected_permanence=0.2, backend=backend_name,
                        resident=False)  # grown connected; the host-walked engine
    for _ in range(3):
        for cols in ([1, 2, 3], [4, 5, 6], [7, 8, 9]):
            tm.compute(np.array(cols))
    # a CPU device's learning steps were counted on the host: the first step without learning
    # is walked on the host, which catches the device up (test_small_learning_steps_...)
    tm.compute(np.array([7, 8, 9]), learn=False)
    engine = tm._engine
    calls = {"infer_step": 0, "read_step": 0, "finish_activity": 0, "activity": 0}
    for name in calls:
        method = getattr(engine, name)

        def counted(*args, _method=method, _name=name):
            calls[_name] += 1
            return _method(*args)

        setattr(engine, name, counted)
    for cols in ([1, 2, 3], [4, 5, 6], [7, 8, 9]) * 10:
        tm.compute(np.array(cols), learn=False)
    assert calls == {"infer_step": 30, "read_step": 0, "finish_activity": 0, "activity": 0}
    assert tm.predictive_columns.tolist() == [1, 2, 3]  # after [7, 8, 9] comes [1, 2, 3]
    assert tm.anomaly == 0.0 and tm.bursting_columns.tolist() == []
    assert calls == {"infer_step": 30, "read_step": 1, "finish_activity": 0, "activity": 0}
    tm.compute(np.array([1, 2, 3]), learn=False)  # the views were read: walked on the host
    assert calls == {"infer_step": 30, "read_step": 1, "finish_activity": 1, "activity": 0}
    assert tm.predictive_columns.tolist() == [4, 5, 6]
    tm.compute(np.array([4, 5, 6]), learn=False)  # read again: on the host again
    tm.compute(np.array([7, 8, 9]), learn=False)  # the last one was not read: not this one
    assert calls == {"infer_step": 31, "read_step": 1, "finish_activity": 2, "activity": 0}
    assert tm.predictive_columns.tolist() == [1, 2, 3]
    assert calls == {"infer_step": 31, "read_step": 2, "finish_activity": 2, "activity": 0}


@pytest.mark.parametrize("backend_name", ON_DEVICE)
@pytest.mark.parametrize("host_counts", [True, False])
def test_small_learning_steps_count_on_the_host_of_a_cpu_device(backend_name, host_counts,
                                                                 monkeypatch):
    """On a CPU device a learning step with few index entries and rows is counted on the host
    (no device call); the device is then behind, so the next step without learning is walked
    on the host, counting there, and the one after runs on the device. A GPU, or a count above
    HOST_COUNT_BELOW, counts on the device every step. Same results as numpy throughout."""
    from workbench.engine.htm import tm_dendrites_cl

    if not host_counts:
        monkeypatch.setattr(tm_dendrites_cl, "HOST_COUNT_BELOW", 0)
    kw = dict(cells_per_column=4, activation_threshold=2, min_threshold=2, connected_permanence=0.2)
    tm = TemporalMemory(64, backend=backend_name, resident=False, **kw)
    reference = TemporalMemory(64, **kw)
    engine = tm._engine
    on_host = host_counts and not engine.runtime.is_gpu
    starts = []
    start_activity = engine.start_activity
    engine.start_activity = lambda *args: starts.append(1) or start_activity(*args)
    steps = [([1, 2, 3], True), ([4, 5, 6], True), ([7, 8, 9], True)] * 3 + \
            [([1, 2, 3], False), ([4, 5, 6], False), ([7, 8, 9], False)]
    for k, (cols, learn) in enumerate(steps):
        for model in (tm, reference):
            model.compute(np.array(cols), learn=learn)
        if k == 8:  # the learning steps
            assert len(starts) == (0 if on_host else 9)
            assert engine.infers_on_device is not on_host
        if k == 9:  # on the host when the device was behind (the views were not read)
            assert len(starts) == (1 if on_host else 9) and engine.infers_on_device
    assert tm.predictive_cells.tolist() == reference.predictive_cells.tolist() != []
    assert len(starts) == (1 if on_host else 9)  # the last two ran on the device


@pytest.mark.parametrize("backend_name", ON_DEVICE)
def test_without_the_inference_kernels_the_count_stays_on_the_device(backend_name, monkeypatch):
    """The device step needs 64-bit atomics; a device without them builds the count alone
    (a warning says so) and walks its inference steps on the host, with the same results."""
    from workbench.engine.backend import BackendFallbackWarning
    from workbench.engine.cl.runtime import CLRuntime, KernelBuildError

    built = CLRuntime.kernel

    def kernel(self, filename, name, *args, **kwargs):
        if filename == "tm_infer.cl":
            raise KernelBuildError("tm_infer.cl failed to build: no 64-bit atomics (test)")
        return built(self, filename, name, *args, **kwargs)

    monkeypatch.setattr(CLRuntime, "kernel", kernel)
    kw = dict(cells_per_column=4, activation_threshold=2, min_threshold=2, connected_permanence=0.2)
    with pytest.warns(BackendFallbackWarning, match="walked on the host"):
        tm = TemporalMemory(64, backend=backend_name, resident=False, **kw)
    assert tm.backend_name == backend_name and not tm._engine.infers_on_device
    reference = TemporalMemory(64, **kw)
    for step, cols in enumerate(([1, 2, 3], [4, 5, 6], [7, 8, 9]) * 6):
        for model in (tm, reference):
            model.compute(np.array(cols), learn=step < 9)
        if step % 4 == 3:
            _same(tm, reference, step)
    _same(tm, reference, 18)
    assert tm.predictive_columns.tolist() == [1, 2, 3]
