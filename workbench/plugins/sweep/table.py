"""The results table of a sweep: a CSV file with one row per finished trial.

Rows are appended, flushed and synced to disk as each trial arrives, so a sweep that is stopped
(Ctrl-C, a closed laptop, a killed process) keeps every trial it finished, and running the same
sweep again reads the table and skips them. Columns: ``experiment, seed, steps``, one
``param.NAME`` per declared parameter (all of them, so a row says exactly what ran), ``status``
(ok, failed, lost), one ``metric.NAME`` per metric, ``steps_done, seconds, worker, finished_at,
error``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Sequence, TextIO

from workbench.plugins.params import Param, ParamError

from .errors import SweepError
from .plan import TrialSpec
from .trial import STATUSES, TrialResult

LEADING = ("experiment", "seed", "steps")
TRAILING = ("steps_done", "seconds", "worker", "finished_at", "error")


def format_cell(value: Any) -> str:
    """Exact, re-readable text: floats by repr (round trip), bools as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class ResultsTable:
    """Reads and appends one sweep's CSV (``path=None`` keeps results in memory only)."""

    def __init__(self, path: str | Path | None, experiment: str, declared: Sequence[Param],
                 metrics: Sequence[str]) -> None:
        self.path = Path(path) if path is not None else None
        self.experiment = experiment
        self.declared = tuple(declared)
        self.metrics = tuple(metrics)
        self.columns = [*LEADING, *(f"param.{p.name}" for p in self.declared), "status",
                        *(f"metric.{m}" for m in self.metrics), *TRAILING]
        self.notes: list[str] = []
        self._handle: TextIO | None = None
        self._writer: Any = None

    # -- reading ---------------------------------------------------------------------------------
    def load(self) -> list[TrialResult]:
        """The trials already in the file (none if it does not exist yet). A last line cut short
        by a crash is dropped (noted in ``notes``); a table of another sweep is refused."""
        if self.path is None or not self.path.exists():
            return []
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SweepError(f"cannot read {self.path}: {exc.strerror}") from None
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            self.notes.append(f"{self.path}: dropped an incomplete last line (a trial cut off while "
                              f"being written)")
            with open(self.path, "r+b") as handle:
                handle.truncate(cut)
            data = data[:cut]
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        if not rows:
            return []
        self._check_header(rows[0])
        return [self._result(row, line) for line, row in enumerate(rows[1:], start=2) if row]

    def _check_header(self, header: list[str]) -> None:
        if header == self.columns:
            return
        missing = [c for c in self.columns if c not in header]
        extra = [c for c in header if c not in self.columns]
        detail = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                             f"unexpected {', '.join(extra)}" if extra else "") if part)
        raise SweepError(f"{self.path} is not a results table of this {self.experiment} sweep "
                         f"({detail or 'columns in another order'}); write to another --out")

    def _result(self, row: list[str], line: int) -> TrialResult:
        where = f"{self.path}, line {line}"
        if len(row) != len(self.columns):
            raise SweepError(f"{where}: {len(row)} cells, expected {len(self.columns)}; fix or move the file")
        cells = dict(zip(self.columns, row))
        if cells["experiment"] != self.experiment:
            raise SweepError(f"{where}: a {cells['experiment']} trial in a {self.experiment} sweep's table; "
                             f"write to another --out")
        try:
            params = tuple((p.name, p.validate(cells[f"param.{p.name}"])) for p in self.declared)
            spec = TrialSpec(params, int(cells["seed"]), int(cells["steps"]))
            metrics = {m: float(cells[f"metric.{m}"]) for m in self.metrics if cells[f"metric.{m}"]}
            steps_done, seconds = int(cells["steps_done"]), float(cells["seconds"])
        except (ParamError, ValueError) as exc:
            raise SweepError(f"{where}: {exc}; fix or move the file") from None
        if cells["status"] not in STATUSES:
            raise SweepError(f"{where}: status {cells['status']!r} is not one of {', '.join(STATUSES)}")
        return TrialResult(spec, cells["status"], metrics, steps_done, seconds, cells["worker"],
                           cells["finished_at"], cells["error"])

    # -- writing ---------------------------------------------------------------------------------
    def append(self, result: TrialResult) -> None:
        """Write one finished trial and push it to disk before returning."""
        if self.path is None:
            return
        if self._handle is None:
            self._open()
        params = result.spec.param_dict
        row = [self.experiment, result.spec.seed, result.spec.steps,
               *(format_cell(params[p.name]) for p in self.declared), result.status,
               *(format_cell(result.metrics[m]) if m in result.metrics else "" for m in self.metrics),
               result.steps_done, f"{result.seconds:.3f}", result.worker, result.finished_at,
               " ".join(result.error.split())]
        self._writer.writerow(row)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def _open(self) -> None:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self._handle = open(self.path, "a", newline="", encoding="utf-8")
        except OSError as exc:
            raise SweepError(f"cannot write {self.path}: {exc.strerror}") from None
        self._writer = csv.writer(self._handle)
        if fresh:
            self._writer.writerow(self.columns)

    def check_writable(self) -> None:
        """Open the file now (writing the header to a new one), so a bad --out fails before the sweep."""
        if self.path is not None and self._handle is None:
            self._open()
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._writer = None

