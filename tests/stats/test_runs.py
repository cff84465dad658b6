"""Pure tests of figures.Runs: each night's sorted durations read as if merged, without merging
them, give exactly the percentiles, counts and shares of the merged values."""

from __future__ import annotations

import bisect
import random
from array import array
from collections import Counter

import pytest

from stats.figures import Runs, mix, nearest_rank

PS = (0.1, 1, 10, 25, 50, 66.7, 90, 99, 99.9, 100)


def runs_of(rng: random.Random, nights: int, spread: int, ties: bool) -> list[list[float]]:
    """Sorted runs of durations: nights of varied size (some empty), with or without ties."""
    runs = []
    for _ in range(nights):
        size = rng.choice((0, 1, 2, 7, rng.randint(0, spread)))
        draw = (lambda: float(rng.randint(0, 40))) if ties else (lambda: rng.expovariate(1 / 90))
        runs.append(sorted(draw() for _ in range(size)))
    return runs


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("nights", "spread"), [(2, 10), (7, 60), (31, 600), (365, 900)])
def test_percentiles_of_runs_are_those_of_the_merged_values(nights, spread, ties):
    rng = random.Random(f"{nights}-{spread}-{ties}")
    for _ in range(5):
        runs = runs_of(rng, nights, spread, ties)
        merged = sorted(v for run in runs for v in run)
        read = Runs(runs)
        assert read.percentiles(*PS) == [nearest_rank(merged, p) for p in PS]
        assert len(read) == len(merged) and bool(read) == bool(merged)
        for bound in (0.0, 20.0, 60.0, 1e9):
            assert read.at_most(bound) == bisect.bisect_right(merged, bound)


def test_a_night_read_from_its_kept_bytes_counts_as_a_list_does():
    rng = random.Random(7)
    runs = runs_of(rng, 30, 700, ties=False)
    merged = sorted(v for run in runs for v in run)
    kept = Runs(array("d", run) for run in runs)
    assert kept.percentiles(50, 90) == [nearest_rank(merged, 50), nearest_rank(merged, 90)]
    assert kept.at_most(60) == bisect.bisect_right(merged, 60)


def test_runs_where_most_values_are_equal_still_find_the_rank():
    runs = [[5.0] * 400 + [9.0] for _ in range(20)] + [[1.0, 5.0, 7.0]]
    merged = sorted(v for run in runs for v in run)
    assert Runs(runs).percentiles(*PS) == [nearest_rank(merged, p) for p in PS]


def test_no_values_no_percentile_and_a_bad_p_is_refused():
    assert Runs([[], []]).percentiles(50, 90) == [None, None] and len(Runs([])) == 0
    with pytest.raises(ValueError):
        Runs([[1.0]]).percentiles(0)


def test_the_risk_mix_reads_a_counter_as_counts_not_as_pairs():
    counted = Counter({("lap", "low"): 3, ("dash", "high"): 2, ("dash", "medium"): 0})
    assert mix(counted) == mix(counted.elements()) == {"dash": {"high": 2}, "lap": {"low": 3}}
