"""The pure SVG chart builders: bar sizes proportional to the numbers, scales a person can read."""

from __future__ import annotations

import pytest

from stats import charts
from stats.charts import BOTTOM, HEIGHT, TOP, Series

PLOT_H = HEIGHT - TOP - BOTTOM


@pytest.mark.parametrize(
    "value,expected",
    [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (23, 25), (60, 100), (75, 100), (120, 200)],
)
def test_the_value_axis_ends_on_a_round_number(value, expected):
    assert charts.nice_ceiling(value) == expected


def test_stacked_bars_stack_the_series_bottom_up_in_proportion():
    chart = charts.stacked_bars(
        ["05/12", "06/12"],
        [Series("s-P1", "P1", [2, 0]), Series("s-P2", "P2", [3, 10])],
        "Oproepen",
        "uitleg",
    )
    first_p1, first_p2, second_p2 = chart.rects  # a zero draws nothing
    assert (first_p1.css, first_p2.css, second_p2.css) == ("s-P1", "s-P2", "s-P2")
    # the scale runs to 10: 2 calls are a fifth of the plot, 3 sit right on top of them
    assert first_p1.h == pytest.approx(PLOT_H * 2 / 10)
    assert first_p1.y + first_p1.h == pytest.approx(TOP + PLOT_H)
    assert first_p2.y + first_p2.h == pytest.approx(first_p1.y)
    assert second_p2.h == pytest.approx(PLOT_H)
    assert first_p2.tip == "05/12 · P2: 3"
    assert [t.text for t in chart.texts if t.css == "cat"] == ["05/12", "06/12"]
    assert [t.text for t in chart.texts if t.css == "tick"] == ["0", "2,5", "5", "7,5", "10"]
    assert chart.legend == [("s-P1", "P1"), ("s-P2", "P2")]


def test_many_periods_get_thinned_labels_but_every_bar():
    labels = [f"{n:02d}/01" for n in range(1, 32)]
    chart = charts.stacked_bars(labels, [Series("bar", "Oproepen", [1] * 31)], "t", "d")
    assert len(chart.rects) == 31
    shown = [t.text for t in chart.texts if t.css == "cat"]
    assert shown[0] == "01/01" and 5 <= len(shown) < 31
    xs = [t.x for t in chart.texts if t.css == "cat"]
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= charts.LABEL_ROOM


def test_paired_bars_draw_the_target_line_and_skip_missing_values():
    chart = charts.paired_bars(
        ["a", "b"],
        [Series("p50", "mediaan", [45.0, None]), Series("p90", "p90", [120.0, None])],
        "Oproepverwerking",
        "uitleg",
        target=60,
        target_name="norm 60 s",
        unit=" s",
    )
    assert [r.css for r in chart.rects] == ["p50", "p90"]  # nothing for the empty period
    (target,) = [line for line in chart.lines if line.css == "target"]
    top = charts.nice_ceiling(120)  # 200
    assert target.y1 == pytest.approx(TOP + PLOT_H - PLOT_H * 60 / top)
    p90 = chart.rects[1]
    assert p90.y < target.y1 and p90.tip == "a · p90: 120 s"  # over the target: above its line
    assert ("target", "norm 60 s") in chart.legend


def test_the_target_line_fits_when_every_value_is_far_below_it():
    chart = charts.paired_bars(["a"], [Series("p50", "m", [5.0])], "t", "d", 60, "norm")
    (target,) = [line for line in chart.lines if line.css == "target"]
    assert TOP <= target.y1 < TOP + PLOT_H


def test_horizontal_bars_are_as_long_as_their_counts():
    chart = charts.horizontal_bars(["Borgerhout", "Deurne", "onbekend"], [9, 3, 0], "t", "d")
    long, short = chart.rects  # no bar for zero, but its label and value
    assert short.w / long.w == pytest.approx(3 / 9)
    assert long.tip == "Borgerhout: 9"
    values = [t.text for t in chart.texts if t.css == "val"]
    assert values == ["9", "3", "0"]
    assert chart.height > 3 * 20  # one row per district


def test_texts_are_kept_as_given_for_the_template_to_escape():
    chart = charts.horizontal_bars(['<script>"x"</script>'], [5], "t<", "d&")
    assert chart.texts[0].text == '<script>"x"</script>' and chart.title == "t<"
