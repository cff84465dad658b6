"""The statistics pages for supervisors: charts, CSV export and a print view.

The page is police-internal and shows exact counts. The CSV and the print view are for use
outside the police: they follow the small-cell rule (stats.export). Aggregates only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from pydantic import ValidationError

from core import audit, clock
from core.api import field_errors
from core.policies import Role, allow, protect
from stats import charts, export, service
from stats.export import dig
from stats.figures import NFPA_1225_TARGET_S
from stats.schemas import StatisticsQuery
from triage.labels import PRIORITIES

bp = Blueprint("statistics", __name__)
SUPERVISORS = allow(Role.SUPERVISOR)
FIELDS = ("from", "to", "group")
OTHER = ("escalations", "repeat", "order_in_force", "referrals", "sms", "handover_pickups")
HOURS = [(18 + n) % 24 for n in range(24)]  # from 18:00: the night (22-07) in one stretch


class Show:
    """How a figure is written on a page. The print view writes figures `export.protect` has
    already put under the small-cell rule: a hidden count is its mark ("x"), a measure the rule
    forbids is None."""

    def count(self, value: Any) -> str:
        """A count in the user's notation (or the rule's mark)."""
        if value is None:
            return "—"
        if isinstance(value, str):
            return value
        return format_decimal(value)

    def seconds(self, value: Any) -> str:
        """A duration in seconds."""
        if value is None:
            return "—"
        return _("%(n)s s", n=format_decimal(round(value, 1)))

    def share(self, value: Any) -> str:
        """A share as a percentage."""
        if value is None:
            return "—"
        return format_percent(value, "#,##0%")


def group_label(group: str, label: str) -> str:
    """A group's name for people: night of 2026-12-05, week 49, december 2026."""
    if group == "night":
        return _("night of %(date)s", date=label)
    if group == "week":
        year, week = label.split("-W")
        return _("week %(week)s of %(year)s", week=int(week), year=year)
    year, month = (int(part) for part in label.split("-"))
    return format_date(dt.date(year, month, 1), "LLLL yyyy")


def short_label(group: str, label: str) -> str:
    """A group's name on a chart axis: 05/12, wk 49, 12/2026."""
    if group == "night":
        day = dt.date.fromisoformat(label)
        return day.strftime("%d/%m")
    if group == "week":
        return _("wk %(week)s", week=int(label.rsplit("W", 1)[-1]))
    year, month = label.split("-")
    return f"{month}/{year}"


def district_name(district: str) -> str:
    """A district as stored, or "unknown" in the user's language."""
    return _("unknown") if district == service.UNKNOWN_DISTRICT else district


def quick_links() -> list[tuple[str, dict[str, str]]]:
    """Last night, the last 7 nights and last month, as query strings."""
    today = clock.now().astimezone(clock.zone()).date()
    yesterday = today - dt.timedelta(days=1)
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    week = yesterday - dt.timedelta(days=6)
    return [
        (_("Last night"), _range(yesterday, yesterday, "night")),
        (_("Last 7 nights"), _range(week, yesterday, "night")),
        (_("Last month"), _range(last_month_end.replace(day=1), last_month_end, "week")),
    ]


def _range(first: dt.date, last: dt.date, group: str) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat(), "group": group}


class InvalidQueryError(Exception):
    """The address's query is not valid: the values as typed and the field messages."""

    def __init__(self, values: dict[str, str], problems: dict[str, str]) -> None:
        super().__init__("invalid statistics query")
        self.values, self.problems = values, problems


def read_query() -> StatisticsQuery:
    """The query from the address (empty fields count as not given); InvalidQueryError, with field
    messages in the user's language, when it is not valid."""
    values = {name: request.args.get(name, "").strip()[:40] for name in FIELDS}
    try:
        return StatisticsQuery.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        raise InvalidQueryError(values, field_errors(exc)) from None


@bp.errorhandler(InvalidQueryError)
def _invalid(exc: InvalidQueryError) -> tuple[str, int]:
    page = render_template(
        "stats/page.html",
        stats=None,
        values=exc.values,
        problems=exc.problems,
        links=quick_links(),
    )
    return page, 422


def _statistics(query: StatisticsQuery) -> dict[str, Any]:
    return service.statistics(query).model_dump()


