"""Referral rules and answers: what the facts suggest, and how a recorded answer may move.

Referrals offered to the victim: victim support, psychosocial support and the child-abuse
confidence centre (Vertrouwenscentrum Kindermishandeling, VK).

Rules suggest a referral when the facts call for it: children at risk → VK; a hate-crime or
sexual-violence motive → psychosocial support; a risk screen recommending victim support →
victim support. A motive is case data kept encrypted on the incident: the reason stored
(in the referral row and on the timeline, both plain) is the one code `support_motive`, and
which motive it was is read from the incident when the referral is shown to someone who may
see the incident. A person records what happened: offered, accepted, declined, or not offered
(with a reason code). Victim and psychosocial support are asked about at close whatever was
screened (triage.closing).

An answer only moves forward: nothing/suggested → not offered → offered → accepted or declined;
the victim may change their mind (accepted ↔ declined), but an answer never goes back to
"offered" or "not offered" (409), so the record keeps what the victim said. The same answer
twice changes nothing (a retry is safe). Referrals may be recorded after close: support is often
accepted the next morning. Suggestions are re-derived from the facts whenever referrals are read
and when the incident closes, so they hold even where `suggest` was not called on a change.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from pydantic import BeforeValidator, Field
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accounts.actor import Actor
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.schemas import Input
from triage import events, explain, scoring
from triage.models import Assessment, Incident, Referral
from triage.service import add_timeline

# code → (English, Dutch); both are returned by the API so integrations need no catalogue.
KINDS = {
    "victim_support": ("Victim support", "Slachtofferhulp"),
    "psychosocial_support": ("Psychosocial support", "Psychosociale ondersteuning"),
    "child_abuse_centre": (
        "Child-abuse confidence centre (VK)",
        "Vertrouwenscentrum Kindermishandeling (VK)",
    ),
}
# What a person records (a rule records `suggested`).
STATUSES = {
    "offered": ("Offered, no answer yet", "Aangeboden, nog geen antwoord"),
    "accepted": ("Offered and accepted", "Aangeboden en aanvaard"),
    "declined": ("Offered and declined", "Aangeboden en geweigerd"),
    "not_offered": ("Not offered", "Niet aangeboden"),
}
SUGGESTED = "suggested"
SHOWN = {
    SUGGESTED: ("Suggested, not yet offered", "Voorgesteld, nog niet aangeboden"),
    None: ("Not yet offered", "Nog niet aangeboden"),
}
NOT_OFFERED_REASONS = {
    "no_contact": ("The victim could not be reached", "Slachtoffer niet bereikt"),
    "not_safe": (
        "Not safe to raise it now (suspect present)",
        "Niet veilig om het nu te bespreken (verdachte aanwezig)",
    ),
    "already_supported": ("Already supported by this service", "Al begeleid door deze dienst"),
    "no_victim": ("No victim involved", "Geen slachtoffer betrokken"),
}
SUPPORT_MOTIVE = "support_motive"
RULE_REASONS = {
    SUPPORT_MOTIVE: (
        "A hate-crime or sexual-violence motive",
        "Een motief van haatmisdrijf of seksueel geweld",
    ),
    "children_at_risk": ("Children at risk", "Kinderen in gevaar"),
    "screen_recommendation": ("A risk screen recommends it", "Een risicoscreening raadt het aan"),
}
# How far an answer has got: it may move up, or across between accepted and declined.
RANK = {None: 0, SUGGESTED: 0, "not_offered": 1, "offered": 2, "accepted": 3, "declined": 3}
# The screens' recommendation codes (triage.scoring) that are one of these referrals.
SCREEN_CODES = {
    "offer_victim_support": "victim_support",
    "offer_psychosocial_support": "psychosocial_support",
}


def label(pair: tuple[str, str]) -> dict[str, str]:
    """A (English, Dutch) pair as the API returns it."""
    return {"en": pair[0], "nl": pair[1]}


def reason_label(code: str | None, incident: Incident | None = None) -> dict[str, str] | None:
    """A reason code (a rule's or a not-offered one) in Dutch and English; `support_motive`
    names the incident's motive (read from its encrypted motives: only pass a visible one)."""
    if code is None:
        return None
    if code == SUPPORT_MOTIVE and incident is not None and (motive := _support_motive(incident)):
        name = scoring.MOTIVES[motive].name
        return {"en": f"Motive: {name['en']}", "nl": f"Motief: {name['nl']}"}
    pair = RULE_REASONS.get(code) or NOT_OFFERED_REASONS.get(code)
    return label(pair) if pair else {"en": code, "nl": code}


# --- the rules --------------------------------------------------------------------------------


def _support_motive(incident: Incident) -> str | None:
    """The first hate-crime or sexual-violence motive: its victims are always offered support."""
    for code in incident.motives or []:
        motive = scoring.MOTIVES.get(code)
        if motive and (motive.discrimination or motive.theme == "sexual_violence"):
            return code
    return None


def _screen_recommends(incident_id: int) -> set[str]:
    results = db.session.execute(
        select(Assessment.result).where(Assessment.incident_id == incident_id)
    ).scalars()
    codes = {
        rec.get("code") for result in results for rec in (result or {}).get("recommendations", [])
    }
    return {SCREEN_CODES[c] for c in codes if c in SCREEN_CODES}


def suggestions(incident: Incident, *, new: bool = False) -> dict[str, str]:
    """The referrals the facts call for now: kind → the reason code (`new`: a call taken in
    this transaction, which has no screen yet)."""
    found: dict[str, str] = {}
    screened = set() if new else _screen_recommends(incident.id)
    if "victim_support" in screened:
        found["victim_support"] = "screen_recommendation"
    if _support_motive(incident):
        found["psychosocial_support"] = SUPPORT_MOTIVE  # never which one: plain columns
    elif "psychosocial_support" in screened:
        found["psychosocial_support"] = "screen_recommendation"
    if (incident.children or {}).get("at_risk") is True:
        found["child_abuse_centre"] = "children_at_risk"
    return found


def stored(incident_id: int) -> dict[str, Referral]:
    """The incident's referral rows by kind."""
    rows = db.session.execute(select(Referral).where(Referral.incident_id == incident_id))
    return {row.kind: row for row in rows.scalars()}


def suggest(incident: Incident, actor: Actor, *, new: bool = False) -> list[str]:
    """Store a `suggested` referral for each fact that calls for one, and withdraw suggestions
    the facts no longer support (a person's answer is never touched); each on the timeline.
    Call it after the children, motives or a screen changed (`new=True` for a call taken in
    this transaction: it has no screen or referral to read yet); returns the kinds changed."""
    return _suggest(incident, actor, new=new)[0]


def _suggest(
    incident: Incident, actor: Actor, *, new: bool = False
) -> tuple[list[str], dict[str, Referral], bool]:
    """`suggest`, the referral rows by kind as read before it, and whether it tried to change
    any (a change another transaction made first counts: the rows read are stale then too)."""
    wanted = suggestions(incident, new=new)
    rows = {} if new else stored(incident.id)
    changed, tried = [], False
    for kind, row in rows.items():
        if row.status == SUGGESTED and kind not in wanted:
            tried = True
            if _withdraw(row):
                add_timeline(incident.id, "referral.withdrawn", actor, data={"kind": kind})
                audit.record("delete", "referral", row.id)
                changed.append(kind)
    for kind, reason in wanted.items():
        if kind not in rows:
            tried = True
            if _insert(incident, kind, SUGGESTED, reason, actor):
                data = {"kind": kind, "reason": reason}
                add_timeline(incident.id, "referral.suggested", actor, data=data)
                changed.append(kind)
    return changed, rows, tried


def _suggested_rows(incident: Incident, actor: Actor) -> dict[str, Referral]:
    """`suggest`, then the referral rows by kind as they stand (read again only if it tried to
    change any)."""
    _, rows, tried = _suggest(incident, actor)
    return stored(incident.id) if tried else rows


def _insert(incident: Incident, kind: str, status: str, reason: str | None, actor: Actor) -> bool:
    """Insert first, one statement (unique per incident and kind); False if another row won."""
    values = {
        "incident_id": incident.id,
        "kind": kind,
        "status": status,
        "reason": reason,
        "recorded_by_id": actor.user.id if actor.user else None,
        "recorded_at": clock.now(),
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Referral)
        .values(values)
        .on_conflict_do_nothing(index_elements=["incident_id", "kind"])
        .returning(Referral.id)
    )
    new_id = db.session.execute(statement).scalar_one_or_none()
    if new_id is None:
        return False
    audit.record("create", "referral", new_id)
    return True


