"""Forks: restore the nearest checkpoint, re-simulate, check against the recording, go on live."""

import pytest

from tests.session.toy import toy_factory, toy_run
from workbench.session import ForkDivergenceError, Recorder, SessionError, SessionReader, StepRangeError, fork_session
from workbench.session.compare import frame_difference

STEPS = 120


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A toy session with periodic checkpoints and a learning switch; and its frames."""
    path = tmp_path_factory.mktemp("fork") / "parent.wbsession"
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=16, checkpoint_every=25) as recorder:
        frames = [run.step() for _ in range(70)]
        run.set_learning(False)
        recorder.record_event("learning", on=False)
        frames += [run.step() for _ in range(STEPS - 70)]
    return path, frames


def assert_matches(frames, actual, streams):
    for want, got in zip(frames, actual):
        assert frame_difference(want, got, streams) is None, f"step {want.step}"


@pytest.mark.parametrize("step", [0, 1, 24, 25, 26, 49, 70, 71, 99, STEPS])
def test_fork_reproduces_the_recording_then_continues_live(recording, tmp_path, step):
    path, frames = recording
    fork = fork_session(path, step, tmp_path / "fork.wbsession", toy_factory)
    nearest = max(s for s in (0, 25, 50, 70, 95, 120) if s <= step)  # the event restarts the count
    assert fork.resimulated == step - nearest
    assert fork.run.experiment.learning is (step < 70)
    # The fork goes on from the same state, so with the same actions it makes the same frames.
    continued = []
    for at in range(step + 1, STEPS + 1):
        continued.append(fork.run.step())
        if at == 70:
            fork.run.set_learning(False)
    streams = list(fork.run.streams.values())
    assert_matches(frames[step:], continued, streams)
    fork.recorder.close()
    with SessionReader(tmp_path / "fork.wbsession") as child, SessionReader(path) as parent:
        assert child.length == STEPS and child.complete
        assert child.manifest.parent.step == step
        assert child.manifest.parent.session_id == parent.manifest.session_id
        assert child.manifest.params == parent.manifest.params
        assert_matches(frames, list(child), streams)
        assert [e.step for e in child.events] == [70] * (step >= 70)
        assert step in child.checkpoint_steps


def test_a_fork_can_be_forked_again(recording, tmp_path):
    path, frames = recording
    first = fork_session(path, 40, tmp_path / "a.wbsession", toy_factory, checkpoint_every=7)
    for _ in range(40):
        first.run.step()
    first.recorder.close()
    second = fork_session(tmp_path / "a.wbsession", 65, tmp_path / "b.wbsession", toy_factory)
    assert second.resimulated == 65 - 61  # the first fork checkpointed at 40, 47, 54, 61, ...
    assert_matches(frames[65:70], [second.run.step() for _ in range(5)], list(second.run.streams.values()))
    second.recorder.close()


def test_divergence_names_the_step_and_stream(recording, tmp_path):
    path, _ = recording

    def noisier(name, params, backend, seed):
        return toy_run({**params, "noise": 0.3}, backend, seed)

    with pytest.raises(ForkDivergenceError) as info:
        fork_session(path, 30, tmp_path / "bad.wbsession", noisier)
    assert (info.value.step, info.value.stream) == (26, "value")
    assert "step 26, stream 'value'" in str(info.value)
    assert not (tmp_path / "bad.wbsession").exists()

    def other_period(name, params, backend, seed):
        return toy_run({**params, "period": 5}, backend, seed)

    with pytest.raises(ForkDivergenceError) as info:  # sin(0) is 0 for any period: step 2 differs
        fork_session(path, 10, tmp_path / "bad.wbsession", other_period)
    assert (info.value.step, info.value.stream) == (2, "input")  # streams are checked in order


def test_fork_refuses_bad_requests(recording, tmp_path):
    path, _ = recording
    with pytest.raises(StepRangeError):
        fork_session(path, STEPS + 1, tmp_path / "f.wbsession", toy_factory)
    with pytest.raises(SessionError, match="needs a new file"):
        fork_session(path, 5, path, toy_factory)
