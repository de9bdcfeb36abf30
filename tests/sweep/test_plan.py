"""The search space and the plans: parsing --param, validating every point, grid, random and
successive halving (no cluster needed)."""

import math

import numpy as np
import pytest

from workbench.plugins.params import Param, ParamError
from workbench.plugins.sweep.plan import Objective, TrialOutcome, TrialSpec, build_plan
from workbench.plugins.sweep.space import parse_axes, parse_axis

DECLARED = (
    Param("x", "float", 1.0, low=0.0, high=10.0),
    Param("n", "int", 1, low=1, high=64),
    Param("mode", "choice", "a", choices=("a", "b")),
    Param("flag", "bool", False),
)
LOSS = Objective("loss")


def axis(text):
    return parse_axis(text, DECLARED, "toy")


def plan(*params, strategy="grid", **kwargs):
    kwargs = {"steps": 10, "seeds": 1, **kwargs}
    return build_plan(strategy, parse_axes(params, DECLARED, "toy"), DECLARED, LOSS, **kwargs)


def test_lists_are_validated_converted_and_deduplicated():
    assert axis("x=1, 2.5").values == (1.0, 2.5)
    assert axis("n=3,1,3").values == (3, 1)
    assert axis("mode=b,a").values == ("b", "a")
    assert axis("flag=true,no").values == (True, False)
    assert not axis("x=1,2").is_range


def test_ranges_keep_their_ends_and_scale():
    a = axis("x=0.5:4")
    assert (a.low, a.high, a.log, a.is_range) == (0.5, 4.0, False, True)
    assert axis("x=0.1:10:log").log


@pytest.mark.parametrize("text, message", [
    ("x", "--param expects name=v1,v2,... or name=low:high[:log] (got 'x')"),
    ("x=", "--param expects name=v1,v2"),
    ("y=1,2", "unknown parameter 'y' for toy; valid parameters: x, n, mode, flag"),
    ("x=1,11", "x: must be between 0 and 10 (got 11)"),
    ("x=0:11", "x: must be between 0 and 10 (got 11)"),
    ("x=-1:5", "x: must be between 0 and 10 (got -1)"),
    ("x=4:2", "--param x: a range needs low < high (got 4 >= 2)"),
    ("x=2:2", "a range needs low < high (got 2 >= 2)"),
    ("x=0:5:log", "--param x: a log range needs low > 0 (got 0)"),
    ("x=1:2:lin", "--param x: malformed range '1:2:lin'; expected low:high or low:high:log"),
    ("x=1:2:3:log", "malformed range '1:2:3:log'"),
    ("x=1:", "x: expected a number (got '')"),
    ("x=1:2,3", "malformed range '1:2,3'"),
    ("n=1.5:3", "n: expected a whole number (got '1.5')"),
    ("mode=a,c", "mode: must be one of a, b (got 'c')"),
    ("mode=a:b", "mode: must be one of a, b (got 'a:b')"),
    ("flag=yes,maybe", "flag: expected true or false (got 'maybe')"),
    ("x=1,,2", "--param x: empty value in the list '1,,2'"),
])
def test_bad_params_say_what_is_wrong(text, message):
    with pytest.raises(ParamError) as info:
        axis(text)
    assert message in str(info.value)


def test_a_parameter_given_twice_is_refused():
    with pytest.raises(ParamError, match="--param x is given twice"):
        parse_axes(["x=1,2", "x=3"], DECLARED, "toy")


def test_grid_points_of_ranges():
    assert axis("x=0:4").grid(5) == (0.0, 1.0, 2.0, 3.0, 4.0)
    assert axis("x=0.1:10:log").grid(3) == (0.1, 1.0, 10.0)
    assert axis("x=0.001:10:log").grid(5) == (0.001, 0.01, 0.1, 1.0, 10.0)
    assert axis("n=1:3").grid(5) == (1, 2, 3)  # 1, 1.5, 2, 2.5, 3 rounded, repeats dropped
    assert axis("x=1,2").grid(7) == (1.0, 2.0)
    assert axis("x=1:2").grid(4) == (1.0, 1.33333, 1.66667, 2.0)  # six significant digits


def test_random_draws_stay_in_range_and_follow_the_scale():
    rng = np.random.Generator(np.random.PCG64(1))
    linear = [axis("x=2:4").sample(rng) for _ in range(2000)]
    assert 2.0 <= min(linear) and max(linear) <= 4.0
    assert abs(np.mean(linear) - 3.0) < 0.05
    logs = [axis("x=0.01:10:log").sample(rng) for _ in range(2000)]
    assert 0.01 <= min(logs) and max(logs) <= 10.0
    below = np.mean(np.array(logs) < math.sqrt(0.01 * 10))  # the geometric middle splits a log range in half
    assert abs(below - 0.5) < 0.04
    ints = [axis("n=1:4").sample(rng) for _ in range(400)]
    assert sorted(set(ints)) == [1, 2, 3, 4] and all(isinstance(v, int) for v in ints)
    log_ints = [axis("n=1:64:log").sample(rng) for _ in range(2000)]
    assert 1 <= min(log_ints) and max(log_ints) <= 64
    assert abs(np.mean(np.array(log_ints) <= 8) - 0.5) < 0.05