def _withdraw(row: Referral) -> bool:
    gone = db.session.execute(
        delete(Referral)
        .where(Referral.id == row.id, Referral.status == SUGGESTED)
        .execution_options(synchronize_session=False)
    )
    db.session.expunge(row)
    return cast(CursorResult, gone).rowcount == 1


# --- recording an answer --------------------------------------------------------------------


class ReferralChange(Input):
    """What happened with one referral; `reason` only (and always) when it was not offered."""

    status: str = Field(max_length=16, description="offered | accepted | declined | not_offered")
    reason: str | None = Field(
        None,
        max_length=32,
        description="why it was not offered: no_contact | not_safe | already_supported | no_victim",
    )


def _as_change(value: Any) -> Any:
    return {"status": value} if isinstance(value, str) else value


# In a close body a referral is a bare status ("accepted") or a ReferralChange object.
ReferralAnswer = Annotated[
    ReferralChange, BeforeValidator(_as_change, json_schema_input_type=str | ReferralChange)
]


def _choices(pairs: dict[str, tuple[str, str]]) -> str:
    return ", ".join(pairs)


def problems(kind: str, change: ReferralChange) -> dict[str, Any]:
    """What is wrong with an answer for a kind, as {"kind" | "status" | "reason": message}."""
    if kind not in KINDS:
        return {"kind": _l("One of: %(choices)s.", choices=_choices(KINDS))}
    if not change.status:
        return {"status": _l("Choose what happened with this referral.")}
    if change.status not in STATUSES:
        return {"status": _l("One of: %(choices)s.", choices=_choices(STATUSES))}
    if change.status == "not_offered" and change.reason not in NOT_OFFERED_REASONS:
        return {
            "reason": _l(
                "Say why it was not offered: one of %(choices)s.",
                choices=_choices(NOT_OFFERED_REASONS),
            )
        }
    if change.status != "not_offered" and change.reason is not None:
        return {"reason": _l("A reason is only given when the referral was not offered.")}
    return {}


