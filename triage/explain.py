"""The scoring core's reasons (`scoring.Reason`: a code and parameters) in the user's language.

The core stays free of Flask and writes its reasons in English; this module renders the same
reasons through the catalogue: levels as labels, item ids as the questions' text, motive tags
and themes by name. Stored assessments keep the codes, so a page can render them again in the
reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import has_request_context
from flask_babel import get_locale

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from triage import scoring
from triage.instruments import Instrument
from triage.labels import level_label


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "translated later"
    """Mark a msgid for the catalogue; it is translated where it is rendered."""
    return msgid


# Reason code → msgid; the parameters are those of scoring.REASON_TEXTS, rendered below.
MESSAGES = {
    "count": N_("%(count)s of %(total)s answered yes (%(band)s → %(level)s)"),
    "weighted": N_("weighted score %(score)s of %(max)s (%(band)s → %(level)s)"),
    "trigger": N_("trigger answered yes: %(items)s → %(level)s"),
    "count_met": N_(
        "no trigger; %(count)s of %(total)s other items answered yes (≥ %(threshold)s → %(level)s)"
    ),
    "count_below": N_(
        "no trigger; %(count)s of %(total)s other items answered yes (< %(threshold)s → %(level)s)"
    ),
    "immediate": N_("immediate danger: %(items)s → %(level)s"),
    "no_immediate": N_("no sign of immediate danger answered yes → %(level)s"),
    "unknown": N_("%(count)s unknown or unanswered (not counted as yes)"),
    "judgement_same": N_("professional judgement: %(reason)s (level stays %(level)s)"),
    "judgement_raised": N_("professional judgement: %(reason)s (%(old)s → %(level)s)"),
    "escalation": N_(
        "%(count)s incidents in 12 months (≥ %(threshold)s: possible escalation)"
        " (%(old)s → %(level)s)"
    ),
    "screened_in": N_("%(instrument)s: screened in (by %(how)s)"),
    "top_level": N_("%(instrument)s: level %(level)s is the highest level"),
    "motive_aggravating": N_("motive %(tags)s: an aggravating circumstance"),
    "motive_theme": N_("motive %(tags)s → reference officer for %(theme)s"),
    "motive_support": N_("motive %(tags)s: victims of hate crime and sexual violence get it"),
    "every_victim": N_("offered to every victim, whatever the level"),
}
HOW = {
    "trigger": _l("a trigger question"),
    "count": _l("the number of yes answers"),
    "judgement": _l("professional judgement"),
    "rule": _l("the rule"),
}
GENERIC = _l("see the answers")  # a code this version does not know (a newer row)


def language() -> str:
    """The request's language (nl outside a request: the organisation's own)."""
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else "nl"


def _text(texts: Mapping[str, str] | Any) -> str:
    lang = language()
    return texts.get(lang) or texts.get("nl") or next(iter(texts.values()), "")


def _items(instrument: Instrument | None, ids: list[str]) -> str:
    known = {item.id: item for item in instrument.items} if instrument else {}
    names = [_text(known[i].text.model_dump()) if i in known else i for i in ids]
    return "; ".join(names)


def _param(key: str, value: Any, instrument: Instrument | None) -> Any:
    if key in ("level", "old"):
        return level_label(value)
    if key == "items":
        return _items(instrument, list(value))
    if key == "instrument":
        return _text(instrument.title.model_dump()) if instrument else value
    if key == "how":
        return str(HOW.get(value, value))
    if key == "tags":
        return "; ".join(
            _text(scoring.MOTIVES[t].name) if t in scoring.MOTIVES else t for t in value
        )
    if key == "band" and value == "any score":
        return _("any score")
    return value


def render(reason: Mapping[str, Any], instruments: Mapping[str, Instrument]) -> str:
    """One stored reason (`{"code", "params"}`) in the user's language."""
    code, params = reason.get("code"), dict(reason.get("params") or {})
    if code not in MESSAGES:
        return str(GENERIC)
    instrument = instruments.get(params.get("instrument", ""))
    values = {k: _param(k, v, instrument) for k, v in params.items()}
    if code == "motive_theme":
        theme = scoring.THEMES.get(params.get("theme_code", ""))
        values["theme"] = _text(theme) if theme else params.get("theme")
    return _(MESSAGES[code], **values)


def texts(reasons: list[scoring.Reason], instruments: Mapping[str, Instrument]) -> list[str]:
    """Reasons from the core, rendered."""
    return [render(r.as_dict(), instruments) for r in reasons]


def stored_reasons(result: Mapping[str, Any], instruments: Mapping[str, Instrument]) -> list[str]:
    """A stored assessment's reasons in the reader's language (older rows: as stored)."""
    if "explanation" not in result:
        return list(result.get("reasons", []))
    return [render(r, instruments) for r in result["explanation"]]


def stored_recommendations(
    result: Mapping[str, Any], instruments: Mapping[str, Instrument]
) -> list[dict[str, Any]]:
    """A stored assessment's recommendations, each `reason` in the reader's language."""
    return [
        {**rec, "reason": render(rec["why"], instruments)} if "why" in rec else dict(rec)
        for rec in result.get("recommendations", [])
    ]


def recommendation_dict(
    rec: scoring.Recommendation, instruments: Mapping[str, Instrument]
) -> dict[str, Any]:
    """A recommendation as stored: its code, texts, rendered reason and the reason's code."""
    why = rec.why.as_dict()
    return {
        "code": rec.code,
        "text": rec.text,
        "reason": render(why, instruments),
        "why": why,
        "theme": rec.theme,
    }


@dataclass(frozen=True)
class Explained(scoring.ScoreResult):
    """A score whose `reasons` are written in the user's language (for the live preview)."""

    rendered: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:  # type: ignore[override]
        """The reasons, rendered."""
        return self.rendered


def explained(result: scoring.ScoreResult, instruments: Mapping[str, Instrument]) -> Explained:
    """The result with its reasons rendered in the user's language."""
    values = {f.name: getattr(result, f.name) for f in fields(result)}
    return Explained(**values, rendered=tuple(texts(list(result.explanation), instruments)))
