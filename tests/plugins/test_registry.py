import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.plugins.api import Experiment
from workbench.plugins.registry import Registry
from tests.counter_plugin import counter_source
from workbench.plugins.runner import Run, RunError

ROOT = Path(__file__).resolve().parents[2]


def write_plugin(folder: Path, filename: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(textwrap.dedent(text))
    return path


def test_builtins_are_discovered():
    reg = Registry.discover(user_dir=False)
    assert not [f for f in reg.failures if "built-in" in f.source], reg.failures
    for info in reg.experiments.values():
        assert issubclass(info.cls, Experiment) and info.source.startswith(("built-in", "entry point"))


def test_folder_plugin_is_discovered_and_runs(tmp_path):
    write_plugin(tmp_path, "counter.py", counter_source("counter"))
    reg = Registry.discover([tmp_path], entry_points=False, user_dir=False)
    info = reg.get("counter")
    assert info.source == f"file {tmp_path / 'counter.py'}"
    run = Run(info, {"step_size": "3"}, seed=1)
    totals = [run.step()["total"] for _ in range(4)]
    assert totals == [3.0, 6.0, 9.0, 12.0]
    assert run.history["total"] == totals


def test_broken_plugin_does_not_break_the_others(tmp_path):
    write_plugin(tmp_path, "a_broken.py", "import this_module_does_not_exist\n")
    write_plugin(tmp_path, "b_counter.py", counter_source("counter"))
    reg = Registry.discover([tmp_path], entry_points=False, user_dir=False)
    assert "counter" in reg.names()
    [failure] = [f for f in reg.failures if "a_broken" in f.source]
    assert failure.stage == "import"
    assert "ModuleNotFoundError" in failure.message
    assert "Traceback" in failure.details


def test_plugin_failing_to_step_is_reported_not_raised_raw(tmp_path):
    write_plugin(tmp_path, "counter.py", counter_source("counter"))
    reg = Registry.discover([tmp_path], entry_points=False, user_dir=False)
    run = Run(reg.get("counter"), {"step_size": 7})
    with pytest.raises(RunError) as err:
        run.step()
    assert err.value.failure.stage == "step"
    assert "seven is unlucky" in err.value.failure.message
    assert "Traceback" in err.value.failure.details


def test_duplicate_names_name_both_sources(tmp_path):
    write_plugin(tmp_path / "one", "first.py", counter_source("twin"))
    write_plugin(tmp_path / "two", "second.py", counter_source("twin"))
    reg = Registry.discover([tmp_path / "one", tmp_path / "two"], entry_points=False, user_dir=False)
    assert reg.get("twin").source.endswith("first.py")
    [dup] = [f for f in reg.failures if f.stage == "register"]
    assert "first.py" in dup.message and "second.py" in dup.source
    assert "already taken" in dup.message


def test_unknown_experiment_lists_available(tmp_path):
    reg = Registry.discover([], entry_points=False, user_dir=False)
    with pytest.raises(KeyError, match="unknown experiment 'nope'; available:"):
        reg.get("nope")


def test_missing_plugin_folder_is_reported(tmp_path):
    reg = Registry.discover([tmp_path / "missing"], entry_points=False, user_dir=False)
    assert any("plugin folder not found" in f.message for f in reg.failures)


def test_user_folder_from_environment(tmp_path, monkeypatch):
    write_plugin(tmp_path / "user", "counter.py", counter_source("usercounter"))
    monkeypatch.setenv("WORKBENCH_USER_PLUGINS", str(tmp_path / "user"))
    reg = Registry.discover(entry_points=False)
    assert "usercounter" in reg.names()


def test_example_package_installs_and_is_found_by_entry_point(tmp_path):
    """The example third-party plugin, installed with pip, is discovered through its entry point."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT / "examples" / "plugin-example")],
                   check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=f"{target}{os.pathsep}{ROOT}",
               WORKBENCH_USER_PLUGINS=str(tmp_path / "none"))
    listing = subprocess.run([sys.executable, "-m", "workbench", "list"], env=env, capture_output=True,
                             text=True, check=True)
    assert "random-walk: Random walk (example plugin)" in listing.stdout
    assert "entry point random-walk = workbench_plugin_example:RandomWalk" in listing.stdout
    ran = subprocess.run([sys.executable, "-m", "workbench", "run", "random-walk", "--steps", "20",
                          "--set", "step_size=2.5"], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert "random-walk: 20 steps" in ran.stdout
