"""The statistics as exported for use outside the police: the small-cell rule and the CSV.

`protect` applies the rule once, to the figures themselves, and both the CSV and the print view
write what it returns:
- every count from 1 to 4 is hidden (primary suppression, stats.figures.suppress);
- wherever a hidden count could be worked out by subtraction — a row's calls against its
  priorities, its hours or its districts, the total against the groups, and a count that is
  part of another (calls with a unit of the calls, …) whose unpublished rest is 1 to 4 — one
  more count of that sum is hidden (secondary suppression), until no sum has a lone hidden cell;
- every hidden count shows as "x": one mark, so that the small ones cannot be told apart;
- the share within 60 s counts as the count it gives away (share × calls with a unit), and is
  left out with it; a share whose count or basis is hidden is left out; a median needs 5
  values and a p90 10 (below that it is the largest value: one call's own time).
Aggregates only: no reference, name or narrative exists in the data, and none is added here.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stats.figures import SMALL_CELL, suppress

HIDDEN = "x"  # one mark for every hidden count: two marks ("<5", "x") would tell them apart
P90_BASIS = 10  # below this the nearest-rank p90 is the largest value
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


@dataclass(frozen=True)
class Column:
    """One CSV column: a stable English name, what kind of figure, how to read it."""

    name: str
    kind: str  # "text", "count", "seconds" or "share"
    get: Getter

    def cell(self, figures: Mapping[str, Any]) -> str:
        """The column's value for one row of protected figures ("<5", "x" and left-out
        measures are already in them)."""
        value = self.get(figures)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if self.kind == "share":
            return f"{value:.4f}"
        if self.kind == "seconds":
            return f"{value:g}"
        return str(value)


def _path(*path: str) -> Getter:
    return lambda f: dig(f, *path)


def slug(text: str) -> str:
    """A stable machine name for a stored value (a district, a risk level)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def base_columns(totals: Mapping[str, Any]) -> list[Column]:
    """The columns every release has: calls, priorities, call processing, hours, districts."""
    return [
        Column("group", "text", _path("label")),
        Column("start_utc", "text", _path("start")),
        Column("end_utc", "text", _path("end")),
        Column("calls", "count", _path("calls")),
        *[Column(f"calls_{p.lower()}", "count", _count_of("by_priority", p)) for p in PRIORITIES],
        Column("call_processing_assigned", "count", _path("call_processing_s", "assigned")),
        Column("call_processing_p50_s", "seconds", _path("call_processing_s", "p50")),
        Column("call_processing_p90_s", "seconds", _path("call_processing_s", "p90")),
        Column("call_processing_within_60s_share", "share", _path("call_processing_s", "met_60s")),
        *[Column(f"calls_hour_{h:02d}", "count", _hour(h)) for h in range(24)],
        *[
            Column(f"calls_district_{name}", "count", _count_of("by_district", d))
            for d, name in unique_slugs(sorted(totals.get("by_district") or {}))
        ],
    ]


