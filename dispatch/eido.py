"""NENA EIDO (NENA-STA-021) documents: an incident's facts out, a received document's facts in.

Pure: plain data in, plain data out; no Flask, no database (dispatch.eido_service loads and
stores). What goes out is what another emergency service needs to act: the incident's type,
priority, status and times; its location (a point with its accuracy radius and the time of the
fix, and the structured address: street, number, box, postcode, district) as PIDF-LO, the
format EIDO carries locations in; the agency and the units with their statuses; notes made of
status changes only. Never the narrative, the typed address text, how to get in, the caller's
phone or a timeline line's free text. Persons only when a supervisor asks, with a legal basis.

Coming in, a location is read from PIDF-LO (`gml:pos`, a circle's `gs:radius` in metres, the
civic address, the time of the fix); a location by reference is not fetched (a URL from a
message is no address for this server to call). Any XML with a DOCTYPE is ignored unread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from dispatch import pidf
from dispatch.pidf import Place, stamp

EIDO_VERSION = "1.0"
# The NENA Incident Type registry's value for a domestic-violence / family-crisis call.
INCIDENT_TYPE = "Law-Domestic Violence"
INCIDENT_STATUS = dict(
    new="Pending", dispatched="Dispatched", on_scene="OnScene", cleared="Cleared", closed="Closed"
)
UNIT_STATUS = dict(off_duty="OutOfService", available="Available", assigned="Dispatched")
UNIT_STATUS |= dict(acknowledged="Dispatched", en_route="Enroute", on_scene="OnScene")
UNIT_STATUS |= dict(transporting="Transporting")
PERSON_ROLE = {"victim": "Victim", "suspect": "Suspect", "child": "Child", "witness": "Witness"}
PERSON_ROLE |= {"caller": "Caller"}
ROLE_IN = {v.lower(): k for k, v in PERSON_ROLE.items()} | {"perpetrator": "suspect"}
LANGUAGE_3 = {"nl": "nld", "fr": "fra", "en": "eng", "de": "deu", "ar": "ara", "tr": "tur"}
LANGUAGE_3 |= {"pl": "pol", "ro": "ron", "es": "spa", "ru": "rus", "pt": "por", "it": "ita"}
LANGUAGE_2 = {v: k for k, v in LANGUAGE_3.items()}


@dataclass(frozen=True)
class UnitFact:
    """A unit on the incident: call sign, its status now and the assignment's."""

    call_sign: str
    status: str
    assignment: str
    assigned_at: dt.datetime


@dataclass(frozen=True)
class NoteFact:
    """A status change from the timeline (kind and states only, never its text)."""

    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    unit: str | None = None


@dataclass(frozen=True)
class PersonFact:
    """A person on the incident, as far as shared (no phone, no address)."""

    role: str
    name: str | None
    age: int | None
    birth_year: int | None
    language: str | None


@dataclass(frozen=True)
class IncidentFacts:
    """What an export says about one incident."""

    document_id: str
    reference: str
    status: str
    priority: str
    received_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    place: Place
    units: list[UnitFact] = field(default_factory=list)
    notes: list[NoteFact] = field(default_factory=list)
    persons: list[PersonFact] | None = None


def incident_urn(reference: str, sender: str) -> str:
    """Our incident's EIDO id: `urn:emergency:uid:incidentid:<reference>:<our domain>`."""
    return f"urn:emergency:uid:incidentid:{reference}:{agency_id(sender)}"


def agency_id(sender: str) -> str:
    """The agency's id: the domain of EXCHANGE_SENDER (`nachtwacht@politie.antwerpen.be`)."""
    return sender.rpartition("@")[2] or sender


def export(facts: IncidentFacts, sender: str, now: dt.datetime) -> dict[str, Any]:
    """The incident as an EmergencyIncidentDataObjectType document."""
    agency = agency_id(sender)
    prologue = {"lastUpdateTimeStamp": stamp(facts.updated_at)}
    prologue["updatedByAgencyReference"] = {"$ref": agency}  # type: ignore[assignment]
    doc: dict[str, Any] = {"$id": facts.document_id, **prologue, "lastUpdateTimeStamp": stamp(now)}
    doc |= {"eidoVersion": EIDO_VERSION, "issuingElementIdentification": sender}
    doc["agencyComponent"] = [_agency(agency, prologue)]
    location = _location(facts, prologue) if _has_place(facts.place) else None
    notes = [_note(facts, i, n, agency) for i, n in enumerate(facts.notes)]
    resources = [_resource(facts, u, agency) for u in facts.units]
    persons = [_person(facts, i, p, prologue) for i, p in enumerate(facts.persons or [])]
    doc["incidentComponent"] = _incident(facts, prologue, location, notes, persons)
    for key, items in (
        ("locationComponent", [location] if location else []),
        ("notesComponent", notes),
        ("emergencyResourceComponent", resources),
        ("dispatchComponent", [_dispatch(facts, resources, prologue)] if resources else []),
        ("personComponent", persons),
    ):
        if items:
            doc[key] = items
    return doc


