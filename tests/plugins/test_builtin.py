"""The built-in experiments: what each must show, and exact continuation from a saved state."""

import json
import math

import numpy as np
import pytest

from tests.paths import HELLO_GOLDEN
from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run



@pytest.fixture(scope="module")
def registry():
    return Registry.discover(entry_points=False, user_dir=False)


def frames_equal(a, b):
    assert a.step == b.step
    assert a.values.keys() == b.values.keys()
    for key, va in a.values.items():
        vb = b.values[key]
        if isinstance(va, float) and math.isnan(va):
            assert math.isnan(vb), key
        elif isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb, err_msg=key)
        else:
            assert va == vb, key


QUICK = {
    "sine": {"columns": 256, "encoder_size": 300},
    "sequences": {},
    "hotgym": {"columns": 256, "value_size": 200},
    "anomaly": {"columns": 256, "value_size": 200},
    "digits": {"columns": 128, "train_limit": 60, "eval_every": 20, "mlp_hidden": 16},
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_state_dict_round_trip_continues_identically(registry, name, backend_name):
    run = Run(registry.get(name), QUICK[name], backend=backend_name, seed=3)
    for _ in range(25):
        run.step()
    state = run.experiment.state_dict()
    expected = [run.step() for _ in range(15)]
    other = Run(registry.get(name), QUICK[name], backend=backend_name, seed=3)
    other.build()
    other.experiment.load_state_dict(state)
    for want in expected:
        frames_equal(want, other.step())


def test_sequences_learns_high_order_context(registry):
    run = Run(registry.get("sequences"), {"order": "cycle"}, seed=0)
    frames = [run.step() for _ in range(600)]
    last_pass = frames[-8:]
    symbols = [f["symbol"] for f in last_pass]
    assert symbols == ["A", "B", "C", "D", "X", "B", "C", "Y"]
    predictions = [f["prediction"] for f in last_pass]
    assert predictions[2] == "D" and predictions[6] == "Y"  # after C, by context
    anomalies = [f["anomaly"] for f in last_pass]
    assert anomalies == [1.0, 0, 0, 0, 1.0, 0, 0, 0]  # only sequence starts (after reset) surprise
    c_after_a = set(last_pass[2]["tm.active_cells"].sparse.tolist())
    c_after_x = set(last_pass[6]["tm.active_cells"].sparse.tolist())
    assert c_after_a and c_after_x and not c_after_a & c_after_x  # same columns, other cells
    assert last_pass[2]["columns"] == last_pass[6]["columns"]


def test_sequences_bursting_turns_into_prediction(registry):
    run = Run(registry.get("sequences"), {"preset": "simple", "reset": False, "order": "cycle"}, seed=0)
    frames = [run.step() for _ in range(60)]
    assert [f["bursting"] for f in frames[:6]] == [21.0] * 6  # first pass: every column bursts
    assert all(f["anomaly"] == 0 for f in frames[-12:])       # learned: all predicted


def test_sine_reproduces_htmcore_hellosptp(registry):
    """The default sine experiment is HelloSPTP: golden encoder and SP output at step 5000, and
    the spec's raw anomaly and moving average."""
    golden = json.loads(HELLO_GOLDEN.read_text())
    run = Run(registry.get("sine"), {}, seed=0)
    for _ in range(4999):
        run.step()
    frame = run.step()
    assert frame.step == 5000
    assert frame["encoding"].sparse.tolist() == golden["encoder_after_noise"]
    assert frame["sp.active"].sparse.tolist() == golden["sp_global_active_columns"]
    assert frame["anomaly"] == pytest.approx(59 / 102, abs=1e-6)
    assert frame["anomaly_average"] == pytest.approx(0.373364, abs=5e-7)


def test_anomaly_csv_has_one_row_per_input_row(tmp_path, capsys, monkeypatch):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "none"))
    series = tmp_path / "series.csv"
    rows = ["timestamp,value"] + [f"2020-01-01 {h:02d}:{m:02d}:00,{(h * 60 + m) % 7}"
                                  for h in range(3) for m in range(0, 60, 5)]
    rows.insert(5, "2020-01-01 00:17:00,not-a-number")
    series.write_text("\n".join(rows) + "\n")
    out_csv = tmp_path / "scores.csv"
    code = main(["run", "anomaly", "--set", f"csv={series}", "--set", "columns=128", "--csv", str(out_csv)])
    _, err = capsys.readouterr()
    assert code == 0
    assert "skipped 1 rows whose value is missing or not a number (lines 6)" in err
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "step,timestamp,value,anomaly,likelihood,log_likelihood,score,flagged"
    assert len(lines) == 1 + 36  # the run stops at the end of the series
    first = lines[1].split(",")
    assert first[1] == "2020-01-01 00:00:00" and first[2] == "0" and first[3] == "1"


@pytest.mark.parametrize("content, message", [
    (None, "file not found"),
    ("timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,2,3\n", "line 3: expected 2 fields, got 3"),
    ("timestamp,value\nyesterday,1\n", "line 2, column 'timestamp': cannot read 'yesterday'"),
])
def test_anomaly_bad_csv_is_a_usage_error(tmp_path, capsys, monkeypatch, content, message):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "none"))
    series = tmp_path / "series.csv"
    if content is not None:
        series.write_text(content)
    code = main(["run", "anomaly", "--set", f"csv={series}"])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err


def test_anomaly_fail_mode_stops_at_the_bad_line(tmp_path, capsys, monkeypatch):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "none"))
    series = tmp_path / "series.csv"
    series.write_text("timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,\n")
    code = main(["run", "anomaly", "--set", f"csv={series}", "--set", "on_bad_value=fail"])
    _, err = capsys.readouterr()
    assert code == 2 and "line 3, column 'value': '' is not a number" in err