def unique_slugs(names: list[str]) -> list[tuple[str, str]]:
    """Each name with a machine name no other one has ("sint_andries", "sint_andries_2")."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = slug(name)
        seen[base] = seen.get(base, 0) + 1
        out.append((name, base if seen[base] == 1 else f"{base}_{seen[base]}"))
    return out


def _count_of(key: str, name: str) -> Getter:
    return lambda f: (f.get(key) or {}).get(name, 0)


def _hour(hour: int) -> Getter:
    return lambda f: (f.get("by_hour") or [0] * 24)[hour]


def extra_columns(totals: Mapping[str, Any]) -> list[Column]:
    """Columns for the figures present in the totals: response times, SMS, risk and the rest."""
    columns: list[Column] = []
    if isinstance(totals.get("response_s"), Mapping):
        for stage in STAGES:
            columns += [
                Column(f"response_{stage}_count", "count", _path("response_s", stage, "count")),
                Column(f"response_{stage}_p50_s", "seconds", _path("response_s", stage, "p50")),
                Column(f"response_{stage}_p90_s", "seconds", _path("response_s", stage, "p90")),
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
            columns += [
                Column(f"{key}_count", "count", _path(key, "count")),
                Column(f"{key}_share", "share", _path(key, "share")),
            ]
    if isinstance(totals.get("referrals"), Mapping):
        columns += [Column(f"referrals_{k}", "count", _path("referrals", k)) for k in _REFERRALS]
    if isinstance(totals.get("handover_pickups"), Mapping):
        columns += [
            Column("handover_packets", "count", _path("handover_pickups", "packets")),
            Column("handover_on_time", "count", _path("handover_pickups", "on_time")),
            Column("handover_on_time_share", "share", _path("handover_pickups", "share")),
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
    """The CSV: a header, one row per group, then the total row; the small-cell rule applied."""
    statistics = protect(statistics)
    cols = columns(statistics)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.name) for c in cols])
    for row in [*(statistics.get("groups") or []), total_row(statistics)]:
        row = {**row, "start": _iso(row.get("start")), "end": _iso(row.get("end"))}
        writer.writerow([neutralise(c.cell(row)) for c in cols])
    return out.getvalue()


# --- the small-cell rule over the whole table --------------------------------------------------

Path = tuple[Any, ...]
Cell = tuple[int, Path]  # (row: the groups in order, then the total), the figure's path


def count_paths(totals: Mapping[str, Any]) -> list[Path]:
    """Every count the exports carry, as paths into the figures."""
    paths: list[Path] = [
        ("calls",),
        *[("by_priority", p) for p in PRIORITIES],
        *[("by_hour", h) for h in range(24)],
        *[("by_district", d) for d in sorted(totals.get("by_district") or {})],
        ("call_processing_s", "assigned"),
    ]
    if isinstance(totals.get("response_s"), Mapping):
        paths += [("response_s", stage, "count") for stage in STAGES]
    if "escalations" in totals:
        paths.append(("escalations",))
    if isinstance(totals.get("sms"), Mapping):
        paths += [("sms", k) for k in _SMS]
    for instrument, levels in sorted((totals.get("risk") or {}).items()):
        paths += [("risk", instrument, level) for level in sorted(levels or {})]
    paths += [
        (k, "count") for k in ("repeat", "order_in_force") if isinstance(totals.get(k), Mapping)
    ]
    if isinstance(totals.get("referrals"), Mapping):
        paths += [("referrals", k) for k in _REFERRALS]
    if isinstance(totals.get("handover_pickups"), Mapping):
        paths += [("handover_pickups", "packets"), ("handover_pickups", "on_time")]
    return paths


def _get(row: Any, path: Path) -> Any:
    for key in path:
        if isinstance(row, Mapping):
            row = row.get(key)
        elif isinstance(row, list) and isinstance(key, int) and key < len(row):
            row = row[key]
        else:
            return None
    return row


def _set(row: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        row = row.setdefault(key, {})
    row[path[-1]] = value


Sum = tuple[Cell, list[Cell], bool]  # (whole, parts, whether other unpublished parts exist)
WITHIN = ("call_processing_s", "within")  # not a column: met_60s × assigned gives it away
ASSIGNED = ("call_processing_s", "assigned")


def _subsets(totals: Mapping[str, Any]) -> list[tuple[Path, list[Path]]]:
    """The counts that are part of another, with an unpublished rest: calls − calls with a
    unit, − repeat calls, − calls with an order; with a unit − within 60 s; acknowledged − en
    route, − on scene; sent − delivered; offered − accepted; packets − on time."""
    subsets: list[tuple[Path, list[Path]]] = [
        (("calls",), [("call_processing_s", "assigned")]),
        (("call_processing_s", "assigned"), [WITHIN]),
    ]
    subsets += [
        (("calls",), [(key, "count")])
        for key in ("repeat", "order_in_force")
        if isinstance(totals.get(key), Mapping)
    ]
    if isinstance(totals.get("response_s"), Mapping):
        acknowledged = ("response_s", "acknowledged", "count")
        subsets += [(acknowledged, [("response_s", s, "count")]) for s in STAGES[1:]]
    if isinstance(totals.get("sms"), Mapping):
        subsets.append((("sms", "sent"), [("sms", "delivered")]))
    if isinstance(totals.get("referrals"), Mapping):
        subsets.append((("referrals", "offered"), [("referrals", "accepted")]))
    if isinstance(totals.get("handover_pickups"), Mapping):
        subsets.append((("handover_pickups", "packets"), [("handover_pickups", "on_time")]))
    return subsets


def _sums(totals: Mapping[str, Any], rows: int) -> list[Sum]:
    """The sums the exports show: a row's calls = its priorities = its hours = its districts,
    the total of every count = the groups' counts; and the subsets, whose unpublished rest is
    a count too."""
    districts = sorted(totals.get("by_district") or {})
    parts = [
        [("by_priority", p) for p in PRIORITIES],
        [("by_hour", h) for h in range(24)],
        [("by_district", d) for d in districts],
    ]
    sums: list[Sum] = []
    for r in range(rows):
        sums += [((r, ("calls",)), [(r, p) for p in part], False) for part in parts]
        sums += [((r, whole), [(r, p) for p in ps], True) for whole, ps in _subsets(totals)]
    total = rows - 1
    if total > 0:
        paths = [*count_paths(totals), WITHIN]
        sums += [((total, p), [(r, p) for r in range(total)], False) for p in paths]
    return sums


def whole_rest(values: Mapping[Cell, int], whole: Cell, parts: list[Cell]) -> int:
    """What a sum holds beyond its published parts."""
    return values.get(whole, 0) - sum(values.get(c, 0) for c in parts)


def hidden_cells(values: Mapping[Cell, int], sums: list[Sum]) -> set[Cell]:
    """The counts to hide: 1 to 4, and then, for each sum with a lone hidden cell (a subset's
    unpublished rest of 1 to 4 counts as one), the smallest other non-zero part, or the sum
    itself, until no sum gives a hidden count away."""
    hidden = {cell for cell, value in values.items() if small(value)}
    changed = True
    while changed:
        changed = False
        for whole, parts, partial in sums:
            cells = [whole, *parts]
            if partial and not small(whole_rest(values, whole, parts)):
                continue  # an unpublished rest of 0 or 5+ tells nothing and hides nothing
            if sum(cell in hidden for cell in cells) + int(partial) != 1:
                continue
            open_parts = [c for c in parts if c not in hidden and values.get(c, 0) > 0]
            if open_parts:
                hidden.add(min(open_parts, key=lambda c: (values.get(c, 0), str(c))))
            elif whole not in hidden:
                hidden.add(whole)
            else:
                continue
            changed = True
    return hidden


def _measures(row: dict[str, Any], shown: Callable[[Path], int | None]) -> None:
    """Leave out each median, percentile and share the rule does not allow (in place)."""

    def enough(basis: int | None, least: int = SMALL_CELL) -> bool:
        return basis is not None and basis >= least

    def share_ok(basis: int | None, part: int | None) -> bool:
        return enough(basis) and part is not None and not small(basis - part)  # type: ignore[operator]

    processing = row.get("call_processing_s") or {}
    assigned = shown(("call_processing_s", "assigned"))
    if shown(WITHIN) is None or not enough(assigned):
        processing["met_60s"] = None  # the count within 60 s is hidden: so is its share
    _percentiles(processing, assigned, enough)
    for stage in STAGES if isinstance(row.get("response_s"), Mapping) else ():
        _percentiles(row["response_s"][stage], shown(("response_s", stage, "count")), enough)
    pairs = [("repeat", ("calls",)), ("order_in_force", ("calls",))]
    for key, basis_path in pairs:
        if isinstance(row.get(key), Mapping) and not share_ok(
            shown(basis_path), shown((key, "count"))
        ):
            row[key]["share"] = None
    pickups = row.get("handover_pickups")
    if isinstance(pickups, Mapping) and not share_ok(
        shown(("handover_pickups", "packets")), shown(("handover_pickups", "on_time"))
    ):
        pickups["share"] = None


def _percentiles(figures: dict[str, Any], basis: int | None, enough: Callable[..., bool]) -> None:
    if not enough(basis):
        figures["p50"] = None
    if not enough(basis, P90_BASIS):
        figures["p90"] = None


def protect(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the statistics under the small-cell rule (see the module docstring): hidden
    counts become "x", measures the rule forbids become None."""
    out = copy.deepcopy(dict(statistics))
    rows: list[dict[str, Any]] = [*out.get("groups", []), out]
    paths = count_paths(statistics)
    values = {(r, path): int(_get(row, path) or 0) for r, row in enumerate(rows) for path in paths}
    for r, row in enumerate(rows):  # the count a published share of "within 60 s" gives away
        met = _get(row, ("call_processing_s", "met_60s"))
        values[r, WITHIN] = 0 if met is None else round(met * values[r, ASSIGNED])
    hidden = hidden_cells(values, _sums(statistics, len(rows)))
    for r, row in enumerate(rows):

        def shown(path: Path, r: int = r) -> int | None:
            return None if (r, path) in hidden else values.get((r, path))

        _measures(row, shown)
        for path in paths:
            if (r, path) in hidden:
                _set(row, path, HIDDEN)
    return out
