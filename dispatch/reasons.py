"""Word the ranking core's structured reasons in the user's language (Dutch by default)."""

from __future__ import annotations

import math
from collections.abc import Callable

from flask_babel import format_decimal
from flask_babel import gettext as _

from dispatch.labels import LABELS
from dispatch.ranking import RankedUnit, Reason

Args = dict[str, str | float]


def reason_lines(ranked: RankedUnit, priority: str, location: Reason | None = None) -> list[str]:
    """Return the unit's one-line reasons: the rule that placed it first, then the facts; how
    sure the incident's point is (`location`) right after the travel time it was measured from."""
    reasons = list(ranked.reasons)
    if location is not None and reasons and reasons[0].code == "travel":
        reasons.insert(1, location)
    return [reason_text(ranked.rule, priority), *(reason_text(r, priority) for r in reasons)]


def location_reason(accuracy_m: float | None, age_s: float | None) -> Reason | None:
    """Return the incident point's radius and age as a reason (None: neither is known)."""
    params = {"accuracy_m": accuracy_m, "age_s": age_s}
    known = tuple(sorted((k, v) for k, v in params.items() if v is not None))
    return Reason("incident_location", known) if known else None


def _location(args: Args, _priority: str) -> str:
    """Return e.g. 'locatie ± 35 m, 2 min oud' (either part alone when only it is known)."""
    metres = format_decimal(round(float(args.get("accuracy_m", 0))), format="#,##0")
    minutes = format_decimal(int(float(args.get("age_s", 0)) // 60))
    if "accuracy_m" in args and "age_s" in args:
        return _("location ± {m} m, {min} min old").format(m=metres, min=minutes)
    if "accuracy_m" in args:
        return _("location ± {m} m").format(m=metres)
    return _("location {min} min old").format(min=minutes)


def reason_text(reason: Reason, priority: str) -> str:
    """Return one reason in the current locale (the code itself for an unknown one)."""
    render = _RENDER.get(reason.code)
    return render(reason.args, priority) if render else reason.code


def _minutes(seconds: float) -> str:
    """Return a margin in minutes, to a tenth (e.g. '2', '1,5' in Dutch)."""
    return format_decimal(round(seconds / 60, 1), format="#,##0.#")


def _gap_minutes(seconds: float) -> str:
    """Return a gap in minutes rounded up to a tenth, so a gap beyond a margin never reads
    as equal to it."""
    return format_decimal(math.ceil(round(seconds / 6, 6)) / 10, format="#,##0.#")


def _skill(args: Args) -> str:
    """Return the translated label of the reason's skill."""
    skill = str(args["skill"])
    return str(LABELS.get(skill, skill))


def _travel(args: Args, _priority: str) -> str:
    """Return e.g. '2,3 km, ~4 min'."""
    km = format_decimal(float(args["distance_m"]) / 1000, format="#,##0.0")
    return _("{km} km, ~{min} min").format(km=km, min=max(1, round(float(args["eta_s"]) / 60)))


def _age(args: Args, _priority: str) -> str:
    """Return e.g. 'positie 3 min oud' (a fresh position's age, whole minutes)."""
    minutes = int(float(args["age_s"]) // 60)
    if minutes < 1:
        return _("position under a minute old")
    return _("position {min} min old").format(min=format_decimal(minutes))


def _stale(args: Args, _priority: str) -> str:
    """Return e.g. 'positie verouderd (20 min oud)'; hours from two hours on."""
    if "age_s" not in args:
        return _("position stale (time unknown)")
    minutes = int(float(args["age_s"]) // 60)
    if minutes < 120:
        return _("position stale ({min} min old)").format(min=format_decimal(minutes))
    return _("position stale ({hours} h old)").format(hours=format_decimal(minutes // 60))


_RENDER: dict[str, Callable[[Args, str], str]] = {
    "match_first": lambda a, p: _("{priority}: best match first, then travel time").format(
        priority=p
    ),
    "no_travel_times": lambda a, p: _("no travel times known: best match first"),
    "position_unknown_last": lambda a, p: _(
        "position unknown: after every unit with a known position"
    ),
    "nearest": lambda a, p: _("nearest ({priority}: travel time comes first)").format(priority=p),
    "within_margin": lambda a, p: _(
        "better matched: {gap} min farther than the nearest, within the {margin} min margin"
    ).format(gap=_gap_minutes(float(a["gap_s"])), margin=_minutes(float(a["margin_s"]))),
    "beyond_margin": lambda a, p: _(
        "better matched, but {gap} min farther than the nearest: beyond the {margin} min margin"
    ).format(gap=_gap_minutes(float(a["gap_s"])), margin=_minutes(float(a["margin_s"]))),
    "farther": lambda a, p: _("{gap} min farther than the nearest").format(
        gap=_gap_minutes(float(a["gap_s"]))
    ),
    "travel": _travel,
    "position_age": _age,
    "position_stale": _stale,
    "incident_location_unknown": lambda a, p: _("incident location unknown"),
    "incident_location": _location,
    "unit_position_unknown": lambda a, p: _("unit position unknown"),
    "has_skill": lambda a, p: _("has {skill}").format(skill=_skill(a)),
    "lacks_skill": lambda a, p: _("lacks {skill}").format(skill=_skill(a)),
    "speaks": lambda a, p: _("speaks {lang}").format(lang=a["language"]),
    "does_not_speak": lambda a, p: _("does not speak {lang}").format(lang=a["language"]),
}
