"""The date encoder (HTM_SPEC.md, "Encoders": Date).

A timestamp becomes the concatenation, in a fixed order, of the scalar encodings of the parts a
model cares about: season, day of week, weekend, custom days, holiday, time of day. Each part is
given as its width (active bits) or as (width, radius); parts left out take no bits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..sdr import SDR
from .base import Encoder, EncodingCache, require, require_positive_finite, require_whole
from .scalar import ScalarEncoder, ScalarEncoderParameters

Width = int | tuple[int, float]

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class DateEncoderParameters:
    """Widths (and radii) of the parts to encode; at least one must be given.

    - ``season``: day of the year (0-based), periodic over 366 days, default radius 91.5.
    - ``day_of_week``: weekday (Monday 0) + hour / 24 - 0.5, periodic over 7, default radius 1.
    - ``weekend``: width only; on for Saturday, Sunday and Friday after 18:00.
    - ``custom_days``: (width, day names): on for the named days ("mon" or "monday", any case).
    - ``holiday``: periodic over 2, default radius 1: 1 on a holiday, rising from 1 to 2 (which
      is 0 again) through the day after it, 0 otherwise. ``holidays`` lists (month, day) for
      every year or (year, month, day) for one date; the default is Christmas.
    - ``time_of_day``: hour + minute / 60, periodic over 24 hours, default radius 4.
    """

    season: Width | None = None
    day_of_week: Width | None = None
    weekend: int | None = None
    custom_days: tuple[int, tuple[str, ...]] | None = None
    holiday: Width | None = None
    holidays: tuple[tuple[int, ...], ...] = ((12, 25),)
    time_of_day: Width | None = None


def _width_and_radius(name: str, given: Width, default_radius: float) -> tuple[int, float]:
    width, radius = given if isinstance(given, tuple) else (given, default_radius)
    require_whole("DateEncoder", f"{name} width", width, minimum=1)
    require_positive_finite("DateEncoder", f"{name} radius", radius)
    return int(width), float(radius)


def _periodic(width: int, radius: float, period: float) -> ScalarEncoder:
    return ScalarEncoder(
        ScalarEncoderParameters(minimum=0.0, maximum=period, active_bits=width, radius=radius, periodic=True)
    )


def _flag(width: int) -> ScalarEncoder:
    return ScalarEncoder(ScalarEncoderParameters(minimum=0, maximum=1, active_bits=width, category=True))


def _day_number(name: str) -> int:
    folded = str(name).strip().lower()
    for number, day in enumerate(_DAY_NAMES):
        if folded in (day, day[:3]):
            return number
    raise ValueError(f"DateEncoder: {name!r} is not a day name (use e.g. 'mon' or 'monday')")


def _hours(moment: dt.datetime) -> float:
    return moment.hour + moment.minute / 60.0


class DateEncoder(Encoder):
    """Concatenated scalar encodings of the parts of a ``datetime.datetime`` (see the parameters).

    ``parts`` lists (name, first bit, end bit) of each part in output order, for views.
    """

    def __init__(self, parameters: DateEncoderParameters) -> None:
        p = self.parameters = parameters
        owner = "DateEncoder"
        parts: list[tuple[str, ScalarEncoder, Callable[[dt.datetime], float]]] = []
        if p.season is not None:
            width, radius = _width_and_radius("season", p.season, 91.5)
            parts.append(("season", _periodic(width, radius, 366.0), lambda t: t.timetuple().tm_yday - 1.0))
        if p.day_of_week is not None:
            width, radius = _width_and_radius("day_of_week", p.day_of_week, 1.0)
            parts.append(
                ("day_of_week", _periodic(width, radius, 7.0), lambda t: t.weekday() + t.hour / 24.0 - 0.5)
            )
        if p.weekend is not None:
            require_whole(owner, "weekend width", p.weekend, minimum=1)
            parts.append(("weekend", _flag(p.weekend), self._weekend))
        if p.custom_days is not None:
            require(
                isinstance(p.custom_days, tuple) and len(p.custom_days) == 2,
                f"{owner}: custom_days must be (width, day names) (got {p.custom_days!r})",
            )
            width, names = p.custom_days
            require_whole(owner, "custom_days width", width, minimum=1)
            days = frozenset(_day_number(name) for name in ((names,) if isinstance(names, str) else names))
            require(bool(days), f"{owner}: custom_days needs at least one day name")
            parts.append(("custom_days", _flag(width), lambda t: float(t.weekday() in days)))
        if p.holiday is not None:
            width, radius = _width_and_radius("holiday", p.holiday, 1.0)
            self._annual, self._dated = self._holiday_dates(p.holidays)
            parts.append(("holiday", _periodic(width, radius, 2.0), self._holiday))
        if p.time_of_day is not None:
            width, radius = _width_and_radius("time_of_day", p.time_of_day, 4.0)
            parts.append(("time_of_day", _periodic(width, radius, 24.0), _hours))
        require(bool(parts), f"{owner}: give at least one part (season, day_of_week, weekend, ...)")
        self._parts = parts
        offsets = np.cumsum([0] + [encoder.size for _, encoder, _ in parts])
        self._offsets = [np.uint32(o) for o in offsets[:-1]]
        self.parts = tuple((name, int(a), int(b)) for (name, _, _), a, b in zip(parts, offsets[:-1], offsets[1:]))
        self._size = int(offsets[-1])
        # by the parts' values, which decide the bits (none of them is ever -0.0, which as a
        # key would find the encoding of 0.0)
        self._cache = EncodingCache()

    @property
    def size(self) -> int:
        return self._size

    @staticmethod
    def _weekend(moment: dt.datetime) -> float:
        day = moment.weekday()
        return float(day >= 5 or (day == 4 and _hours(moment) > 18.0))

    @staticmethod
    def _holiday_dates(holidays: tuple[tuple[int, ...], ...]) -> tuple[frozenset, frozenset]:
        annual, dated = set(), set()
        for entry in holidays:
            try:
                if len(entry) == 2:
                    dt.date(2000, *entry)  # a leap year, so 29 February is allowed
                    annual.add(tuple(entry))
                    continue
                if len(entry) == 3:
                    dated.add(dt.date(*entry))
                    continue
            except (TypeError, ValueError) as error:
                raise ValueError(f"DateEncoder: holiday {entry!r} is not a valid date ({error})") from None
            raise ValueError(f"DateEncoder: holiday {entry!r} must be (month, day) or (year, month, day)")
        return frozenset(annual), frozenset(dated)

    def _is_holiday(self, day: dt.date) -> bool:
        return (day.month, day.day) in self._annual or day in self._dated

    def _holiday(self, moment: dt.datetime) -> float:
        day = moment.date()
        if self._is_holiday(day):
            return 1.0
        if day > dt.date.min and self._is_holiday(day - dt.timedelta(days=1)):
            return 1.0 + _hours(moment) / 24.0
        return 0.0

    def encode(self, value: dt.datetime) -> SDR:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"DateEncoder encodes datetime.datetime values (got {type(value).__name__})")
        values = tuple(part(value) for _, _, part in self._parts)
        known = self._cache.get(values)
        if known is not None:
            return known
        pieces = [encoder.encode(v).sparse + offset
                  for (_, encoder, _), offset, v in zip(self._parts, self._offsets, values)]
        return self._cache.put(values, SDR.from_sparse(self.shape, np.concatenate(pieces), validate=False))
