"""An incident as OASIS CAP 1.2 messages: plain data in, CAP XML bytes out (no Flask, no db).

The message history is derived from the incident's timeline each time, so it needs no table and
always comes out the same: the `incident.created` line is the `Alert`; every later line a
receiver acts on (a new status, another priority, a moved point: `STATUS_KINDS`,
`PRIORITY_KINDS`, `LOCATION_KINDS`, `LOCATION_FIELDS`) is an `Update`; `incident.closed` is a
`Cancel`. Each `Update` and the `Cancel` reference every earlier message.

Why the closing message is a `Cancel`, not an `Update` with urgency `Past`: CAP 1.2 (3.2.1
msgType) defines `Cancel` as "cancel the earlier message(s) identified in <references>" and
`Update` as "update and supercede the earlier message(s)". A closed family-crisis incident asks
nothing more of any receiver: no unit goes, nobody stands by, the earlier messages no longer
hold. An `Update` would keep a live thread open that nobody will close; the `Cancel` ends it,
and carries an `info` with urgency `Past` and responseType `AllClear` so that a receiver that
shows it still reads why. Nothing follows a `Cancel` (an incident is never reopened).

An identifier never changes content: every message is rebuilt from the timeline alone (status
and priority as its lines replay them; a line that raises the priority without naming the new
one adds nothing). When the replayed latest differs from the incident's status or priority now
(a correction that moved the priority without a line saying so), one more `Update` follows, sent
at the incident's `updated_at`, instead of rewriting the last message under its old identifier.

The messages carry no personal data: no names, phone numbers, address text, street or house
number, access notes, narrative, persons or flags. The area is the district and postcode, and a
coarse circle: its centre rounded to 3 decimals (about 100 m) and a radius of at least 250 m
(the point's accuracy when larger). CAP is an alert to other services, not a dispatch: it says
roughly where something happens, not at which door a victim lives (a 5 m circle around a home
is personal data, `scope` Restricted or not). The exact point with its accuracy goes only in the
EIDO export, which is access-controlled and audited. The timeline keeps no point (it is case
data, encrypted on the incident), so every version's area is the incident's point as it is now.

The sender is EXCHANGE_SENDER in a safe form (`cap_sender`): CAP forbids spaces and commas in
it, since `references` separates messages by spaces and their parts by commas.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MEDIA_TYPE = "application/cap+xml"
BRUSSELS = ZoneInfo("Europe/Brussels")

ALERT_KIND = "incident.created"
CANCEL_KIND = "incident.closed"
# Timeline kinds that make an Update; a name ending in "." stands for every kind it starts.
STATUS_KINDS = ("incident.status",)
PRIORITY_KINDS = (
    "priority.raised",
    "priority.lowered",
    "assessment.scored",
    "flag.",
    "eido.received",  # a received EIDO's priority may raise ours
)
# `incident.corrected` naming `flags` changed the priority when its to_state says so.
PRIORITY_FIELDS = frozenset({"flags"})
LOCATION_KINDS = ("location.",)  # location.manual (a pin); a caller's AML fix as location.*
# `incident.corrected` names its changed fields; these move the point or the area.
LOCATION_FIELDS = frozenset({"location", "address", "structured_address"})

PRIORITIES = ("P1", "P2", "P3", "P4")
SEVERITY = {"P1": "Severe", "P2": "Moderate", "P3": "Minor", "P4": "Minor"}
OVER = ("cleared", "closed")  # urgency Past: nobody needs to act any more
SEEN = ("on_scene", "cleared", "closed")  # a unit has been there: Observed, before that Likely

# Without a known radius, how far the point may be off, by how it was found (km): a geocoded or
# pinned door is within a building block (100 m); a street, postcode or district centroid is
# only somewhere in it. A circle smaller than the doubt would send a receiver to the wrong door.
DEFAULT_RADIUS_KM = {"street": 0.5, "postcode": 2.0, "district": 3.0}
FALLBACK_RADIUS_KM = 0.1
# The circle is coarse on purpose (see above): centre to 3 decimals, radius at least 250 m.
CENTRE_DECIMALS = 3
MIN_RADIUS_KM = 0.25

# Security (CAP: "law enforcement, military, homeland and local/private security"): a call
# about domestic violence is handled by the police. Not Safety (general public safety) nor
# Rescue (rescue and recovery): nobody is searched for or recovered.
CATEGORY = "Security"
LANGUAGE = "nl-BE"
EVENT = "Intrafamiliaal geweld / familiecrisis"
SENDER_NAME = "Politie Antwerpen - Nachtwacht, meldkamer familiecrisis"
RESTRICTION = (
    "Alleen voor politie- en hulpdiensten. Bevat geen persoonsgegevens; niet verder verspreiden."
)
CANCEL_NOTE = "Het incident is afgesloten: de eerdere berichten vervallen."
UNKNOWN_AREA = "onbekend"


@dataclass(frozen=True)
class Change:
    """One timeline line as CAP reads it."""

    at: dt.datetime
    kind: str
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Facts:
    """What CAP may say about an incident: no personal data here."""

    reference: str
    status: str
    priority: str
    exercise: bool = False
    district: str | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    location_quality: str | None = None
    updated_at: dt.datetime | None = None  # when the status or priority last changed, at latest


@dataclass(frozen=True)
class Message:
    """One CAP message of the history: its number (1-based), type, time and what it says."""

    number: int
    msg_type: str
    sent: dt.datetime
    status: str
    priority: str


def matches(kind: str, kinds: Iterable[str]) -> bool:
    """Whether a timeline kind is one of `kinds` (a name ending in "." is a prefix)."""
    return any(kind.startswith(k) if k.endswith(".") else kind == k for k in kinds)


def history(changes: Sequence[Change], facts: Facts) -> list[Message]:
    """Every CAP message of the incident, oldest first (none before `incident.created`)."""
    messages: list[Message] = []
    for change in changes:
        if change.kind == ALERT_KIND and not messages:
            status = change.to_state or "new"
            priority = (change.data or {}).get("priority") or facts.priority
            messages.append(Message(1, "Alert", change.at, status, priority))
        elif messages and messages[-1].msg_type != "Cancel":
            following = _following(messages[-1], change)
            if following is not None:
                messages.append(following)
    catching_up = _catching_up(messages, facts)
    return messages + [catching_up] if catching_up else messages


def _catching_up(messages: Sequence[Message], facts: Facts) -> Message | None:
    """One more Update when the replayed latest is not what holds now (a correction changed
    the priority without a line naming it); never after a Cancel."""
    if not messages or messages[-1].msg_type == "Cancel":
        return None
    last = messages[-1]
    if (last.status, last.priority) == (facts.status, facts.priority):
        return None
    at = max(facts.updated_at or last.sent, last.sent)
    return Message(last.number + 1, "Update", at, facts.status, facts.priority)


def _following(last: Message, change: Change) -> Message | None:
    status, priority = last.status, last.priority
    if change.kind == CANCEL_KIND:
        return Message(last.number + 1, "Cancel", change.at, "closed", priority)
    if matches(change.kind, STATUS_KINDS) and change.to_state not in (None, status):
        status = change.to_state
    elif _reprioritises(change) and change.to_state in PRIORITIES and change.to_state != priority:
        priority = change.to_state
    elif not _moved(change):
        return None
    return Message(last.number + 1, "Update", change.at, status, priority)


def _reprioritises(change: Change) -> bool:
    fields = (change.data or {}).get("fields") or ()
    corrected = change.kind == "incident.corrected" and bool(PRIORITY_FIELDS & set(fields))
    return corrected or matches(change.kind, PRIORITY_KINDS)


def _moved(change: Change) -> bool:
    if matches(change.kind, LOCATION_KINDS):  # a caller's fix that was not applied moved nothing
        return (change.data or {}).get("applied", True) is not False
    fields = (change.data or {}).get("fields") or ()
    return change.kind == "incident.corrected" and bool(LOCATION_FIELDS & set(fields))


def identifier(facts: Facts, number: int) -> str:
    """The message's identifier: the incident's reference and its number (no spaces, commas)."""
    return f"{facts.reference}-{number}"


def cap_time(at: dt.datetime, tz: dt.tzinfo = BRUSSELS) -> str:
    """`YYYY-MM-DDThh:mm:ss+hh:mm` in the local zone: CAP refuses `Z` and fractions."""
    local = at.astimezone(tz)
    offset = local.utcoffset() or dt.timedelta()
    sign = "-" if offset < dt.timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local:%Y-%m-%dT%H:%M:%S}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def cap_sender(sender: str) -> str:
    """The sender as CAP may write it: whitespace, commas, `<` and `&` each become `_`."""
    return re.sub(r"[\s,<&]", "_", sender.strip()) or "nachtwacht"


def render(
    messages: Sequence[Message], number: int, facts: Facts, sender: str, tz: dt.tzinfo = BRUSSELS
) -> bytes:
    """The `number`-th message (1-based) as CAP 1.2 XML, referencing every earlier one."""
    message = messages[number - 1]
    sender = cap_sender(sender)
    alert = ET.Element(_tag("alert"))
    _add(alert, "identifier", identifier(facts, message.number))
    _add(alert, "sender", sender)
    _add(alert, "sent", cap_time(message.sent, tz))
    _add(alert, "status", "Exercise" if facts.exercise else "Actual")
    _add(alert, "msgType", message.msg_type)
    _add(alert, "scope", "Restricted")
    _add(alert, "restriction", RESTRICTION)
    if message.msg_type == "Cancel":
        _add(alert, "note", CANCEL_NOTE)
    if message.number > 1:
        _add(alert, "references", _references(messages[: number - 1], facts, sender, tz))
    _add(alert, "incidents", facts.reference)
    alert.append(_info(message, facts))
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=NS)


def _references(earlier: Iterable[Message], facts: Facts, sender: str, tz: dt.tzinfo) -> str:
    return " ".join(
        f"{sender},{identifier(facts, m.number)},{cap_time(m.sent, tz)}" for m in earlier
    )


def _info(message: Message, facts: Facts) -> ET.Element:
    info = ET.Element(_tag("info"))
    _add(info, "language", LANGUAGE)
    _add(info, "category", CATEGORY)
    _add(info, "event", EVENT)
    if message.msg_type == "Cancel":
        _add(info, "responseType", "AllClear")
    _add(info, "urgency", "Past" if message.status in OVER else "Immediate")
    _add(info, "severity", SEVERITY.get(message.priority, "Unknown"))
    _add(info, "certainty", "Observed" if message.status in SEEN else "Likely")
    _add(info, "senderName", SENDER_NAME)
    _add(info, "headline", headline(message, facts))
    info.append(area(facts))
    return info


def headline(message: Message, facts: Facts) -> str:
    """ "Familiecrisis P1, district Berchem": the kind, priority and district, nothing personal."""
    text = f"Familiecrisis {message.priority}, district {facts.district or UNKNOWN_AREA}"
    return f"OEFENING - {text}" if facts.exercise else text


def area(facts: Facts) -> ET.Element:
    """The `area`: district and postcode, and a coarse circle when the incident has a point."""
    element = ET.Element(_tag("area"))
    described = " ".join(p for p in (facts.district, facts.postcode) if p)
    _add(element, "areaDesc", described or UNKNOWN_AREA)
    if facts.lat is not None and facts.lon is not None:
        n = CENTRE_DECIMALS
        _add(element, "circle", f"{facts.lat:.{n}f},{facts.lon:.{n}f} {radius_km(facts):.3f}")
    return element


def radius_km(facts: Facts) -> float:
    """The circle's radius: the point's accuracy, or the doubt its way of finding implies; at
    least MIN_RADIUS_KM (no circle narrows a home down to its door)."""
    if facts.accuracy_m is not None and facts.accuracy_m > 0:
        doubt = facts.accuracy_m / 1000
    else:
        doubt = DEFAULT_RADIUS_KM.get(facts.location_quality or "", FALLBACK_RADIUS_KM)
    return max(doubt, MIN_RADIUS_KM)


def _tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def _add(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, _tag(name)).text = text
