"""Pure figures over plain numbers: percentiles, the share within a target, small-cell rule.

Percentiles use the nearest-rank definition: the p-th percentile of n sorted values is the value
at rank ceil(p/100 * n) (1-based), always one of the observed values, never interpolated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

NFPA_1225_TARGET_S = 60  # call processing: 90 % of calls within 60 s (NFPA 1225)
SMALL_CELL = 5  # counts below this are suppressed in anything exported outside the police


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p <= 100), or None without values."""
    return nearest_rank(sorted(values), p)


def nearest_rank(ordered: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile of values already sorted, or None without values."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    if not ordered:
        return None
    rank = -(-(p * len(ordered)) // 100)  # ceil without float error (0.9 * 10 is not 9)
    return ordered[max(int(rank), 1) - 1]


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


def mix(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """How many times each (instrument, level) pair occurs, nested and sorted by name."""
    nested: dict[str, dict[str, int]] = {}
    for (instrument, level), count in sorted(Counter(pairs).items()):
        nested.setdefault(instrument, {})[level] = count
    return nested
