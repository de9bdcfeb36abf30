"""Forking recordings of the built-in experiments, on every backend: their state_dicts survive
the pickle-free checkpoint format exactly, and re-simulation reproduces the recorded frames."""

import pytest

from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run
from workbench.session import Recorder, SessionReader, fork_session
from workbench.session.compare import frame_difference

SMALL = {
    "sine": {"columns": 256, "encoder_size": 400},
    "sequences": {},
    "hotgym": {"columns": 256, "value_size": 200, "cells_per_column": 4},
}


@pytest.fixture(scope="module")
def factory():
    registry = Registry.discover(entry_points=False, user_dir=False)
    return lambda name, params, backend, seed: Run(registry.get(name), params, backend, seed)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_fork_of_a_builtin_experiment_matches_the_recording(factory, backend_name, tmp_path, name):
    run = factory(name, SMALL[name], backend_name, 3)
    run.build()
    with Recorder.create(tmp_path / "parent.wbsession", run, chunk_size=8, checkpoint_every=8):
        frames = [run.step() for _ in range(16)]
    streams = list(run.streams.values())
    for step in (8, 13):  # at a checkpoint, and re-simulating 5 steps from one
        fork = fork_session(tmp_path / "parent.wbsession", step, tmp_path / f"fork{step}.wbsession", factory)
        assert fork.run.backend == run.backend and fork.resimulated == step % 8
        for want in frames[step:]:
            assert frame_difference(want, fork.run.step(), streams) is None, f"{name} step {want.step}"
        fork.recorder.close()
        with SessionReader(tmp_path / f"fork{step}.wbsession") as child:
            assert child.length == 16 and child.manifest.parent.step == step
            for want, got in zip(frames, child):
                assert frame_difference(want, got, streams) is None
