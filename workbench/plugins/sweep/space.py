"""The search space of a sweep: one :class:`Axis` per swept parameter, parsed from the CLI's
``--param`` syntax (``name=v1,v2,...`` lists values, ``name=low:high[:log]`` spans a range).

Every value an axis can produce is checked with the parameter's own :meth:`Param.validate`, so a
sweep refuses a bad point with the same message ``workbench run --set`` would give, before a
single trial is submitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from workbench.plugins.params import Param, ParamError

RANGE_KINDS = ("int", "float")
SIGNIFICANT_DIGITS = 6  # range values are rounded so tables stay readable (0.0316228, not 0.031622776601683794)


@dataclass(frozen=True)
class Axis:
    """One swept parameter: listed ``values``, or a range ``low``..``high`` (log-scaled if ``log``)."""

    param: Param
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def grid(self, points: int) -> tuple[Any, ...]:
        """The listed values, or ``points`` values spread evenly over the range (geometrically
        on a log range; ints rounded and repeats dropped)."""
        if not self.is_range:
            return self.values
        spread = np.geomspace if self.log else np.linspace
        return _unique(self._snap(v) for v in spread(self.low, self.high, points))

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn uniformly: from the list, or over the range (log-uniformly on a log range)."""
        if not self.is_range:
            return self.values[int(rng.integers(len(self.values)))]
        if self.param.kind == "int" and not self.log:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return self._snap(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return self._snap(rng.uniform(self.low, self.high))

    def _snap(self, value: float) -> Any:
        """A range value rounded (to an int, or to a few significant digits) and kept inside the range."""
        if self.param.kind == "int":
            return int(min(max(round(value), self.low), self.high))
        return min(max(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), self.low), self.high)

    def describe(self) -> str:
        if self.is_range:
            return f"{self.name}={_fmt(self.low)}:{_fmt(self.high)}{':log' if self.log else ''}"
        return f"{self.name}={','.join(_fmt(v) for v in self.values)}"


def parse_axis(text: str, declared: Sequence[Param], experiment: str) -> Axis:
    """``name=v1,v2`` or ``name=low:high[:log]`` as an Axis of one of ``declared``; every listed
    value and both range ends pass :meth:`Param.validate`, or :class:`ParamError` says what is wrong."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ParamError(f"--param expects name=v1,v2,... or name=low:high[:log] (got {text!r})")
    by_name = {p.name: p for p in declared}
    if name not in by_name:
        raise ParamError(f"unknown parameter {name!r} for {experiment}; valid parameters: "
                         f"{', '.join(by_name) or 'none'}")
    param = by_name[name]
    if param.kind in RANGE_KINDS and ":" in spec:
        return _parse_range(param, spec)
    items = [item.strip() for item in spec.split(",")]
    if any(not item for item in items):
        raise ParamError(f"--param {name}: empty value in the list {spec!r} (separate values with ',')")
    return Axis(param, values=_unique(param.validate(item) for item in items))


def _parse_range(param: Param, spec: str) -> Axis:
    parts = [part.strip() for part in spec.split(":")]
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log") or "," in spec:
        raise ParamError(f"--param {param.name}: malformed range {spec!r}; expected low:high or "
                         f"low:high:log (a list is v1,v2,...)")
    low, high = param.validate(parts[0]), param.validate(parts[1])
    if not low < high:
        raise ParamError(f"--param {param.name}: a range needs low < high (got {_fmt(low)} >= {_fmt(high)})")
    log = len(parts) == 3
    if log and low <= 0:
        raise ParamError(f"--param {param.name}: a log range needs low > 0 (got {_fmt(low)})")
    return Axis(param, low=low, high=high, log=log)


def parse_axes(texts: Sequence[str], declared: Sequence[Param], experiment: str) -> list[Axis]:
    """Every ``--param`` as an Axis; a parameter given twice is refused."""
    axes: list[Axis] = []
    for text in texts:
        axis = parse_axis(text, declared, experiment)
        if any(a.name == axis.name for a in axes):
            raise ParamError(f"--param {axis.name} is given twice; list every value in one --param")
        axes.append(axis)
    return axes


def _unique(values) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return tuple(out)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