def _agency(agency: str, prologue: dict[str, Any]) -> dict[str, Any]:
    return {
        "$id": agency,
        **prologue,
        "agencyRoleDescriptionRegistryText": ["Dispatching"],
        "agencyType": ["police"],
        "agencyJcard": "Nachtwacht / Politie Antwerpen",
        "incidentOwningAgencyIndicator": True,
    }


def _incident(
    facts: IncidentFacts,
    prologue: dict[str, Any],
    location: dict[str, Any] | None,
    notes: list[dict[str, Any]],
    persons: list[dict[str, Any]],
) -> dict[str, Any]:
    incident: dict[str, Any] = {"$id": f"{facts.document_id}:incident", **prologue}
    incident |= {
        "incidentTypeCommonRegistryText": INCIDENT_TYPE,
        "incidentTypeInternalText": "family_crisis",
        "incidentStatusCommonRegistryText": [INCIDENT_STATUS.get(facts.status, facts.status)],
        "incidentStatusInternalText": [facts.status],
        "internalIncidentId": facts.reference,
        "incidentPriorityInternalText": facts.priority,
        "documentIdentification": [f"received:{stamp(facts.received_at)}"],
    }
    if facts.closed_at is not None:
        incident["documentIdentification"].append(f"closed:{stamp(facts.closed_at)}")
    if facts.place.district:
        incident["beatOrDispatchGroupText"] = facts.place.district
    refs = (("locationReference", [location] if location else []), ("notesReference", notes))
    for key, items in (*refs, ("personReference", persons)):
        if items:
            incident[key] = [{"$ref": item["$id"]} for item in items]
    return incident


def _has_place(place: Place) -> bool:
    return place.lat is not None or bool(place.street or place.postcode or place.district)


def _location(facts: IncidentFacts, prologue: dict[str, Any]) -> dict[str, Any]:
    return {
        "$id": f"{facts.document_id}:location",
        **prologue,
        "locationTypeDescriptionRegistryText": "Incident",
        "locationByValue": pidf.write(facts.place, facts.reference),
    }


def _note(facts: IncidentFacts, i: int, note: NoteFact, agency: str) -> dict[str, Any]:
    what = f"{note.kind}: {note.from_state or '-'} -> {note.to_state or '-'}"
    return {
        "$id": f"{facts.document_id}:note:{i + 1}",
        "lastUpdateTimeStamp": stamp(note.at),
        "updatedByAgencyReference": {"$ref": agency},
        "notesActionComments": f"{note.unit} {what}" if note.unit else what,
    }


def _resource(facts: IncidentFacts, unit: UnitFact, agency: str) -> dict[str, Any]:
    active = unit.assignment == "active"
    return {
        "$id": f"{facts.document_id}:unit:{unit.call_sign}",
        "lastUpdateTimeStamp": stamp(unit.assigned_at),
        "updatedByAgencyReference": {"$ref": agency},
        "emergencyResourceTypeCommonRegistryText": "Law Enforcement",
        "emergencyResourceTypeInternalText": "patrol",
        "emergencyResourceName": unit.call_sign,
        "resourceAttributeRegistryText": [],
        "primaryUnitStatusRegistryText": UNIT_STATUS.get(unit.status, unit.status)
        if active
        else "Cleared",
        "secondaryUnitStatusRegistryText": [],
        "unitStatusInternal": [unit.status, unit.assignment],
        "agentReference": [],
        **({"activeOnIncidentId": facts.document_id} if active else {}),
    }


def _dispatch(
    facts: IncidentFacts, resources: list[dict[str, Any]], prologue: dict[str, Any]
) -> dict[str, Any]:
    return {
        "$id": f"{facts.document_id}:dispatch",
        **prologue,
        "agencyReference": dict(prologue["updatedByAgencyReference"]),
        "emergencyResourceReference": [{"$ref": r["$id"]} for r in resources],
    }


def _person(facts: IncidentFacts, i: int, person: PersonFact, prologue: dict) -> dict[str, Any]:
    nc: dict[str, Any] = {}
    if person.name:
        nc["name"] = [{"personFullName": [{"value": person.name}]}]
    if person.age is not None:
        nc["ageMeasure"] = [{"decimalValue": [{"value": person.age}]}]
        nc["ageMeasure"][0]["timeUnitCode"] = [{"simpleType": "ANN"}]
    if person.birth_year is not None:
        nc["birthDate"] = [{"year": [{"value": str(person.birth_year)}]}]
    if person.language:
        code = LANGUAGE_3.get(person.language, person.language)
        nc["primaryLanguage"] = [{"languageCode": [{"simpleType": code}]}]
    return {
        "$id": f"{facts.document_id}:person:{i + 1}",
        **prologue,
        "personIncidentRoleRegistryText": [PERSON_ROLE.get(person.role, "Other")],
        "ncPersonComponent": nc,
    }


