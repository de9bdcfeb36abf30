"""The annotated example sessions shipped in ``sessions/`` (made by scripts/make_sessions.py):
each opens, stays under 20 MB, has captions on steps it holds about streams it records, and
is still reproduced by today's code: a run restored from its last checkpoint re-simulates the
recorded frames exactly. When a model changes its results, this test says which file to
regenerate."""

from pathlib import Path

import pytest

from workbench.plugins.registry import Registry
from workbench.plugins.runner import Run
from workbench.session import SessionReader
from workbench.session.compare import frame_difference
from workbench.session.fork import restore_run

SESSIONS = Path(__file__).resolve().parents[2] / "sessions"
FILES = sorted(SESSIONS.glob("*.wbsession"))
EXPECTED = {"sine", "sequences", "hotgym", "cartpole-dqn", "cartpole-ubl"}


def test_every_teaching_session_is_shipped():
    assert {path.stem for path in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_teaching_session_is_annotated_and_reproducible(path):
    assert path.stat().st_size < 20_000_000
    registry = Registry.discover(entry_points=False, user_dir=False)
    factory = lambda name, params, backend, seed: Run(registry.get(name), params, backend, seed)  # noqa: E731
    with SessionReader(path) as reader:
        streams = {stream.name for stream in reader.manifest.streams}
        annotations = reader.annotations
        assert len(annotations) >= 3, f"{path.name} has {len(annotations)} captions"
        for note in annotations:
            assert 1 <= note.step <= reader.length and note.caption.strip()
            assert set(note.view["streams"]) <= streams, f"{path.name} step {note.step}: {note.view}"
        nearest = max(c for c in reader.checkpoint_steps if c < reader.length)  # the last may be at the end
        step = min(nearest + 3, reader.length - 1)
        run, resimulated = restore_run(reader, step, factory, "numpy")  # raises where frames diverge
        assert resimulated == step - nearest
        recorded = reader.frame(step + 1)
        assert frame_difference(recorded, run.step(), list(run.streams.values())) is None, \
            f"{path.name} step {step + 1} differs from the recording: regenerate it with scripts/make_sessions.py"