def check_answers(answers: dict[str, ReferralChange], field: str = "referrals") -> None:
    """Refuse (422, every problem at once, one field per kind) before anything is written."""
    bad = {}
    for kind, change in answers.items():
        if found := problems(kind, change):
            bad[f"{field}.{kind}"] = next(iter(found.values()))
    if bad:
        raise DomainError(422, "validation_error", _l("Some fields are not valid."), bad)


def allowed(status: str | None) -> list[str]:
    """The statuses a person may record next (the current one included: a no-op)."""
    rank = RANK.get(status, 0)
    return [s for s in STATUSES if RANK[s] > rank or s == status or (rank == RANK[s] == 3)]


def _status_name(status: str | None) -> str:
    pair = STATUSES.get(status or "") or SHOWN.get(status) or SHOWN[None]
    return pair[1] if explain.language() == "nl" else pair[0]


def _refuse_back(current: str | None) -> DomainError:
    names = ", ".join(_status_name(s) for s in allowed(current))
    return DomainError(
        409,
        "conflict",
        _l("This referral already has an answer; it is never set back."),
        {
            "status": _l(
                "Now: %(now)s. Possible: %(allowed)s.", now=_status_name(current), allowed=names
            )
        },
    )


def record(
    incident: Incident, kind: str, change: ReferralChange, actor: Actor, rows: dict[str, Referral]
) -> bool:
    """Record a checked answer (409 if it would go back); timeline and audit. True if changed."""
    row = rows.get(kind)
    current = row.status if row is not None else None
    status = change.status
    reason = change.reason if status == "not_offered" else suggestions(incident).get(kind)
    if row is not None and current == status and (status != "not_offered" or row.reason == reason):
        return False  # the same answer again: a retry, or the close dialog's unchanged choice
    if status not in allowed(current):
        raise _refuse_back(current)
    if row is None:
        if not _insert(incident, kind, status, reason, actor):
            raise _changed_meanwhile()
    else:
        _compare_and_set(row, current, status, reason, actor)
        audit.record("update", "referral", row.id)
    data = {"kind": kind, **({"reason": reason} if status == "not_offered" else {})}
    add_timeline(incident.id, f"referral.{status}", actor, data=data)
    return True


def _changed_meanwhile() -> DomainError:
    return DomainError(
        409,
        "conflict",
        _l("The referral was changed in the meantime; reload and retry."),
        {"status": _l("Changed in the meantime.")},
    )


def _compare_and_set(
    row: Referral, current: str | None, status: str, reason: str | None, actor: Actor
) -> None:
    """One statement: two dispatchers answering at once cannot both win."""
    done = db.session.execute(
        update(Referral)
        .where(Referral.id == row.id, Referral.status == current)
        .values(
            status=status,
            reason=reason,
            recorded_by_id=actor.user.id if actor.user else None,
            recorded_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, done).rowcount != 1:
        raise _changed_meanwhile()
    db.session.refresh(row)


def record_all(incident: Incident, answers: dict[str, ReferralChange], actor: Actor) -> list[str]:
    """Record several checked answers (the close); the kinds that changed."""
    rows = _suggested_rows(incident, actor)
    ordered = [kind for kind in KINDS if kind in answers]  # the timeline in one order, always
    return [kind for kind in ordered if record(incident, kind, answers[kind], actor, rows)]


def set_status(incident: Incident, kind: str, change: ReferralChange, actor: Actor) -> bool:
    """Record one answer from the incident page or an integration (422 naming the field)."""
    if found := problems(kind, change):
        raise DomainError(422, "validation_error", _l("Some fields are not valid."), found)
    changed = record(incident, kind, change, actor, _suggested_rows(incident, actor))
    if changed:
        events.publish_incident("incident.updated", incident)
    return changed
