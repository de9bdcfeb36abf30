"""Reading a time series (a timestamp and a value per row) from a CSV file, with errors that say
which file, line and column are wrong. Used by the hotgym and anomaly experiments.

Accepted layouts: a header row naming the columns (NAB's ``timestamp,value``), optionally followed
by NuPIC's two extra OPF header rows (types, then flags), as in hot gym's file. Timestamps may be
ISO 8601 (``2014-07-01 00:00:00``) or NuPIC's ``%m/%d/%y %H:%M``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.plugins.params import ParamError

_TIME_NAMES = ("timestamp", "time", "date", "datetime")
_FORMATS = ("%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_OPF_TYPES = {"datetime", "float", "int", "string", ""}


class SeriesError(ParamError):
    """The series file cannot be used; the message names the file, line and column."""


@dataclass
class Series:
    """A series read from ``path``: timestamps, float64 values, and the rows that were skipped."""

    path: Path
    timestamps: list[dt.datetime]
    values: np.ndarray
    value_column: str
    skipped_lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.timestamps)

    def record(self, position: int) -> tuple[dt.datetime, float]:
        """Row ``position`` (from 0) as (timestamp, value); past the end, an IndexError that
        tells the user the run is over."""
        if position >= len(self):
            raise IndexError(f"{self.path.name} has {len(self)} rows and all were used: the run is "
                             "over (reset to start again)")
        return self.timestamps[position], float(self.values[position])


def parse_timestamp(text: str) -> dt.datetime:
    """A timestamp in one of the accepted formats, or ValueError."""
    text = text.strip()
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return dt.datetime.fromisoformat(text)


def read_series(path: str | Path, value_column: str = "", on_bad_value: str = "skip") -> Series:
    """Read ``path``; rows whose value is missing or not a number are skipped (and counted) or,
    with ``on_bad_value="fail"``, refused. A malformed row or timestamp is always refused."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise SeriesError(f"file not found: {path}")
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise SeriesError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise SeriesError(f"{path}: the file is empty") from None
        except csv.Error as exc:
            raise SeriesError(f"{path}, line 1: {exc}") from None
        except UnicodeDecodeError:
            raise SeriesError(f"{path}: not a text (UTF-8) CSV file") from None
        names = [h.strip() for h in header]
        time_index = next((i for i, n in enumerate(names) if n.lower() in _TIME_NAMES), None)
        if time_index is None:
            raise SeriesError(f"{path}, line 1: no timestamp column (looked for "
                              f"{', '.join(_TIME_NAMES)}; the header has {', '.join(names)})")
        if value_column:
            if value_column not in names:
                raise SeriesError(f"{path}, line 1: no column {value_column!r} (columns: {', '.join(names)})")
            value_index = names.index(value_column)
        else:
            others = [i for i in range(len(names)) if i != time_index]
            if not others:
                raise SeriesError(f"{path}, line 1: no value column besides {names[time_index]!r}")
            value_index = others[0]
        timestamps: list[dt.datetime] = []
        values: list[float] = []
        skipped: list[int] = []
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if line <= 3 and {c.strip().lower() for c in row} <= _OPF_TYPES | {"t", "b", "r", "s", "c"}:
                    continue  # NuPIC OPF type and flag rows
                if len(row) != len(names):
                    raise SeriesError(f"{path}, line {line}: expected {len(names)} fields, got {len(row)}")
                text = row[time_index]
                try:
                    stamp = parse_timestamp(text)
                except ValueError:
                    raise SeriesError(f"{path}, line {line}, column {names[time_index]!r}: cannot read "
                                      f"{text!r} as a date and time") from None
                raw = row[value_index].strip()
                try:
                    value = float(raw)
                    if not math.isfinite(value):
                        raise ValueError
                except ValueError:
                    if on_bad_value == "fail":
                        raise SeriesError(f"{path}, line {line}, column {names[value_index]!r}: "
                                          f"{raw!r} is not a number") from None
                    skipped.append(line)
                    continue
                timestamps.append(stamp)
                values.append(value)
        except csv.Error as exc:
            raise SeriesError(f"{path}, line {reader.line_num}: {exc}") from None
        except UnicodeDecodeError:
            raise SeriesError(f"{path}: not a text (UTF-8) CSV file") from None
    if not values:
        raise SeriesError(f"{path}: no usable rows (every value was missing or not a number)")
    return Series(path, timestamps, np.asarray(values, dtype=np.float64), names[value_index], skipped)
