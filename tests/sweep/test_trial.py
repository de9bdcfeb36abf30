"""One trial in this process (what a worker does): the score, the step budget, the end of the
data, and failures that come back as results instead of exceptions."""

import pytest

from tests.sweep.conftest import toy_loss
from workbench.plugins.registry import Registry
from workbench.plugins.sweep import FAILED, OK, TrialContext, TrialSpec, run_trial
from workbench.plugins.sweep.trial import check_worker


@pytest.fixture
def toy(toy_dir):
    info = Registry.discover(plugin_dirs=[toy_dir], user_dir=False).get("toy")
    return info, TrialContext("toy", info.cls.version, (str(toy_dir),))


def spec(info, steps=5, seed=0, **point):
    return TrialSpec.make(info.cls.params, point, seed, steps)


def test_a_trial_runs_its_budget_and_reports_the_metrics(toy):
    info, context = toy
    r = run_trial(spec(info, steps=7, seed=3, x=4.5, n=2, mode="b"), context)
    assert r.status == OK and r.error == ""
    assert r.metrics == {"loss": toy_loss(4.5, 2, 3, "b"), "steps_seen": 7.0}
    assert r.steps_done == 7 and r.worker == "local" and r.seconds > 0 and r.finished_at


def test_a_trial_stops_where_the_data_ends(toy):
    info, context = toy
    r = run_trial(spec(info, steps=50, length=4), context)
    assert r.status == OK and r.steps_done == 4 and r.metrics["steps_seen"] == 4.0


def test_a_plugin_that_raises_gives_a_failed_result_with_its_traceback(toy):
    info, context = toy
    r = run_trial(spec(info, steps=5, fail_at=3), context)
    assert r.status == FAILED and r.metrics == {}
    assert "step failed: RuntimeError: toy fails at step 3" in r.error
    assert "Traceback" in r.details and "toy fails at step 3" in r.details


def test_a_worker_without_the_plugin_or_with_other_code_says_so(toy, tmp_path):
    info, context = toy
    assert check_worker(context) == ""
    elsewhere = TrialContext("toy", context.version, (str(tmp_path),))
    assert check_worker(elsewhere).startswith("unknown experiment 'toy'; available: ")
    assert f"(plugin folders here: {tmp_path})" in check_worker(elsewhere)
    r = run_trial(spec(info), elsewhere)
    assert r.status == FAILED and r.error.startswith("KeyError: unknown experiment 'toy'")
    newer = TrialContext("toy", "2", context.plugin_dirs)
    assert check_worker(newer) == ("this worker has toy version 1, the sweep was planned with version 2: "
                                   "install the same workbench everywhere")
    assert run_trial(spec(info), newer).status == FAILED
