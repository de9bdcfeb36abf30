"""The results table (exact round trip, crash-cut lines, tables of other sweeps) and the ranking
of configurations read from it."""

import csv
import math

import pytest

from workbench.plugins.params import Param
from workbench.plugins.sweep import FAILED, LOST, OK, Objective, ResultsTable, SweepError, TrialResult, TrialSpec
from workbench.plugins.sweep.report import describe_ranking, rank_configs, run_command
from workbench.plugins.sweep.space import parse_axes

DECLARED = (
    Param("x", "float", 1.0, low=0.0, high=10.0),
    Param("flag", "bool", False),
    Param("label", "str", "plain"),
)
METRICS = ("loss", "other")


def result(x=1.0, seed=0, steps=10, status=OK, loss=None, **extra):
    spec = TrialSpec.make(DECLARED, {"x": x, **extra}, seed, steps)
    metrics = {"loss": x if loss is None else loss, "other": -1.0} if status == OK else {}
    return TrialResult(spec, status, metrics, steps, 0.25, "tcp://10.0.0.1:4000", "2026-01-01T00:00:00",
                       "" if status == OK else "step failed: RuntimeError: boom\nsecond line")


def table(path):
    return ResultsTable(path, "toy", DECLARED, METRICS)


def test_rows_read_back_exactly(tmp_path):
    path = tmp_path / "t.csv"
    written = [result(0.1 + 0.2, flag=True, label='a, "quoted" label'),
               result(1 / 3, seed=1, loss=math.nan), result(2.0, status=FAILED), result(3.0, status=LOST)]
    t = table(path)
    assert t.load() == []
    for r in written:
        t.append(r)
    t.close()
    read = table(path).load()
    assert [r.spec for r in read] == [r.spec for r in written]
    assert read[0].spec.param_dict == {"x": 0.1 + 0.2, "flag": True, "label": 'a, "quoted" label'}
    assert read[0].metrics == {"loss": 0.1 + 0.2, "other": -1.0}
    assert math.isnan(read[1].metrics["loss"])
    assert [r.status for r in read] == [OK, OK, FAILED, LOST]
    assert read[2].metrics == {} and read[2].error == "step failed: RuntimeError: boom second line"
    assert (read[0].worker, read[0].seconds, read[0].steps_done) == ("tcp://10.0.0.1:4000", 0.25, 10)
    header = next(csv.reader(path.open()))
    assert header == ["experiment", "seed", "steps", "param.x", "param.flag", "param.label", "status",
                      "metric.loss", "metric.other", "steps_done", "seconds", "worker", "finished_at", "error"]


def test_each_row_is_on_disk_as_soon_as_it_is_appended(tmp_path):
    path = tmp_path / "t.csv"
    t = table(path)
    t.append(result(1.0))
    assert len(path.read_text().splitlines()) == 2  # header + row, before close
    t.append(result(2.0))
    assert len(table(path).load()) == 2
    t.close()


def test_a_line_cut_by_a_crash_is_dropped_and_appending_goes_on(tmp_path):
    path = tmp_path / "t.csv"
    t = table(path)
    t.append(result(1.0))
    t.close()
    with path.open("a") as handle:
        handle.write("toy,0,10,2.0,false,pla")  # the process died mid-row
    t = table(path)
    assert [r.spec.param_dict["x"] for r in t.load()] == [1.0]
    assert "dropped an incomplete last line" in t.notes[0]
    t.append(result(2.0))
    t.close()
    assert [r.spec.param_dict["x"] for r in table(path).load()] == [1.0, 2.0]


def test_a_table_of_another_sweep_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    t = table(path)
    t.append(result(1.0))
    t.close()
    other = ResultsTable(path, "toy", DECLARED[:2], METRICS)
    with pytest.raises(SweepError, match=r"is not a results table of this toy sweep \(unexpected param.label\); "
                                         r"write to another --out"):
        other.load()
    renamed = ResultsTable(path, "other", DECLARED, METRICS)
    with pytest.raises(SweepError, match="line 2: a toy trial in a other sweep's table"):
        renamed.load()


@pytest.mark.parametrize("row, message", [
    ("toy,0,10,11.0,false,plain,ok,1,2,10,0.1,w,t,", "line 2: x: must be between 0 and 10 (got 11.0)"),
    ("toy,zero,10,1.0,false,plain,ok,1,2,10,0.1,w,t,", "line 2: invalid literal for int()"),
    ("toy,0,10,1.0,false,plain,done,1,2,10,0.1,w,t,", "line 2: status 'done' is not one of ok, failed, lost"),
    ("toy,0,10,1.0,false", "line 2: 5 cells, expected 14"),
])
def test_damaged_rows_name_their_line(tmp_path, row, message):
    path = tmp_path / "t.csv"
    path.write_text(",".join(table(path).columns) + "\n" + row + "\n")
    with pytest.raises(SweepError) as info:
        table(path).load()
    assert message in str(info.value)


def test_an_unwritable_table_fails_before_the_sweep(tmp_path):
    with pytest.raises(SweepError, match="cannot write"):
        table(tmp_path / "no" / "such" / "dir.csv").check_writable()


def test_ranking_means_over_seeds_at_the_longest_budget():
    results = [result(2.0, seed=0, loss=4.0), result(2.0, seed=1, loss=6.0),   # mean 5
               result(1.0, seed=0, loss=3.0), result(1.0, seed=1, status=FAILED),  # mean 3, one failed
               result(5.0, seed=0, status=LOST),                                  # no score: last
               result(9.0, seed=0, steps=3, loss=0.0)]                            # shorter budget: left out
    ranking = rank_configs(results, Objective("loss"))
    assert [(c.params["x"], c.mean, c.failed) for c in ranking[:2]] == [(1.0, 3.0, 1), (2.0, 5.0, 0)]
    assert ranking[1].std == pytest.approx(math.sqrt(2))
    assert ranking[2].params["x"] == 5.0 and math.isnan(ranking[2].mean)
    assert len(ranking) == 3
    assert [c.params["x"] for c in rank_configs(results, Objective("loss", minimize=False))] == [2.0, 1.0, 5.0]
    axes = parse_axes(["x=1,2,5"], DECLARED, "toy")
    lines = describe_ranking(ranking, axes, Objective("loss"), top=2)
    assert lines == ["  1. loss=3 over 1 seed(s), 1 failed: x=1.0", "  2. loss=5 +- 1.41 over 2 seed(s): x=2.0"]
    labelled = rank_configs([result(1.0, label="two words")], Objective("loss"))[0]
    label_axes = parse_axes(["x=1,2", "label=two words,b"], DECLARED, "toy")
    assert run_command("toy", labelled, label_axes) == \
        "workbench run toy --set x=1.0 --set 'label=two words' --steps 10"
