"""Typed experiment parameters: one declaration drives validation, the CLI's ``--set`` and the
GUI's parameter editor, so a value refused in one place is refused everywhere with the same reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

_KINDS = ("int", "float", "bool", "str", "choice", "path")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ParamError(ValueError):
    """A parameter value was refused; the message names the parameter and the reason."""


@dataclass(frozen=True)
class Param:
    """One typed parameter: kind, default, range or choices, and help text.

    ``kind`` is one of int, float, bool, str, choice, path. ``low``/``high`` bound int and float
    values (inclusive); ``log`` hints that sweeps and sliders should use a log scale;
    ``optional`` lets a str or path parameter be empty.
    """

    name: str
    kind: str
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False
    optional: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"parameter {self.name!r}: kind must be one of {', '.join(_KINDS)}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name!r}: a choice needs choices")
        self.validate(self.default)  # a bad default is the plugin author's bug: say so at once

    def validate(self, value: Any) -> Any:
        """The value converted to this parameter's type, or :class:`ParamError`."""
        kind = self.kind
        try:
            if kind == "bool":
                if isinstance(value, str):
                    text = value.strip().lower()
                    if text not in _TRUE | _FALSE:
                        raise ValueError
                    return text in _TRUE
                if isinstance(value, (bool, int)) and value in (0, 1):
                    return bool(value)
                raise ValueError
            if kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                number: float = int(str(value).strip()) if isinstance(value, str) else int(value)
            elif kind == "float":
                number = float(value)
                if math.isnan(number):
                    raise ValueError
            elif kind == "choice":
                text = str(value)
                if text not in self.choices:
                    raise ParamError(f"{self.name}: must be one of {', '.join(self.choices)} "
                                     f"(got {value!r})")
                return text
            else:  # str / path
                text = "" if value is None else str(value)
                if not text and not self.optional:
                    raise ParamError(f"{self.name}: must not be empty")
                return text
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ParamError):
                raise
            raise ParamError(f"{self.name}: expected {self._expected()} (got {value!r})") from None
        if self.low is not None and number < self.low or self.high is not None and number > self.high:
            raise ParamError(f"{self.name}: must be between {self._fmt(self.low)} and "
                             f"{self._fmt(self.high)} (got {value})")
        return number

    def _expected(self) -> str:
        return {"int": "a whole number", "float": "a number", "bool": "true or false"}.get(self.kind, self.kind)

    @staticmethod
    def _fmt(bound: float | None) -> str:
        return "-inf" if bound is None else f"{bound:g}"

    def describe(self) -> str:
        """One line for ``workbench list``."""
        rng = ""
        if self.kind == "choice":
            rng = f" {{{', '.join(self.choices)}}}"
        elif self.low is not None or self.high is not None:
            rng = f" [{self._fmt(self.low)} .. {'inf' if self.high is None else f'{self.high:g}'}]"
        return f"{self.name} ({self.kind}{rng}, default {self.default!r}): {self.help}"


def resolve_params(declared: Sequence[Param], given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults overlaid with ``given``, every value validated; unknown names list the valid ones."""
    by_name = {p.name: p for p in declared}
    values = {p.name: p.default for p in declared}
    for name, value in (given or {}).items():
        if name not in by_name:
            valid = ", ".join(by_name) or "none"
            raise ParamError(f"unknown parameter {name!r}; valid parameters: {valid}")
        values[name] = by_name[name].validate(value)
    return values


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` (the CLI's ``--set``) as a dict, refusing items without '='."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParamError(f"--set expects name=value (got {item!r})")
        out[name.strip()] = value.strip()
    return out


def existing_file(value: str, what: str) -> Path:
    """``value`` as a path that exists, or a ParamError saying which file is missing."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise ParamError(f"{what}: file not found: {path}")
    return path
