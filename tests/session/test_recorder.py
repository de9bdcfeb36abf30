"""When the recorder checkpoints: K from the measured step time, stretched for costly checkpoints."""

import pytest

from tests.session.toy import toy_run
from workbench.session import Recorder, SessionReader
from workbench.session.recorder import CheckpointPolicy
from workbench.session.writer import StoreTime


def feed(policy, step_times):
    """Step the policy with the given step durations; returns the steps at which it said 'due'.
    (Durations are binary fractions, so that sums of them are exact.)"""
    due = []
    for step, dt in enumerate(step_times, 1):
        if policy.step_done(dt):
            due.append(step)
            policy.checkpointed(0.0, StoreTime(0.0, 0.0))
    return due


def test_a_checkpoint_is_due_once_the_steps_since_the_last_took_the_budget():
    policy = CheckpointPolicy(budget_s=1.0)
    assert feed(policy, [1 / 128] * 450) == [128, 256, 384]


def test_steps_of_varying_length_are_summed_not_estimated_from_a_typical_one():
    # nine short steps, then one that also reads a histogram (16x longer): 25/128 s per ten steps
    policy = CheckpointPolicy(budget_s=1.0)
    due = feed(policy, ([1 / 128] * 9 + [1 / 8]) * 12)
    assert due == [53, 106]  # 1 s = five rounds of ten (125/128 s) and three short steps


def test_the_first_checkpoint_allocating_the_snapshot_buffer_does_not_stretch_the_first_spacing():
    policy = CheckpointPolicy(budget_s=1.0)
    policy.checkpointed(0.5, StoreTime(0.0, 0.0))  # at the start: 0.5 s, ten times one to come
    due = []
    for step in range(1, 1500):
        if policy.step_done(1 / 128):
            due.append(step)
            policy.checkpointed(0.1, StoreTime(0.0, 0.0))  # from then on: one per 2 s at most
    assert due == [128, 384, 640, 896, 1152, 1408]


def test_one_slow_snapshot_does_not_stretch_the_spacing_but_a_slow_model_does():
    policy = CheckpointPolicy(budget_s=1.0)
    policy.checkpointed(0.0, StoreTime(0.0, 0.0))  # the recording's first
    costs = iter([0.01, 0.5, 0.01, 0.01, 0.1, 0.1, 0.1, 0.1])  # a page-fault storm once; later 0.1 s each
    due = []
    for step in range(1, 1500):
        if policy.step_done(1 / 128):
            due.append(step)
            policy.checkpointed(next(costs), StoreTime(0.0, 0.0))
    # 1 s apart while the lower median of the last three costs is 0.01 s; 2 s once it is 0.1 s
    assert due == [128, 256, 384, 512, 640, 768, 1024, 1280]


def steps_between(snapshot_s, store):
    """Steps of 1/128 s from a checkpoint of that cost to the next one due."""
    policy = CheckpointPolicy(budget_s=1.0)
    policy.checkpointed(0.0, StoreTime(0.0, 0.0))  # the recording's first
    feed(policy, [1 / 128] * 16)
    policy.checkpointed(snapshot_s, store)
    steps = 1
    while not policy.step_done(1 / 128):
        steps += 1
    return steps


def test_costly_snapshots_are_spaced_to_stay_under_five_percent_of_the_run():
    # 0.25 s of snapshot per checkpoint: at most one per 5 s of steps
    assert steps_between(0.25, StoreTime(0.0, 0.0)) == 640
    assert steps_between(0.1, StoreTime(0.0, 0.0)) == 256


def test_a_writer_with_a_core_to_spare_only_has_to_keep_up():
    # it ran the whole time it took: it may spend half its time on checkpoints
    assert steps_between(0.05, StoreTime(0.375, 0.375)) == 128
    assert steps_between(0.05, StoreTime(0.75, 0.8)) == 192


def test_a_writer_without_a_spare_core_shares_the_five_percent_with_the_snapshot():
    # it waited for a core half the time it took: its work came out of the run's time,
    # (0.05 + 0.2) s per checkpoint at 5 %: one per 5 s of steps
    assert steps_between(0.05, StoreTime(0.2, 0.4)) == 640
    assert steps_between(0.05, StoreTime(0.2, 0.2)) == 128


def test_a_cheap_store_is_not_judged_starved_by_the_wait_any_woken_thread_has():
    # 0.1 s of work in 0.15 s: a third of it waiting, but no more than waking up costs
    assert steps_between(0.05, StoreTime(0.1, 0.15)) == 128
    # the same wait on top of more waiting than that is starvation: (0.05 + 0.1) / 5 % = 3 s
    assert steps_between(0.05, StoreTime(0.1, 0.3)) == pytest.approx(384, abs=1)  # 0.05 is not binary


def test_fixed_interval_and_bad_settings():
    policy = CheckpointPolicy(every=7)
    assert feed(policy, [1.0] * 20) == [7, 14]
    with pytest.raises(ValueError, match="interval must be >= 1"):
        CheckpointPolicy(every=0)
    with pytest.raises(ValueError, match="budget must be > 0"):
        CheckpointPolicy(budget_s=0)


def test_recorder_checkpoints_at_start_periodically_and_on_events(tmp_path):
    run = toy_run()
    run.build()
    with Recorder.create(tmp_path / "c.wbsession", run, checkpoint_every=30) as recorder:
        for _ in range(40):
            run.step()
        recorder.record_event("learning", on=True)
        for _ in range(35):
            run.step()
        assert recorder.step == 75
    with SessionReader(tmp_path / "c.wbsession") as reader:
        assert reader.checkpoint_steps == [0, 30, 40, 70]
        assert [reader.checkpoint(s).reason for s in (0, 30, 40)] == ["start", "periodic", "learning"]
        assert reader.checkpoint(75).step == 70
    assert run.listeners == []  # closing detached the recorder


def test_checkpoints_follow_compute_time_not_the_time_between_frames(tmp_path, monkeypatch):
    """A single-stepping GUI leaves seconds between frames; only the steps' compute time is
    re-simulated, so only it spaces checkpoints. The run's clock advances 1/256 s during each
    step and stands still between them, however long the wall clock says they were apart."""
    import workbench.plugins.runner as runner

    ticks = iter(range(10**6))
    monkeypatch.setattr(runner, "perf_counter", lambda: next(ticks) / 256)  # two reads a step
    run = toy_run()
    run.build()
    with Recorder.create(tmp_path / "s.wbsession", run, budget_s=0.75) as recorder:
        for _ in range(200):
            frame = run.step()
            assert frame.seconds == 1 / 256
        assert recorder.step == 200
    with SessionReader(tmp_path / "s.wbsession") as reader:
        assert reader.checkpoint_steps == [0, 192]  # 0.75 s = 192 steps of 1/256 s
