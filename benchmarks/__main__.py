"""Run every benchmark module, print each table, and write all rows to one JSON file.

    python -m benchmarks [--quick] [--only sp,tm] [--backends numpy,opencl:0] [--out FILE]

Every ``benchmarks/bench_*.py`` module exposes ``run(...) -> list[dict]`` (taking ``quick`` and,
where it compares backends, ``backends``). Timings on a shared machine are noisy: each module
measures the backends side by side in one process and reports ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import platform
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import benchmarks
from benchmarks.table import print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", default="", help="comma-separated module suffixes (e.g. sp,tm)")
    parser.add_argument("--backends", default="", help="comma-separated backend names (default: all)")
    parser.add_argument("--out", default="bench-results.json")
    args = parser.parse_args(argv)

    from workbench.engine.backend import available_backends  # noqa: PLC0415

    backends = [b for b in (args.backends.split(",") if args.backends else available_backends())
                if b != "opencl"]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    results: dict[str, object] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "backends": backends,
        "modules": {},
    }
    failed = False
    for mod in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if not mod.name.startswith("bench_") or (only and mod.name[6:] not in only):
            continue
        module = importlib.import_module(f"benchmarks.{mod.name}")
        kwargs = {}
        params = inspect.signature(module.run).parameters
        if "quick" in params:
            kwargs["quick"] = args.quick
        if "backends" in params:
            kwargs["backends"] = backends
        start = time.perf_counter()
        try:
            rows = module.run(**kwargs)
        except Exception:
            failed = True
            print(f"\n== {mod.name} FAILED ==\n{traceback.format_exc()}", file=sys.stderr)
            continue
        print_table(f"{mod.name} ({time.perf_counter() - start:.0f} s)", rows)
        results["modules"][mod.name] = rows
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
