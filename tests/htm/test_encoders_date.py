"""DateEncoder (HTM_SPEC.md "Encoders": Date) on hand-computed encodings."""

import datetime as dt

import pytest

from workbench.engine.htm.encoders import DateEncoder, DateEncoderParameters

T = dt.datetime


def date_encoder(**kwargs) -> DateEncoder:
    return DateEncoder(DateEncoderParameters(**kwargs))


def bits(encoder, moment) -> list[int]:
    return encoder.encode(moment).sparse.tolist()


def test_time_of_day():
    encoder = date_encoder(time_of_day=21)  # radius 4 -> 126 bits, resolution 24 / 126
    assert encoder.size == 126
    # 06:30 -> 6.5 h -> 6.5 / (24 / 126) = 34.125 -> 34
    assert bits(encoder, T(2020, 1, 1, 6, 30)) == list(range(34, 55))
    assert bits(encoder, T(2020, 1, 1, 23, 59)) == bits(encoder, T(2020, 1, 2, 0, 0))  # 125.9 -> 126 = 0
    assert date_encoder(time_of_day=(21, 9.49)).size == 54  # 24 / (9.49 / 21) = 53.1 -> 54


def test_day_of_week_value_is_weekday_plus_hour_over_24_minus_half():
    encoder = date_encoder(day_of_week=3)  # radius 1 -> resolution 1/3, 21 bits
    assert encoder.size == 21
    assert bits(encoder, T(2024, 1, 3, 12)) == [6, 7, 8]  # Wednesday noon: 2 + 0.5 - 0.5 = 2
    assert bits(encoder, T(2024, 1, 1, 0)) == [0, 19, 20]  # Monday 00:00: -0.5 -> -1.5 -> -2 = 19
    assert bits(encoder, T(2024, 1, 7, 23)) == bits(encoder, T(2024, 1, 8, 0))  # 6.458 -> 19.4 -> 19


def test_weekend_is_saturday_sunday_and_friday_evening():
    encoder = date_encoder(weekend=2)  # category 0 / 1: 4 bits
    assert encoder.size == 4
    off, on = [0, 1], [2, 3]
    assert bits(encoder, T(2024, 1, 6, 9)) == on  # Saturday
    assert bits(encoder, T(2024, 1, 7, 23, 59)) == on  # Sunday
    assert bits(encoder, T(2024, 1, 5, 18, 0)) == off  # Friday 18:00 is not after 18:00
    assert bits(encoder, T(2024, 1, 5, 18, 1)) == on
    assert bits(encoder, T(2024, 1, 4, 23)) == off  # Thursday
    assert bits(encoder, T(2024, 1, 8, 0)) == off  # Monday


def test_custom_days():
    encoder = date_encoder(custom_days=(2, ("mon", "Wednesday")))
    assert bits(encoder, T(2024, 1, 1)) == [2, 3]
    assert bits(encoder, T(2024, 1, 3, 5)) == [2, 3]
    assert bits(encoder, T(2024, 1, 2)) == [0, 1]
    assert date_encoder(custom_days=(2, "sun")).encode(T(2024, 1, 7)).sparse.tolist() == [2, 3]


def test_holiday_is_one_on_the_day_then_ramps_back_to_zero():
    encoder = date_encoder(holiday=2)  # periodic 0..2, radius 1 -> resolution 0.5, 4 bits
    assert encoder.size == 4
    assert bits(encoder, T(2023, 12, 24, 23)) == [0, 1]
    assert bits(encoder, T(2023, 12, 25, 0)) == [2, 3]
    assert bits(encoder, T(2023, 12, 25, 23, 59)) == [2, 3]
    assert bits(encoder, T(2023, 12, 26, 12)) == [0, 3]  # 1.5 -> 3: wraps
    assert bits(encoder, T(2023, 12, 27, 0)) == [0, 1]
    dated = date_encoder(holiday=2, holidays=((2021, 7, 4), (1, 1)))
    assert bits(dated, T(2021, 7, 4)) == [2, 3]
    assert bits(dated, T(2022, 7, 4)) == [0, 1]
    assert bits(dated, T(2022, 1, 1, 8)) == [2, 3]
    assert bits(dated, T(2023, 12, 25)) == [0, 1]
    assert bits(dated, dt.datetime.min) == [2, 3]  # 1 January of year 1: no day before it to look at


def test_season_is_day_of_year_on_a_366_day_circle():
    encoder = date_encoder(season=3)  # radius 91.5 -> resolution 30.5, 12 bits
    assert encoder.size == 12
    assert bits(encoder, T(2021, 1, 1)) == [0, 1, 2]
    assert bits(encoder, T(2021, 2, 1)) == [1, 2, 3]  # day 31 -> 1.02 -> 1
    assert bits(encoder, T(2020, 12, 31)) == [0, 1, 2]  # day 365 -> 11.97 -> 12 = 0


def test_parts_are_concatenated_in_spec_order():
    encoder = date_encoder(
        time_of_day=21, holiday=2, custom_days=(2, ("fri",)), weekend=2, day_of_week=3, season=3
    )
    assert encoder.parts == (
        ("season", 0, 12),
        ("day_of_week", 12, 33),
        ("weekend", 33, 37),
        ("custom_days", 37, 41),
        ("holiday", 41, 45),
        ("time_of_day", 45, 171),
    )
    assert encoder.size == 171
    moment = T(2023, 12, 26, 12)  # Tuesday after Christmas, noon
    single = {
        "season": date_encoder(season=3),
        "day_of_week": date_encoder(day_of_week=3),
        "weekend": date_encoder(weekend=2),
        "custom_days": date_encoder(custom_days=(2, ("fri",))),
        "holiday": date_encoder(holiday=2),
        "time_of_day": date_encoder(time_of_day=21),
    }
    expected = [b + start for name, start, _ in encoder.parts for b in bits(single[name], moment)]
    assert bits(encoder, moment) == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give at least one part"),
        (dict(season=0), "season width must be a whole number >= 1 \\(got 0\\)"),
        (dict(time_of_day=(21, -1.0)), "time_of_day radius must be a finite number > 0 \\(got -1.0\\)"),
        (dict(weekend=(2, 1.0)), "weekend width must be a whole number"),
        (dict(custom_days=(2, ("mon", "funday"))), "'funday' is not a day name"),
        (dict(custom_days=2), "custom_days must be \\(width, day names\\)"),
        (dict(custom_days=(2, ())), "at least one day name"),
        (dict(holiday=2, holidays=((2, 30),)), "holiday \\(2, 30\\) is not a valid date"),
        (dict(holiday=2, holidays=((12,),)), "must be \\(month, day\\) or \\(year, month, day\\)"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        date_encoder(**kwargs)


def test_only_datetimes_are_encoded():
    encoder = date_encoder(weekend=2)
    with pytest.raises(TypeError, match="datetime.datetime values \\(got date\\)"):
        encoder.encode(dt.date(2024, 1, 1))
    with pytest.raises(TypeError, match="got float"):
        encoder.encode(1.5)


def test_moments_seen_again_encode_as_a_fresh_encoder_does():
    parts = dict(season=5, day_of_week=3, weekend=4, holiday=2, time_of_day=(6, 2.0))
    encoder = date_encoder(**parts)
    start = T(2020, 12, 20, 0, 0)
    moments = [start + dt.timedelta(hours=7 * i) for i in range(60)] * 2  # each one twice
    for moment in moments:
        assert encoder.encode(moment) == date_encoder(**parts).encode(moment), moment
