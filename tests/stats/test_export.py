"""The small-cell rule over a whole export (stats.export.protect): no count from 1 to 4 can be
worked out by subtracting published counts, in a row or between the groups and the total."""

from __future__ import annotations

import random

import pytest

from stats import export


def figures(priorities: dict[str, int], hours: dict[int, int], districts: dict[str, int], **more):
    """One row of statistics with its calls the sum of its priorities."""
    calls = sum(priorities.values())
    assert calls == sum(hours.values()) == sum(districts.values())
    return {
        "calls": calls,
        "by_priority": priorities,
        "by_hour": [hours.get(h, 0) for h in range(24)],
        "by_district": districts,
        "call_processing_s": {"p50": 30.0, "p90": 50.0, "met_60s": None, "assigned": calls},
        **more,
    }


def statistics(*groups: dict) -> dict:
    """Groups and their total, added up as the service does."""
    total = figures(
        {p: sum(g["by_priority"].get(p, 0) for g in groups) for p in ("P1", "P2", "P3", "P4")},
        {h: sum(g["by_hour"][h] for g in groups) for h in range(24)},
        {
            d: sum(g["by_district"].get(d, 0) for g in groups)
            for d in {d for g in groups for d in g["by_district"]}
        },
    )
    return {**total, "groups": list(groups)}


def night(p1: int, p2: int) -> dict:
    return figures({"P1": p1, "P2": p2}, {22: p1, 23: p2}, {"Berchem": p1 + p2} if p1 + p2 else {})


def test_a_small_count_cannot_be_worked_out_from_the_total():
    """Night A: 2 P1 calls; night B: 5 P2 calls. Hiding only A's 2 would leave 7 − 5 = 2."""
    protected = export.protect(statistics(night(2, 0), night(0, 5)))
    a, b = protected["groups"]
    assert (a["calls"], a["by_priority"]["P1"]) == ("x", "x")
    assert protected["calls"] == 7
    assert b["calls"] == "x"  # 5, hidden so that 7 − 5 does not give A's 2
    assert b["by_priority"]["P2"] == "x" and b["by_hour"][23] == "x"
    # the total's 7 = P1 + P2: its 5 P2 calls would give its 2 P1 calls away
    assert protected["by_priority"] == {"P1": "x", "P2": "x", "P3": 0, "P4": 0}


def test_exact_counts_stay_when_nothing_is_small():
    stats = statistics(night(6, 7), night(5, 9))
    assert export.protect(stats) == stats


def test_a_share_or_percentile_that_would_give_a_small_count_away_is_left_out():
    row = figures({"P1": 12}, {22: 12}, {"Deurne": 12})
    row["call_processing_s"] = {"p50": 40.0, "p90": 70.0, "met_60s": 11 / 12, "assigned": 12}
    row["handover_pickups"] = {"packets": 6, "on_time": 5, "share": 5 / 6}
    out = export.protect({**row, "groups": []})
    assert out["call_processing_s"] == {"p50": 40.0, "p90": 70.0, "met_60s": None, "assigned": 12}
    assert out["handover_pickups"] == {"packets": 6, "on_time": "x", "share": None}
    few = figures({"P1": 8}, {22: 8}, {"Deurne": 8})  # p90 of 8 values: the slowest call
    assert export.protect({**few, "groups": []})["call_processing_s"]["p90"] is None


@pytest.mark.parametrize("seed", range(40))
def test_no_sum_in_a_random_export_has_a_lone_hidden_count(seed):
    rng = random.Random(seed)
    groups = []
    for _ in range(rng.randint(1, 6)):
        per = {p: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15]) for p in ("P1", "P2", "P3", "P4")}
        calls = sum(per.values())
        hours = {22: 0, 23: 0, 0: 0}
        left = calls
        for h in (22, 23):
            hours[h] = rng.randint(0, left)
            left -= hours[h]
        hours[0] = left
        split = rng.randint(0, calls)
        districts = {"Berchem": split, "Deurne": calls - split}
        groups.append(figures(per, hours, districts))
    stats = statistics(*groups)
    out = export.protect(stats)
    rows_in, rows_out = [*stats["groups"], stats], [*out["groups"], out]

    def hidden(row, path):
        value = export._get(row, path)
        return isinstance(value, str)

    for r, (raw, safe) in enumerate(zip(rows_in, rows_out, strict=True)):
        for path in export.count_paths(stats):
            value = export._get(raw, path) or 0
            if 0 < value < 5:
                assert hidden(safe, path), (r, path)
        for part in (
            [("by_priority", p) for p in ("P1", "P2", "P3", "P4")],
            [("by_hour", h) for h in range(24)],
            [("by_district", d) for d in stats["by_district"]],
        ):
            cells = [("calls",), *part]
            assert sum(hidden(safe, c) for c in cells) != 1, (r, cells)
    for path in export.count_paths(stats):
        cells = [hidden(out, path), *(hidden(g, path) for g in out["groups"])]
        assert len(out["groups"]) == 0 or sum(cells) != 1, path


def test_every_hidden_count_wears_the_same_mark():
    """6 calls: 1 P1 and 5 P2. With "<5" and "x" apart, P1 = 1 and P2 = 5 would follow."""
    out = export.protect(statistics(night(1, 5)))
    assert out["by_priority"]["P1"] == out["by_priority"]["P2"] == "x"
    assert out["calls"] == 6


def within(night_row: dict, assigned: int, in_60s: int) -> dict:
    night_row["calls"] = night_row["call_processing_s"]["assigned"] = assigned
    night_row["call_processing_s"]["met_60s"] = round(in_60s / assigned, 4)
    return night_row


def test_the_share_within_60s_cannot_be_worked_out_from_the_other_nights():
    """A: 2 of 10 within 60 s (left out); B: 10 of 20. The total's 12 of 30 would give 2."""
    a, b = within(night(10, 0), 10, 2), within(night(0, 20), 20, 10)
    stats = statistics(a, b)
    stats["call_processing_s"]["met_60s"] = round(12 / 30, 4)
    out = export.protect(stats)
    shares = [g["call_processing_s"]["met_60s"] for g in (*out["groups"], out)]
    assert shares[0] is None and shares.count(None) >= 2  # never A's alone


@pytest.mark.parametrize(
    ("figure", "value", "hidden"),
    [
        ("sms", {"sent": 7, "delivered": 5, "failed": 2}, [("sms", "delivered")]),
        (
            "response_s",
            {
                "acknowledged": {"p50": 20.0, "p90": 40.0, "count": 8},
                "en_route": {"p50": 60.0, "p90": 90.0, "count": 6},
                "on_scene": {"p50": 600.0, "p90": 900.0, "count": 8},
            },
            [("response_s", "en_route", "count")],
        ),
    ],
)
def test_a_count_inside_another_is_hidden_when_their_difference_is_small(figure, value, hidden):
    """7 sent and 5 delivered say 2 were not; 8 acknowledged and 6 en route say 2 never went."""
    row = night(6, 7)
    row[figure] = value
    out = export.protect({**row, "groups": []})
    for path in hidden:
        assert export._get(out, path) == "x"
