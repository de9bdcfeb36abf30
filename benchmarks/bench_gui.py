"""GUI responsiveness (offscreen): event-loop latency while a model runs flat out with every view
open, the model's step rate in the GUI against headless, and the cost of drawing 65,536 cells.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m benchmarks.bench_gui [--experiment sine] [--seconds 8]
        [--backend opencl] [--set columns=65536 ...]

The large-model check of the performance issue (the GUI stays responsive with a 64K-column model
on OpenCL): ``--backend opencl --set columns=65536 --set encoder_size=2048 --warmup 10 --seconds 10``.

Targets (the issue): p99 event-loop latency < 50 ms; GUI step rate >= 80 % of headless;
a 65,536-cell view drawn in < 5 ms a frame.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

PROBE_MS = 10


def headless_rate(registry, name: str, params: dict, backend: str, first: int, last: int) -> float:
    """Steps per second of the experiment with no GUI over steps ``first + 1 .. last`` (the
    same steps the GUI run measured: an HTM model's step cost changes as it learns)."""
    from workbench.plugins.runner import Run  # noqa: PLC0415

    run = Run(registry.get(name), params, backend)
    run.build()
    for _ in range(first):
        run.step()
    start = time.perf_counter()
    for _ in range(last - first):
        run.step()
    return (last - first) / (time.perf_counter() - start)


def gui_run(app, registry, name: str, params: dict, backend: str, seconds: float,
            warmup: int) -> dict[str, float]:
    """Run flat out in the real window; measure the event loop's lateness and the step rate."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: PLC0415

    from workbench.ui.main_window import MainWindow  # noqa: PLC0415

    window = MainWindow(registry, backends=[backend])
    window.resize(1600, 1000)
    window.show()
    window.open_configuration(name, params, seed=0)

    def wait(pred, limit_s: float) -> None:
        deadline = time.perf_counter() + limit_s
        while not pred():
            if time.perf_counter() > deadline:
                raise TimeoutError("the GUI did not get there in time")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    wait(lambda: window.built is not None, 60)
    worker = window.worker.worker
    window.transport.run.setChecked(True)
    wait(lambda: worker.published().step >= warmup, 120)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def probe() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6 - PROBE_MS)
        last[0] = now

    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    start_step = worker.published().step
    start = time.perf_counter()
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    elapsed = time.perf_counter() - start
    steps = worker.published().step - start_step
    window.transport.run.setChecked(False)
    window.close()
    lat = np.maximum(np.array(gaps[1:]), 0.0)
    return {"rate": steps / elapsed, "p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
            "max": float(lat.max()), "views": len(window.views), "first": start_step,
            "last": start_step + steps}


def cells_draw_ms(app, frames: int = 200) -> tuple[float, float]:
    """Mean ms to draw one frame of a 2048 x 32 cells view: codes + image (and with the repaint)."""
    from workbench.engine.htm.sdr import SDR  # noqa: PLC0415
    from workbench.plugins.api import View  # noqa: PLC0415
    from workbench.session.frames import Frame, Stream, StreamKind  # noqa: PLC0415
    from workbench.ui.views import make_view  # noqa: PLC0415

    n, cpc = 2048 * 32, 32
    streams = {k: Stream(k, StreamKind.SDR, shape=(n,), cells_per_column=cpc) for k in ("a", "p", "w")}
    view = make_view(View("cells", {"active": "a", "predictive": "p", "winner": "w"}), streams)
    view.resize(600, 600)
    view.show()
    rng = np.random.default_rng(0)
    made = []
    for i in range(frames):
        made.append(Frame(i, {k: SDR.from_indices(n, rng.choice(n, 800, replace=False)) for k in streams}))
    app.processEvents()
    start = time.perf_counter()
    for frame in made:
        view.draw_frame(frame)
    draw = (time.perf_counter() - start) / frames * 1000
    start = time.perf_counter()
    for frame in made:
        view.draw_frame(frame)
        view.canvas.viewport().repaint()
    painted = (time.perf_counter() - start) / frames * 1000
    view.close()
    return draw, painted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="sine")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--backend", default="numpy", help="numpy, opencl or opencl:N")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an experiment parameter other than its default (repeatable)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="GUI run + headless run on the same steps, repeated; medians are reported "
                             "(other load on the machine moves single figures a lot)")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from workbench.plugins.params import parse_assignments, resolve_params  # noqa: PLC0415
    from workbench.plugins.registry import Registry  # noqa: PLC0415
    from workbench.ui import theme  # noqa: PLC0415

    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    registry = Registry.discover(user_dir=False)
    name = args.experiment if args.experiment in registry.experiments else registry.names()[0]
    params = resolve_params(registry.get(name).cls.params, parse_assignments(args.set))
    rounds = []
    for _ in range(args.rounds):
        gui = gui_run(app, registry, name, params, args.backend, args.seconds, args.warmup)
        gui["base"] = headless_rate(registry, name, params, args.backend, gui["first"], gui["last"])
        gui["ratio"] = gui["rate"] / gui["base"]
        rounds.append(gui)
        print(f"round: GUI {gui['rate']:,.3g} steps/s, headless {gui['base']:,.3g} steps/s "
              f"({100 * gui['ratio']:.0f} %), p99 {gui['p99']:.1f} ms", flush=True)
    gui = {k: float(np.median([r[k] for r in rounds])) for k in rounds[0]}
    gui["max"] = max(r["max"] for r in rounds)
    base, ratio = gui["base"], gui["ratio"]
    draw, painted = cells_draw_ms(app)
    rows = [
        ("experiment", name, ""),
        ("backend", args.backend, ""),
        ("parameters set", " ".join(args.set) or "defaults", ""),
        ("views open", f"{gui['views']:.0f}", ""),
        ("rounds (medians below)", f"{len(rounds)}", ""),
        ("headless steps/s", f"{base:,.3g}", ""),
        ("GUI steps/s", f"{gui['rate']:,.3g}", ""),
        ("GUI / headless", f"{100 * ratio:.0f} %", "PASS" if ratio >= 0.8 else "FAIL (>= 80 %)"),
        ("event loop p50 latency", f"{gui['p50']:.1f} ms", ""),
        ("event loop p99 latency", f"{gui['p99']:.1f} ms", "PASS" if gui["p99"] < 50 else "FAIL (< 50 ms)"),
        ("event loop max latency (all)", f"{gui['max']:.1f} ms", ""),
        ("65,536 cells: draw", f"{draw:.2f} ms/frame", "PASS" if draw < 5 else "FAIL (< 5 ms)"),
        ("65,536 cells: draw + repaint", f"{painted:.2f} ms/frame", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>16}  target")
    for label, value, verdict in rows:
        print(f"{label:<{width}}  {value:>16}  {verdict}")


if __name__ == "__main__":
    main()
