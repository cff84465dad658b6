"""Pure tests of the figures: nearest-rank percentiles, the 60 s share, rates, the risk mix and
the small-cell rule."""

from __future__ import annotations

import pytest

from stats.figures import mix, nearest_rank, percentile, rate, suppress


def test_percentiles_are_nearest_rank_observed_values():
    values = [120, 20, 45, 30, 70, 50]
    assert percentile(values, 50) == 45  # rank ceil(3.0) = 3
    assert percentile(values, 90) == 120  # rank ceil(5.4) = 6
    ten = list(range(1, 11))
    assert percentile(ten, 90) == 9  # rank exactly 9, not 10 by float error
    assert percentile([7], 50) == 7 and percentile([], 50) is None


def test_a_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_small_counts_are_suppressed_but_zero_stays():
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]


def test_a_rate_has_four_decimals_and_none_without_calls():
    assert rate(1, 3) == 0.3333 and rate(2, 3) == 0.6667 and rate(0, 5) == 0.0
    assert rate(0, 0) is None


def test_the_risk_mix_counts_each_level_per_instrument_sorted():
    pairs = [("lap", "low"), ("dash", "medium"), ("dash", "high"), ("dash", "high")]
    assert mix(pairs) == {"dash": {"high": 2, "medium": 1}, "lap": {"low": 1}}
    assert list(mix(pairs)) == ["dash", "lap"] and mix([]) == {}


def test_nearest_rank_reads_sorted_values_as_percentile_does():
    values = [600.0, 30.0, 45.0, 60.0, 61.0, 300.0, 20.0]
    for p in (50, 90, 100):
        assert nearest_rank(sorted(values), p) == percentile(values, p)
    assert nearest_rank([], 50) is None
