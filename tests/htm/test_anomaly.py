"""Raw anomaly and both anomaly likelihoods, against values computed by hand from the formulas
of HTM_SPEC.md ("Classifiers and anomaly", "Anomaly detection as NuPIC ran it on NAB")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.engine.htm.anomaly import (
    AnomalyLikelihood,
    NupicAnomalyLikelihood,
    SpatialAnomaly,
    _MovingAverage,
    log_likelihood,
    nab_settings,
    raw_anomaly,
)

RED, YELLOW = 1 - 0.99999, 1 - 0.999


class Columns:
    def __init__(self, *indices):
        self.sparse = np.array(indices, dtype=np.uint32)


def q(x: float, mean: float, variance: float) -> float:
    """Upper tail of N(mean, variance) beyond x, mirrored below the mean."""
    if x < mean:
        x = 2 * mean - x
    return 0.5 * math.erfc((x - mean) / math.sqrt(variance) / math.sqrt(2))


# -- raw anomaly and the log form ---------------------------------------------------------------
def test_raw_anomaly_is_the_unpredicted_fraction_of_active_columns():
    assert raw_anomaly(np.array([1, 2, 3, 4]), np.array([2, 4, 9])) == 0.5
    assert raw_anomaly(Columns(1, 2, 3), Columns(2)) == float(np.float32(2) / np.float32(3))
    assert raw_anomaly(np.array([], dtype=int), np.array([1])) == 0.0
    assert raw_anomaly(np.array([5]), np.array([], dtype=int)) == 1.0


def test_log_form():
    # the spec's constant -23.02585084720009 is log(1e-10) to 8 digits
    assert log_likelihood(0.5) == math.log(0.5000000001) / -23.02585084720009
    assert log_likelihood(0.5) == pytest.approx(math.log10(0.5) / -10, rel=1e-8)
    assert log_likelihood(0.0) == pytest.approx(0.0, abs=1e-11)
    assert log_likelihood(0.99999) == pytest.approx(math.log10(1.00001e-5) / -10, rel=1e-8)
    assert log_likelihood(1.0) == pytest.approx(1.0, abs=1e-8)


# -- htm.core's moving Gaussian -----------------------------------------------------------------
def test_moving_gaussian_likelihood_by_hand():
    al = AnomalyLikelihood(period=2)
    a = 1 - math.exp(-1 / 2)
    assert al.alpha == a
    # record 1: 0.0 against N(1, 0.0003): 57.7 sigma below, likelihood 0
    assert al.compute(0.0) == 0.0
    mean1, var1 = 1 - a, (1 - a) * (0.0003 + a)
    assert (al.mean, al.variance, al.likelihood) == (mean1, var1, 0.0)
    # record 2: 1.0; reported 0 still (the first `period` records)
    like2 = 1 - 0.5 * math.erfc((1.0 - mean1) / math.sqrt(var1) / math.sqrt(2))
    assert al.compute(1.0) == 0.0
    assert al.likelihood == like2
    mean2 = mean1 + a * (1.0 - mean1)
    var2 = (1 - a) * (var1 + (1.0 - mean1) * a * (1.0 - mean1))
    assert (al.mean, al.variance) == (mean2, var2)
    # record 3: 0.2, combined with record 2's likelihood, reported in log form
    like3 = 1 - 0.5 * math.erfc((0.2 - mean2) / math.sqrt(var2) / math.sqrt(2))
    combined = 1 - (1 - like3) * (1 - like2)
    assert al.compute(0.2) == math.log(1.0000000001 - combined) / -23.02585084720009
    assert al.likelihood == combined


def test_moving_gaussian_floors():
    al = AnomalyLikelihood(period=1)
    for _ in range(10):
        al.compute(0.0)
    assert al.mean == 0.03 and al.variance > 0.0003
    for _ in range(60):
        al.compute(0.03)  # no deviation: the variance decays to its floor
    assert al.mean == 0.03 and al.variance == 0.0003
    # 1.0 against N(0.03, 0.0003) is 56 sigma out: the log form is (nearly) 1
    assert al.compute(1.0) == pytest.approx(1.0, abs=1e-8)


def test_moving_gaussian_state_round_trip():
    gen = np.random.default_rng(0)
    al = AnomalyLikelihood(period=50)
    for raw in gen.random(120):
        al.compute(raw)
    other = AnomalyLikelihood(period=50)
    other.load_state_dict(al.state_dict())
    more = gen.random(50)
    assert [al.compute(r) for r in more] == [other.compute(r) for r in more]
    with pytest.raises(ValueError, match="period 50; this one has 3"):
        AnomalyLikelihood(period=3).load_state_dict(al.state_dict())
    with pytest.raises(ValueError, match=r"period must be >= 1 \(got 0\)"):
        AnomalyLikelihood(period=0)


# -- NuPIC's windowed likelihood ----------------------------------------------------------------
def small_nupic():
    # probation 2 + 3 = 5 records, keep 7, re-estimate every 4, average over 3
    return NupicAnomalyLikelihood(learning_period=2, estimation_samples=3, historic_window=7,
                                  reestimation_period=4, averaging_window=3)


def test_windowed_likelihood_by_hand():
    nl = small_nupic()
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    raws = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    out = [nl.compute(v, r) for v, r in zip(values[:5], raws[:5])]
    assert out == [0.5] * 5  # probation

    # record 5: first estimate over the 5 kept records, skipping learning_period = 2 averages:
    # averages 0, 0, 0 -> mean 0 floored to 0.03, variance 0 floored to 0.0003
    mean, var = 0.03, 0.0003
    tail5 = q((0 + 0 + 1) / 3, mean, var)
    assert tail5 <= RED and q(0.0, mean, var) > RED   # previous (record 4's average) was not red
    assert nl.compute(values[5], raws[5]) == 1 - tail5
    # record 6: red again right after red: filtered to 1e-3
    assert nl.compute(values[6], raws[6]) == 1 - YELLOW
    # record 7: average (1 + 1 + 0) / 3, still red after red
    assert nl.compute(values[7], raws[7]) == 1 - YELLOW

    # record 8: 8 % 4 == 0, re-estimate. One record fell out of the 7-record window, so only
    # 2 - 1 = 1 average is skipped. Kept raws (records 1-7): 0 0 0 0 1 1 0.
    averages = [0.0, 0.0, 0.0, 0.0, 1 / 3, 2 / 3, 2 / 3]
    fitted = np.array(averages[1:])
    mean, var = max(float(np.mean(fitted)), 0.03), max(float(np.var(fitted)), 0.0003)
    previous = q(averages[-1], mean, var)
    tail8 = q((1 + 0 + 0) / 3, mean, var)
    assert previous > RED
    assert nl.compute(values[8], raws[8]) == 1 - tail8


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 500])
def test_moving_averages_of_a_whole_history_equal_adding_one_at_a_time(n):
    values = np.random.default_rng(n).random(n) ** 3 * 10
    one_by_one = _MovingAverage(10)
    expected = [one_by_one.add(float(v)) for v in values]
    average, averages = _MovingAverage.over(values, 10)
    assert averages.tolist() == expected  # bit for bit: the same float64 steps in the same order
    assert list(average.values) == list(one_by_one.values) and average.total == one_by_one.total
    assert average.add(0.25) == one_by_one.add(0.25)


def test_windowed_likelihood_of_a_flat_series_is_broad():
    nl = small_nupic()
    for _ in range(5):
        nl.compute(3.0, 0.0)
    # values with no variance: N(0.5, 1e6), so even a raw score of 1 is unremarkable
    assert nl.compute(3.0, 1.0) == 1 - q(1 / 3, 0.5, 1e6)


def test_windowed_likelihood_state_round_trip():
    gen = np.random.default_rng(2)
    nl = NupicAnomalyLikelihood(learning_period=20, estimation_samples=30, historic_window=90)
    for v, r in zip(gen.random(173), gen.random(173) ** 4):
        nl.compute(v, r)
    other = NupicAnomalyLikelihood(learning_period=20, estimation_samples=30, historic_window=90)
    other.load_state_dict(nl.state_dict())
    more = list(zip(gen.random(150), gen.random(150) ** 4))
    assert [nl.compute(v, r) for v, r in more] == [other.compute(v, r) for v, r in more]
    with pytest.raises(ValueError, match="this one has"):
        small_nupic().load_state_dict(nl.state_dict())


def test_nab_settings():
    assert nab_settings(4032) == (604, 302, 302)            # art_daily_jumpsup
    assert nab_settings(10320) == (750, 375, 375)           # nyc_taxi: capped at 750
    assert nab_settings(10) == (1, 0, 1)
    nl = NupicAnomalyLikelihood.for_series(4032)
    assert (nl.probationary_period, nl.learning_period, nl.historic_window,
            nl.reestimation_period) == (604, 302, 8640, 100)
    with pytest.raises(ValueError, match=r"rows must be >= 1 \(got 0\)"):
        nab_settings(0)


def test_spatial_anomaly_beyond_five_percent_of_the_seen_range():
    sa = SpatialAnomaly()
    assert [sa.check(v) for v in (10.0, 20.0, 20.5, 9.49)] == [False, False, False, False]
    # range now 9.49 .. 20.5 (11.01): margin 0.5505
    assert sa.check(21.06) is True
    assert sa.check(8.0) is True
    assert sa.check(15.0) is False
