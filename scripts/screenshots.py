"""Regenerate the README's screenshots of the main window, live and in replay (offscreen).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--steps 600]

Live: the ``sine`` experiment after ``--steps`` steps, paused, with a column open in the synapse
inspector. Replay: a recording of the same run with two annotations, scrubbed to the second.
Layout presets and the recording go to a temporary folder, never to the user's config.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZE = (1600, 1000)


def wait_for(app, condition, seconds: float, what: str) -> None:
    from PySide6.QtCore import QEventLoop  # noqa: PLC0415

    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def settle(app, ms: int = 300) -> None:
    """Let pending layout and paint events run (docks settle their sizes over a few passes)."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        app.processEvents()


def record_session(registry, path: Path, steps: int) -> None:
    from workbench.plugins.runner import Run  # noqa: PLC0415
    from workbench.session.recorder import Recorder  # noqa: PLC0415

    run = Run(registry.get("sine"))
    run.build()
    recorder = Recorder.create(path, run)
    for _ in range(steps):
        run.step()
    recorder.annotate("Every column bursts: the sequence is new to the Temporal Memory", step=5)
    recorder.annotate("Most columns are now predicted: few bursts, anomaly falls", step=steps - 20)
    recorder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--steps", type=int, default=480)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="workbench-shots-"))
    os.environ["WORKBENCH_CONFIG_DIR"] = str(scratch / "config")
    os.environ["WORKBENCH_DATA_DIR"] = str(scratch / "data")

    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from workbench.plugins.registry import Registry  # noqa: PLC0415
    from workbench.ui import theme  # noqa: PLC0415
    from workbench.ui.main_window import MainWindow  # noqa: PLC0415

    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    registry = Registry.discover(user_dir=False)
    window = MainWindow(registry, backends=["numpy", "opencl"])
    window.resize(*SIZE)
    window.show()
    window.open_experiment("sine")
    wait_for(app, lambda: window.built is not None, 60, "sine to build")
    worker = window.worker.worker
    window.transport.run.setChecked(True)
    wait_for(app, lambda: worker.published().step >= args.steps - 1, 300, f"{args.steps} steps")
    window.transport.run.setChecked(False)
    wait_for(app, lambda: not window.running, 10, "the run to pause")
    while worker.published().step < args.steps:
        window.transport.step.trigger()
        wait_for(app, lambda s=worker.published().step: worker.published().step > s, 10, "a step")
    window.refresh()
    columns = window.view_by_title("Columns")
    active = window.shown_frame["sp.active"].sparse
    column = int(active[len(active) // 2])
    columns.select(column)
    columns.sigInspect.emit("sp", column)
    wait_for(app, lambda: window.inspector.target == ("sp", column), 10, "the inspector")
    window.view_by_title("Anomaly").smoothing.setValue(20)
    settle(app)
    window.grab().save(str(out / "live.png"))

    session = scratch / "sine.wbsession"
    record_session(registry, session, args.steps)
    window.open_session(session)
    settle(app)
    window.show_step(args.steps - 10)
    window.notes.setCurrentWidget(window.annotations)
    settle(app)
    window.grab().save(str(out / "replay.png"))
    window.close()
    print(f"wrote {out / 'live.png'} and {out / 'replay.png'}")


if __name__ == "__main__":
    main()