def test_grid_runs_every_combination_and_seed_with_full_validated_params():
    p = plan("x=1,2", "mode=a,b", seeds=2)
    specs = p.first_round()
    assert p.total == len(specs) == 8
    assert len({s.key for s in specs}) == 8 and len({s.config_key for s in specs}) == 4
    assert specs[0].param_dict == {"x": 1.0, "n": 1, "mode": "a", "flag": False}
    assert [(s.param_dict["x"], s.param_dict["mode"], s.seed) for s in specs[:3]] == [
        (1.0, "a", 0), (1.0, "a", 1), (1.0, "b", 0)]
    assert {s.steps for s in specs} == {10}


def test_random_search_is_deterministic_per_search_seed():
    a = plan("x=0:10", "n=1:64:log", strategy="random", trials=6, search_seed=3).configs
    b = plan("x=0:10", "n=1:64:log", strategy="random", trials=6, search_seed=3).configs
    c = plan("x=0:10", "n=1:64:log", strategy="random", trials=6, search_seed=4).configs
    assert a == b != c and len(a) == 6
    assert len({(p["x"], p["n"]) for p in a}) == 6


def test_random_search_over_a_small_space_runs_each_point_once():
    p = plan("n=1,2", strategy="random", trials=5)
    assert sorted(c["n"] for c in p.configs) == [1, 2]
    assert p.notes == ["the space holds only 2 distinct points; running those instead of 5"]


@pytest.mark.parametrize("kwargs, message", [
    ({"trials": 3}, "--trials is for random and halving search"),
    ({"grid_points": 1}, "--grid-points must be >= 2 (got 1)"),
    ({"strategy": "random"}, "--search random needs --trials N"),
    ({"strategy": "halving", "trials": 0}, "--search halving needs --trials N (N >= 1)"),
    ({"strategy": "bayes"}, "--search must be one of grid, random, halving (got 'bayes')"),
    ({"steps": 0}, "--steps must be >= 1 (got 0)"),
    ({"seeds": 0}, "--seeds must be >= 1 (got 0)"),
])
def test_plans_that_make_no_sense_are_refused(kwargs, message):
    with pytest.raises(ParamError) as info:
        plan("x=1,2", **kwargs)
    assert message in str(info.value)


def test_no_axes_and_huge_grids_are_refused():
    with pytest.raises(ParamError, match="give at least one --param"):
        build_plan("grid", [], DECLARED, LOSS, steps=1, seeds=1)
    with pytest.raises(ParamError, match="the grid has 128,000 trials"):
        plan("x=0:10", "n=1:64", "mode=a,b", grid_points=1000)


def test_trial_spec_validates_its_point():
    with pytest.raises(ParamError, match="n: must be between 1 and 64"):
        TrialSpec.make(DECLARED, {"n": 65}, seed=0, steps=1)
    spec = TrialSpec.make(DECLARED, {"n": "7"}, seed=2, steps=5)
    assert spec.param_dict["n"] == 7 and spec.key == TrialSpec.make(DECLARED, {"n": 7}, 2, 5).key


def test_halving_rungs_keep_the_best_third_and_run_them_longer():
    p = plan("x=0:10", strategy="halving", trials=9, steps=27, seeds=2)
    assert p.rung_sizes == (9, 3, 1) and p.rung_steps == (3, 9, 27)
    assert p.total == (9 + 3 + 1) * 2
    outcomes = {}
    rounds = p.rounds(outcomes)
    seen = []
    for specs in rounds:
        seen.append(specs)
        for s in specs:  # score = x: the smallest x values are the best
            outcomes[s.key] = TrialOutcome(True, s.param_dict["x"] + 0.001 * s.seed)
    xs = sorted(c["x"] for c in p.configs)
    assert [len(r) for r in seen] == [18, 6, 2]
    assert sorted({s.param_dict["x"] for s in seen[1]}) == xs[:3]
    assert {s.param_dict["x"] for s in seen[2]} == {xs[0]} and {s.steps for s in seen[2]} == {27}


def test_halving_drops_configurations_that_failed_and_maximizes_when_asked():
    declared_axes = parse_axes(["x=0:10"], DECLARED, "toy")
    p = build_plan("halving", declared_axes, DECLARED, Objective("score", minimize=False),
                   steps=9, seeds=1, trials=3)
    assert p.rung_sizes == (3, 1) and p.rung_steps == (3, 9)
    outcomes = {}
    rounds = p.rounds(outcomes)
    first = next(rounds)
    best = max(first, key=lambda s: s.param_dict["x"])
    for s in first:  # the largest x would win, but it fails
        outcomes[s.key] = TrialOutcome(s is not best, s.param_dict["x"])
    (final,) = next(rounds)
    runner_up = max((s for s in first if s is not best), key=lambda s: s.param_dict["x"])
    assert final.param_dict == runner_up.param_dict and final.steps == 9
    assert next(rounds, None) is None


def test_halving_with_few_steps_or_configs_has_fewer_rungs():
    assert plan("x=0:10", strategy="halving", trials=30, steps=5).rung_steps == (2, 5)
    assert plan("x=0:10", strategy="halving", trials=2, steps=100).rung_sizes == (2,)
