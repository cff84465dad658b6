"""The statistics as exported for use outside the police: the small-cell rule and the CSV.

Every count from 1 to 4 is shown as "<5" (stats.figures.suppress), and a percentile or share
computed from fewer than 5 values, or whose numerator is such a small count, is left out. The
figures are plain dicts (`StatisticsRead.model_dump()`); figures another release adds appear as
columns once the totals carry them. Aggregates only: no reference, name or narrative exists in
the data, and none is added here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stats.figures import SMALL_CELL, suppress

SUPPRESSED = "<5"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PRIORITIES = ("P1", "P2", "P3", "P4")
STAGES = ("acknowledged", "en_route", "on_scene")

Getter = Callable[[Mapping[str, Any]], Any]


def dig(figures: Mapping[str, Any], *path: str) -> Any:
    """A nested value of the figures, or None where any step is missing."""
    value: Any = figures
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def small(count: Any) -> bool:
    """Whether a count falls under the small-cell rule (1..4)."""
    return isinstance(count, int) and suppress(count) is None


def count_out(count: Any) -> str:
    """A count as exported: "<5" for 1..4, empty when unknown."""
    if count is None:
        return ""
    return SUPPRESSED if small(count) else str(count)


def measure_allowed(basis: Any, part: Any = None) -> bool:
    """Whether a percentile or share may leave the police: enough values, no small numerator."""
    return isinstance(basis, int) and basis >= SMALL_CELL and not small(part)


@dataclass(frozen=True)
class Column:
    """One CSV column: a stable English name, what kind of figure, how to read it."""

    name: str
    kind: str  # "text", "count", "seconds" or "share"
    get: Getter
    basis: Getter | None = None  # how many values a percentile or share is computed from
    part: Getter | None = None  # a share's numerator (a count)

    def cell(self, figures: Mapping[str, Any]) -> str:
        """The column's value for one row, under the small-cell rule."""
        value = self.get(figures)
        if self.kind == "count":
            return count_out(value)
        if self.kind in ("seconds", "share"):
            basis = self.basis(figures) if self.basis else None
            part = self.part(figures) if self.part else None
            if value is None or not measure_allowed(basis, part):
                return ""
            return f"{value:.4f}" if self.kind == "share" else f"{value:g}"
        return "" if value is None else str(value)


def _path(*path: str) -> Getter:
    return lambda f: dig(f, *path)


def _met_count(figures: Mapping[str, Any]) -> int | None:
    share, assigned = (
        dig(figures, "call_processing_s", "met_60s"),
        dig(figures, "call_processing_s", "assigned"),
    )
    return None if share is None or assigned is None else round(share * assigned)


def slug(text: str) -> str:
    """A stable machine name for a stored value (a district, a risk level)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def base_columns(totals: Mapping[str, Any]) -> list[Column]:
    """The columns every release has: calls, priorities, call processing, hours, districts."""
    processing = _path("call_processing_s", "assigned")
    return [
        Column("group", "text", _path("label")),
        Column("start_utc", "text", _path("start")),
        Column("end_utc", "text", _path("end")),
        Column("calls", "count", _path("calls")),
        *[Column(f"calls_{p.lower()}", "count", _count_of("by_priority", p)) for p in PRIORITIES],
        Column("call_processing_assigned", "count", processing),
        Column("call_processing_p50_s", "seconds", _path("call_processing_s", "p50"), processing),
        Column("call_processing_p90_s", "seconds", _path("call_processing_s", "p90"), processing),
        Column(
            "call_processing_within_60s_share",
            "share",
            _path("call_processing_s", "met_60s"),
            processing,
            _met_count,
        ),
        *[Column(f"calls_hour_{h:02d}", "count", _hour(h)) for h in range(24)],
        *[
            Column(f"calls_district_{slug(d)}", "count", _count_of("by_district", d))
            for d in sorted(totals.get("by_district") or {})
        ],
    ]


def _count_of(key: str, name: str) -> Getter:
    return lambda f: (f.get(key) or {}).get(name, 0)


def _hour(hour: int) -> Getter:
    return lambda f: (f.get("by_hour") or [0] * 24)[hour]


def extra_columns(totals: Mapping[str, Any]) -> list[Column]:
    """Columns for the figures present in the totals: response times, SMS, risk and the rest."""
    columns: list[Column] = []
    if isinstance(totals.get("response_s"), Mapping):
        for stage in STAGES:
            n = _path("response_s", stage, "count")
            columns += [
                Column(f"response_{stage}_count", "count", n),
                Column(f"response_{stage}_p50_s", "seconds", _path("response_s", stage, "p50"), n),
                Column(f"response_{stage}_p90_s", "seconds", _path("response_s", stage, "p90"), n),
            ]
    if "escalations" in totals:
        columns.append(Column("escalations", "count", _path("escalations")))
    if isinstance(totals.get("sms"), Mapping):
        columns += [Column(f"sms_{k}", "count", _path("sms", k)) for k in _SMS]
    for instrument, levels in sorted((totals.get("risk") or {}).items()):
        for level in sorted(levels or {}):
            name = f"risk_{slug(instrument)}_{slug(level)}"
            columns.append(Column(name, "count", _risk_of(instrument, level)))
    for key in ("repeat", "order_in_force"):
        if isinstance(totals.get(key), Mapping):
            count = _path(key, "count")
            columns += [
                Column(f"{key}_count", "count", count),
                Column(f"{key}_share", "share", _path(key, "share"), _path("calls"), count),
            ]
    if isinstance(totals.get("referrals"), Mapping):
        columns += [Column(f"referrals_{k}", "count", _path("referrals", k)) for k in _REFERRALS]
    if isinstance(totals.get("handover_pickups"), Mapping):
        packets, on_time = (
            _path("handover_pickups", "packets"),
            _path("handover_pickups", "on_time"),
        )
        columns += [
            Column("handover_packets", "count", packets),
            Column("handover_on_time", "count", on_time),
            Column(
                "handover_on_time_share",
                "share",
                _path("handover_pickups", "share"),
                packets,
                on_time,
            ),
        ]
    return columns


_SMS = ("sent", "delivered", "failed")
_REFERRALS = ("offered", "accepted")


def _risk_of(instrument: str, level: str) -> Getter:
    return lambda f: (dig(f, "risk", instrument) or {}).get(level, 0)


def columns(totals: Mapping[str, Any]) -> list[Column]:
    """Every column of the export, in a stable order."""
    return base_columns(totals) + extra_columns(totals)


def total_row(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """The totals as a row: labelled `total`, spanning the first group's start to the last's end."""
    groups = statistics.get("groups") or []
    return {
        **statistics,
        "label": "total",
        "start": groups[0]["start"] if groups else None,
        "end": groups[-1]["end"] if groups else None,
    }


def neutralise(cell: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def csv_text(statistics: Mapping[str, Any]) -> str:
    """The CSV: a header, one row per group, then the total row; every cell suppressed."""
    cols = columns(statistics)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.name) for c in cols])
    for row in [*(statistics.get("groups") or []), total_row(statistics)]:
        row = {**row, "start": _iso(row.get("start")), "end": _iso(row.get("end"))}
        writer.writerow([neutralise(c.cell(row)) for c in cols])
    return out.getvalue()