# --- received documents --------------------------------------------------------------------


@dataclass
class Received:
    """What an intake takes from a received EIDO (plain values, not yet checked by intake)."""

    eido_id: str
    sender: str
    place: Place = field(default_factory=Place)
    city: str | None = None
    caller_phone: str | None = None
    persons: list[PersonFact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    priority: str | None = None


def received(doc: dict[str, Any]) -> Received:
    """Read a schema-valid EIDO: its id, sender, location, callback, persons, notes, priority."""
    incident = doc.get("incidentComponent") or {}
    place, city = _received_place(doc.get("locationComponent") or [])
    sender = _claimed_agency(doc) or doc.get("issuingElementIdentification", "")
    return Received(
        eido_id=str(doc["$id"]),
        sender=str(sender),
        place=place,
        city=city,
        caller_phone=_callback_phone(doc.get("callbackComponent") or []),
        persons=[p for p in map(_received_person, doc.get("personComponent") or []) if p],
        notes=[str(n["notesActionComments"]) for n in doc.get("notesComponent") or []],
        priority=incident.get("incidentPriorityInternalText"),
    )


def receipt_key(sender: str, eido_id: str) -> str:
    """The stored key of a received EIDO (`Incident.eido_id`): its sender and its id, hashed.

    Ids are unique per sender only: another agency's document with the same id is another call.
    """
    text = f"{sender}\n{eido_id}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()


def fingerprint(doc: dict[str, Any]) -> str:
    """The document's content, hashed (canonical JSON): the same key with other content is a
    conflict, not a copy."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))  # ASCII: no bad UTF-8
    return hashlib.sha256(canonical.encode()).hexdigest()


def names_us(doc: dict[str, Any], sender: str) -> str | None:
    """The JSON path of the first field that makes the document one of ours (an incident id in
    our domain, or our agency as its sender or issuer), or None: our own export sent back is no
    new call."""
    agency = agency_id(sender).lower()
    eido_id = str(doc.get("$id", "")).strip().lower()
    if eido_id == agency or eido_id.endswith(f":{agency}"):
        return "$.$id"
    if agency_id(_claimed_agency(doc).strip().lower()) == agency:
        return "$.updatedByAgencyReference.$ref"
    if agency_id(str(doc.get("issuingElementIdentification", "")).strip().lower()) == agency:
        return "$.issuingElementIdentification"
    return None


def _claimed_agency(doc: dict[str, Any]) -> str:
    reference = doc.get("updatedByAgencyReference")
    return str(reference.get("$ref", "")) if isinstance(reference, dict) else ""


def _received_place(locations: list[dict[str, Any]]) -> tuple[Place, str | None]:
    """The first location given by value that reads as PIDF-LO; a point beats an address."""
    read = [pidf.read(loc.get("locationByValue") or "") for loc in locations]
    found = [r for r in read if r is not None]
    found.sort(key=lambda r: r[0].lat is None)
    return found[0] if found else (Place(), None)


PHONE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


def _callback_phone(callbacks: list[dict[str, Any]]) -> str | None:
    for callback in callbacks:
        for uri in callback.get("callBackInformationUri") or []:
            number = str(uri).removeprefix("tel:").split(";")[0]
            if str(uri).startswith("tel:") and PHONE.match(number):
                return number
    return None


def _received_person(component: dict[str, Any]) -> PersonFact | None:
    roles = [ROLE_IN.get(str(r).lower()) for r in component["personIncidentRoleRegistryText"]]
    role = next((r for r in roles if r), None)
    if role is None:
        return None
    nc = component.get("ncPersonComponent") or {}
    return PersonFact(
        role=role,
        name=_first(nc, "name", "personFullName", "value"),
        age=_age(_first(nc, "ageMeasure", "decimalValue", "value")),
        birth_year=_year(_first(nc, "birthDate", "year", "value")),
        language=_language(_first(nc, "primaryLanguage", "languageCode", "simpleType")),
    )


def _first(node: Any, *path: str) -> Any:
    """The first value down a NIEM path of lists of objects (`name[0].personFullName[0].value`)."""
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list):
            node = node[0] if node else None
    return node


def _age(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and 0 <= value <= 120 else None


def _year(value: Any) -> int | None:
    text = str(value or "")[:4]  # an xs:gYear may carry a zone after the year
    if not re.fullmatch(r"[0-9]{4}", text):  # not isdigit(): "²²²²" is digits, no year
        return None
    return int(text) if 1900 <= int(text) <= 2100 else None


def _language(value: Any) -> str | None:
    code = str(value or "").lower()
    code = LANGUAGE_2.get(code, code)
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
