"""Pure tests of the figures: nearest-rank percentiles, the 60 s share, rates, the risk mix and
the small-cell rule."""

from __future__ import annotations

import pytest

from stats.figures import durations, mix, percentile, rate, share_within, suppress


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


def test_the_share_within_60_s_includes_60():
    assert share_within([59, 60, 61, 200]) == 0.5
    assert share_within([]) is None


def test_small_counts_are_suppressed_but_zero_stays():
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]


def test_durations_are_nearest_rank_to_the_millisecond_with_their_count():
    assert durations([600.0, 300.0]) == (300.0, 600.0, 2)
    assert durations([0.12345, 10, 20]) == (10, 20, 3)
    assert durations([0.12345]) == (0.123, 0.123, 1)
    assert durations([]) == (None, None, 0)


def test_a_rate_has_four_decimals_and_none_without_calls():
    assert rate(1, 3) == 0.3333 and rate(2, 3) == 0.6667 and rate(0, 5) == 0.0
    assert rate(0, 0) is None


def test_the_risk_mix_counts_each_level_per_instrument_sorted():
    pairs = [("lap", "low"), ("dash", "medium"), ("dash", "high"), ("dash", "high")]
    assert mix(pairs) == {"dash": {"high": 2, "medium": 1}, "lap": {"low": 1}}
    assert list(mix(pairs)) == ["dash", "lap"] and mix([]) == {}
