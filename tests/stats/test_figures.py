"""Pure tests of the figures: nearest-rank percentiles, the 60 s share, small-cell rule."""

from __future__ import annotations

import pytest

from stats.figures import percentile, share_within, suppress


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
