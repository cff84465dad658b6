"""Benchmark unit ranking for the whole province of Antwerp: fast path vs brute force.

Run from the repository root:
``python bench/bench_ranking.py [--units N] [--runs R] [--margin S] [--json]``.
Each incident is ranked twice: class first (unlimited skill margin, P3/P4) and by effective
time with a margin of S seconds per match step (default 120, P1's); the JSON keeps the
unlimited figures under their old names and adds the margin's as ``margin_*``.
Brute force computes a geodesic to every unit (~0.07 ms each), so it runs on fewer incidents
(``--brute-runs``, default min(R, 20)) to keep the whole run around a minute.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.ranking import (
    RankedUnit,
    RankingParams,
    UnitCandidate,
    rank_units,
    rank_units_bruteforce,
)

LAT_RANGE = (51.0, 51.5)
LON_RANGE = (4.1, 5.3)
SKILLS = ("child_interviewing", "female_officer", "shelter_transport")
LANGUAGES = ("fr", "en", "ar", "tr", "pl")
SEED = 20240611

Incident = tuple[float, float, tuple[str, ...], str | None]
Ranker = Callable[..., list[RankedUnit]]


def make_units(n: int, rng: random.Random) -> list[UnitCandidate]:
    """Return n units spread over the province, ~5 % without a known position."""
    units = []
    for i in range(n):
        placed = rng.random() >= 0.05
        lat = rng.uniform(*LAT_RANGE) if placed else None
        lon = rng.uniform(*LON_RANGE) if placed else None
        skills = frozenset(s for s in SKILLS if rng.random() < 0.3)
        langs = frozenset(["nl", *(x for x in LANGUAGES if rng.random() < 0.2)])
        units.append(UnitCandidate(i, f"NW{i:05d}", lat, lon, skills, langs))
    return units


def make_incidents(n: int, rng: random.Random) -> list[Incident]:
    """Return n incidents with 0-2 required skills and a known language half of the time."""
    incidents = []
    for _ in range(n):
        required = tuple(rng.sample(SKILLS, rng.choice([0, 0, 1, 1, 2])))
        language = rng.choice(LANGUAGES) if rng.random() < 0.5 else None
        incidents.append((rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE), required, language))
    return incidents


def time_ranker(
    ranker: Ranker,
    units: Sequence[UnitCandidate],
    incidents: Sequence[Incident],
    params: RankingParams = RankingParams(),
) -> tuple[list[float], list[list[RankedUnit]]]:
    """Return per-incident wall times in ms and the rankings."""
    times, results = [], []
    for lat, lon, required, language in incidents:
        start = time.perf_counter()
        ranked = ranker(lat, lon, units, required, language, params)
        times.append((time.perf_counter() - start) * 1000.0)
        results.append(ranked)
    return times, results


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100.0 * len(ordered)) - 1)]


def summary(times: Sequence[float]) -> dict[str, float]:
    """Return p50/p99/max of a sample in ms."""
    return {
        "p50": percentile(times, 50),
        "p99": percentile(times, 99),
        "max": max(times),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000, help="units in the province")
    parser.add_argument("--runs", type=int, default=300, help="incidents for rank_units")
    parser.add_argument("--margin", type=float, default=120.0, help="skill margin in seconds")
    parser.add_argument("--brute-runs", type=int, default=None, help="incidents for brute force")
    parser.add_argument("--json", action="store_true", help="print a JSON dict on the last line")
    args = parser.parse_args(argv)
    if args.units < 1 or args.runs < 1:
        parser.error("--units and --runs must be positive")
    args.brute_runs = min(args.runs, 20) if args.brute_runs is None else args.brute_runs
    args.brute_runs = max(1, min(args.brute_runs, args.runs))
    return args


def compare(
    units: Sequence[UnitCandidate], incidents: Sequence[Incident], brute_runs: int, params
) -> tuple[dict[str, float], dict[str, float], int]:
    """Time both rankers under one policy; return their figures and the mismatch count."""
    fast_t, fast_r = time_ranker(rank_units, units, incidents, params)
    brute_t, brute_r = time_ranker(rank_units_bruteforce, units, incidents[:brute_runs], params)
    mismatches = sum(a != b for a, b in zip(fast_r, brute_r, strict=False))
    return summary(fast_t), summary(brute_t), mismatches


def print_figures(title: str, fast: dict[str, float], brute: dict[str, float], bad: int, n: int):
    """Print one policy's figures."""
    print(title)
    for name, figs in (("rank_units (prefilter)", fast), ("brute force geodesic+sort", brute)):
        print(
            f"  {name:27s} p50 {figs['p50']:8.2f} ms  p99 {figs['p99']:8.2f} ms  "
            f"max {figs['max']:8.2f} ms"
        )
    print(
        f"  speed-up brute/fast: p50 x{brute['p50'] / fast['p50']:.0f}  "
        f"p99 x{brute['p99'] / fast['p99']:.0f}"
    )
    print(f"  results equal to brute force: {n - bad}/{n}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the figures and return 1 if fast and brute force disagree."""
    args = parse_args(argv)
    rng = random.Random(SEED)
    units = make_units(args.units, rng)
    incidents = make_incidents(args.runs, rng)
    margin = RankingParams(skill_margin_s=args.margin)
    time_ranker(rank_units, units, incidents[:5])  # warm-up: imports, caches
    time_ranker(rank_units, units, incidents[:5], margin)
    fast, brute, bad = compare(units, incidents, args.brute_runs, RankingParams())
    m_fast, m_brute, m_bad = compare(units, incidents, args.brute_runs, margin)
    print(f"units={args.units} incidents: fast={args.runs} brute={args.brute_runs}")
    print_figures("class first (unlimited margin)", fast, brute, bad, args.brute_runs)
    print_figures(
        f"effective time (margin {args.margin:g} s)", m_fast, m_brute, m_bad, args.brute_runs
    )
    if args.json:
        figures = {"units": args.units, "runs": args.runs, "brute_runs": args.brute_runs}
        for prefix, f, b in (("", fast, brute), ("margin_", m_fast, m_brute)):
            figures |= {f"{prefix}fast_{k}_ms": round(v, 3) for k, v in f.items()}
            figures |= {f"{prefix}brute_{k}_ms": round(v, 3) for k, v in b.items()}
            figures |= {f"{prefix}ratio_p50": round(b["p50"] / f["p50"], 1)}
            figures |= {f"{prefix}ratio_p99": round(b["p99"] / f["p99"], 1)}
        figures |= {"margin_s": args.margin, "margin_mismatches": m_bad}
        print(json.dumps(figures | {"mismatches": bad + m_bad}))
    return 1 if bad or m_bad else 0


if __name__ == "__main__":
    sys.exit(main())
