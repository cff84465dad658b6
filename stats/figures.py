"""Pure figures over plain numbers: percentiles, the share within a target, small-cell rule.

Percentiles use the nearest-rank definition: the p-th percentile of n sorted values is the value
at rank ceil(p/100 * n) (1-based), always one of the observed values, never interpolated.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

NFPA_1225_TARGET_S = 60  # call processing: 90 % of calls within 60 s (NFPA 1225)
SMALL_CELL = 5  # counts below this are suppressed in anything exported outside the police


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p <= 100), or None without values."""
    return nearest_rank(sorted(values), p)


def nearest_rank(ordered: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile of values already sorted, or None without values."""
    rank = _rank(len(ordered), p)
    return ordered[rank - 1] if ordered else None


def _rank(size: int, p: float) -> int:
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    return max(int(-(-(p * size) // 100)), 1)  # ceil without float error (0.9 * 10 is not 9)


class Runs:
    """Values held as sorted runs (one per night), read as if merged into one sorted sequence:
    how many, how many at most a bound, and nearest-rank percentiles, without merging them."""

    def __init__(self, runs: Iterable[Sequence[float]]) -> None:
        self.runs = [run for run in runs if len(run)]
        self.size = sum(map(len, self.runs))

    def __len__(self) -> int:
        return self.size

    def at_most(self, bound: float) -> int:
        """How many values are at most `bound`."""
        return sum(bisect.bisect_right(run, bound) for run in self.runs)

    def percentiles(self, *ps: float) -> list[float | None]:
        """The nearest-rank p-th percentile for each p, as `nearest_rank` of the merged values."""
        ranks = [_rank(self.size, p) for p in ps]
        if not self.size:
            return [None for _ in ranks]
        if len(self.runs) == 1:
            return [self.runs[0][rank - 1] for rank in ranks]
        stride = math.isqrt(self.size // (2 * len(self.runs)))  # sample ≈ window: least work
        if stride < 2:
            merged = sorted(chain.from_iterable(self.runs))
            return [merged[rank - 1] for rank in ranks]
        sample = sorted(chain.from_iterable(run[stride - 1 :: stride] for run in self.runs))
        return [self._select(rank, stride, sample) for rank in ranks]

    def _select(self, rank: int, stride: int, sample: list[float]) -> float:
        """The value at `rank` (1-based) of the merged runs. `sample` holds each run's every
        stride-th value, sorted: if c samples are at most x, then from stride*c to stride*c +
        m*(stride - 1) values are at most x (m runs). So `rank` or more values are at most
        `upper`, fewer at most `lower`: the value lies in (lower, upper], and only the values
        there (about 2*m*stride) are sorted."""
        high = -(-rank // stride) - 1  # stride * (high + 1) >= rank values are at most sample[high]
        upper = sample[high] if high < len(sample) else None
        allowed = (rank - 1 - len(self.runs) * (stride - 1)) // stride
        lower = _at_most_samples(sample, allowed)  # fewer than `rank` values are at most it
        below, window = 0, []
        for run in self.runs:
            start = 0 if lower is None else bisect.bisect_right(run, lower)
            end = len(run) if upper is None else bisect.bisect_right(run, upper, start)
            below += start
            window.append(run[start:end])
        return sorted(chain.from_iterable(window))[rank - below - 1]


def _at_most_samples(sample: list[float], allowed: int) -> float | None:
    """The greatest value of the sorted sample that `allowed` or fewer samples are at most (ties:
    the value below them), or None if there is none."""
    if allowed <= 0 or not sample:
        return None
    if allowed >= len(sample):
        return sample[-1]
    cut = bisect.bisect_left(sample, sample[allowed])  # samples below sample[allowed]: <= allowed
    return sample[cut - 1] if cut else None


def suppress(count: int, threshold: int = SMALL_CELL) -> int | None:
    """A count as exported outside the police: 1..threshold-1 become None (0 stays 0)."""
    return None if 0 < count < threshold else count


def seconds(value: float | None) -> float | None:
    """A duration in seconds as shown: to the millisecond."""
    return None if value is None else round(value, 3)


def share(value: float | None) -> float | None:
    """A share (0..1) as shown: four decimals."""
    return None if value is None else round(value, 4)


def rate(count: int, calls: int) -> float | None:
    """count/calls to four decimals, or None without calls."""
    return share(count / calls) if calls else None


def mix(
    pairs: Iterable[tuple[str, str]] | Mapping[tuple[str, str], int],
) -> dict[str, dict[str, int]]:
    """How many times each (instrument, level) pair occurs, nested and sorted by name; given the
    pairs, or how many times each occurs (a Counter: read as counts, not expanded)."""
    counted = pairs if isinstance(pairs, Mapping) else Counter(pairs)
    nested: dict[str, dict[str, int]] = {}
    for (instrument, level), count in sorted(counted.items()):
        if count > 0:  # as Counter.elements(): a pair counted 0 times does not occur
            nested.setdefault(instrument, {})[level] = count
    return nested