def _context(stats: dict[str, Any], outside: bool) -> dict[str, Any]:
    group = stats["group"]
    labels = {g["label"]: group_label(group, g["label"]) for g in stats["groups"]}
    return {
        "stats": stats,
        "show": Show(),
        "group_labels": labels,
        "priorities": PRIORITIES,
        # Most calls first inside; by name outside: an order by the exact counts would tell
        # the hidden ones apart.
        "districts": sorted(
            stats["by_district"].items(), key=lambda kv: (0, kv[0]) if outside else (-kv[1], kv[0])
        ),
        "district_name": district_name,
        "hours": HOURS,
        "stages": export.STAGES,
        "present": [key for key in OTHER if stats.get(key) is not None],
        "dig": dig,
        "target_s": NFPA_1225_TARGET_S,
        "values": _range(stats["from_"], stats["to"], group),
        "problems": {},
        "links": quick_links(),
    }


@bp.get("/statistics")
@protect(SUPERVISORS)
def page():
    """The supervisor's statistics: key figures, charts with their data tables, exact counts."""
    stats = _statistics(read_query())
    return render_template(
        "stats/page.html", **_context(stats, outside=False), charts=chart_set(stats)
    )


@bp.get("/statistics.csv")
@protect(SUPERVISORS)
def csv():
    """The statistics as CSV for use outside the police: small counts suppressed."""
    stats = _statistics(read_query())
    _audit_export(stats, "csv")
    name = f"nachtwacht-statistiek-{stats['from_']}-{stats['to']}.csv"
    return Response(
        export.csv_text(stats).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename={name}",
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.get("/statistics/print")
@protect(SUPERVISORS)
def print_view():
    """The statistics as a printable sheet for use outside the police: small counts suppressed."""
    stats = _statistics(read_query())
    _audit_export(stats, "print")
    return render_template("stats/print.html", **_context(export.protect(stats), outside=True))


def _audit_export(stats: dict[str, Any], how: str) -> None:
    # Aggregates leave the police here: who took which range out is worth a line in the chain.
    reason = f"{how} {stats['from_']}..{stats['to']} per {stats['group']}"
    audit.record("export", "statistics", reason=reason)


def chart_set(stats: dict[str, Any]) -> dict[str, charts.Chart]:
    """The four charts of the page, labelled in the user's language."""
    group = stats["group"]
    groups = stats["groups"]
    labels = [short_label(group, g["label"]) for g in groups]
    return {
        "calls": _calls_chart(labels, groups),
        "processing": _processing_chart(labels, groups),
        "hours": _hours_chart(stats),
        "districts": _districts_chart(stats),
    }


def _calls_chart(labels: list[str], groups: list[dict[str, Any]]) -> charts.Chart:
    series = [
        charts.Series(f"s-{p}", str(name), [g["by_priority"].get(p, 0) for g in groups])
        for p, name in PRIORITIES.items()
    ]
    return charts.stacked_bars(
        labels,
        series,
        _("Calls per period, by priority"),
        _("Stacked bars: the number of calls in each period, split into P1 to P4."),
    )


def _processing_chart(labels: list[str], groups: list[dict[str, Any]]) -> charts.Chart:
    series = [
        charts.Series(key, name, [dig(g, "call_processing_s", key) for g in groups])
        for key, name in (("p50", _("median (p50)")), ("p90", _("90th percentile (p90)")))
    ]
    return charts.paired_bars(
        labels,
        series,
        _("Call processing per period"),
        _(
            "Seconds from call to first unit assigned: median and 90th percentile per period, "
            "against the target of %(target)s seconds.",
            target=NFPA_1225_TARGET_S,
        ),
        target=NFPA_1225_TARGET_S,
        target_name=_("target %(target)s s", target=NFPA_1225_TARGET_S),
        unit=" s",
    )


def _hours_chart(stats: dict[str, Any]) -> charts.Chart:
    series = [charts.Series("bar", _("Calls"), [stats["by_hour"][h] for h in HOURS])]
    return charts.stacked_bars(
        [f"{h:02d}" for h in HOURS],
        series,
        _("Calls per hour of the day"),
        _("Bars: the number of calls that came in during each hour, from 18:00 to 17:00."),
    )


def _districts_chart(stats: dict[str, Any]) -> charts.Chart:
    ordered = sorted(stats["by_district"].items(), key=lambda kv: (-kv[1], kv[0]))
    return charts.horizontal_bars(
        [district_name(d) for d, _n in ordered],
        [n for _d, n in ordered],
        _("Calls per district"),
        _("Horizontal bars: the number of calls per district, most calls first."),
    )
