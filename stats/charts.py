"""Server-rendered SVG charts as plain shapes: numbers and (already translated) labels in,
rectangles, lines and texts out, which the template draws (and Jinja escapes).

Pure: no Flask, no database. A chart is drawn in a fixed coordinate box (`viewBox`) that the
browser scales to the column it sits in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40  # room for the value axis and the category labels
LABEL_ROOM = 40  # at least this many units between two category labels


@dataclass(frozen=True)
class Rect:
    """A bar (or a part of a stacked bar); `tip` is its tooltip and accessible name."""

    x: float
    y: float
    w: float
    h: float
    css: str
    tip: str


@dataclass(frozen=True)
class Line:
    """An axis, a grid line or a target line."""

    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Text:
    """A label at a point; anchor is SVG's text-anchor (start, middle, end)."""

    x: float
    y: float
    text: str
    css: str = ""
    anchor: str = "middle"


@dataclass(frozen=True)
class Series:
    """One coloured series: its CSS class, its name in the legend and one value per category
    (None: no value, nothing drawn)."""

    css: str
    name: str
    values: Sequence[float | None]


@dataclass
class Chart:
    """Everything the template needs to draw one chart, with its title and description."""

    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, name)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value (1 for 0 or less)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def ticks(top: float, count: int = 4) -> list[float]:
    """Evenly spaced values from 0 to top (both included)."""
    return [top * n / count for n in range(count + 1)]


def number(value: float) -> str:
    """A tick or bar value without a useless decimal (12.0 -> 12, 2.5 -> 2,5)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def _value_axis(chart: Chart, top: float, unit: str) -> None:
    plot_h = chart.height - TOP - BOTTOM
    for tick in ticks(top):
        y = TOP + plot_h - plot_h * tick / top
        chart.lines.append(Line(LEFT, y, chart.width - RIGHT, y, "grid"))
        chart.texts.append(Text(LEFT - 6, y + 4, f"{number(tick)}{unit}", "tick", "end"))
    base = TOP + plot_h
    chart.lines.append(Line(LEFT, base, chart.width - RIGHT, base, "axis"))


def _category_labels(chart: Chart, labels: Sequence[str], slot: float) -> None:
    every = max(1, math.ceil(LABEL_ROOM / slot))
    y = chart.height - BOTTOM + 16
    for index, label in enumerate(labels):
        if index % every == 0:
            chart.texts.append(Text(LEFT + slot * (index + 0.5), y, label, "cat"))


def stacked_bars(
    labels: Sequence[str], series: Sequence[Series], title: str, desc: str, unit: str = ""
) -> Chart:
    """Vertical bars, one per label, each stacked from the series in order (bottom first)."""
    chart = Chart(title, desc, legend=[(s.css, s.name) for s in series if len(series) > 1])
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    _value_axis(chart, top, unit)
    plot_h = chart.height - TOP - BOTTOM
    slot = (chart.width - LEFT - RIGHT) / max(len(labels), 1)
    width = max(slot * 0.7, 1)
    for index, label in enumerate(labels):
        base: float = TOP + plot_h
        for s in series:
            value = s.values[index] or 0
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            x = LEFT + slot * index + (slot - width) / 2
            tip = f"{label} · {s.name}: {number(value)}{unit}"
            chart.rects.append(Rect(x, base, width, height, s.css, tip))
    _category_labels(chart, labels, slot)
    return chart


def paired_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    desc: str,
    target: float | None = None,
    target_name: str = "",
    unit: str = "",
) -> Chart:
    """Bars side by side per label (one per series), with an optional dashed target line."""
    chart = Chart(title, desc, legend=[(s.css, s.name) for s in series])
    values = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max([*values, (target or 0) * 1.25], default=0))
    _value_axis(chart, top, unit)
    plot_h = chart.height - TOP - BOTTOM
    slot = (chart.width - LEFT - RIGHT) / max(len(labels), 1)
    width = max(slot * 0.8 / max(len(series), 1), 1)
    start = (slot - width * len(series)) / 2
    for index, label in enumerate(labels):
        for offset, s in enumerate(series):
            value = s.values[index]
            if value is None:
                continue
            height = plot_h * value / top
            x = LEFT + slot * index + start + width * offset
            tip = f"{label} · {s.name}: {number(value)}{unit}"
            chart.rects.append(Rect(x, TOP + plot_h - height, width, height, s.css, tip))
    if target is not None:
        y = TOP + plot_h - plot_h * target / top
        chart.lines.append(Line(LEFT, y, chart.width - RIGHT, y, "target"))
        chart.texts.append(Text(chart.width - RIGHT, y - 5, target_name, "target-label", "end"))
        chart.legend.append(("target", target_name))
    _category_labels(chart, labels, slot)
    return chart


def horizontal_bars(
    labels: Sequence[str], values: Sequence[int], title: str, desc: str, css: str = "bar"
) -> Chart:
    """One horizontal bar per label (largest first as given), its value at its end."""
    row, name_room = 26, 150
    chart = Chart(title, desc, height=TOP + row * max(len(labels), 1) + 8)
    top = nice_ceiling(max(values, default=0))
    plot_w = chart.width - name_room - RIGHT - 40  # room for the value after the longest bar
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row * index
        chart.texts.append(Text(name_room - 8, y + row / 2 + 4, label, "cat", "end"))
        length = plot_w * value / top
        if value > 0:
            chart.rects.append(Rect(name_room, y + 4, length, row - 8, css, f"{label}: {value}"))
        chart.texts.append(
            Text(name_room + length + 6, y + row / 2 + 4, str(value), "val", "start")
        )
    chart.lines.append(Line(name_room, TOP, name_room, chart.height - 8, "axis"))
    return chart
