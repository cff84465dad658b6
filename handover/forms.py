"""The phone form for a handover note: form fields to the API's body and back, and messages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from core.api import field_errors
from handover.labels import ACTIONS
from handover.models import HandoverNote
from handover.schemas import HandoverNoteCreate
from triage.models import Incident

PERSON_ROWS = 4


def _text(form: MultiDict, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def _persons(form: MultiDict) -> list[dict[str, Any]]:
    persons = []
    for i in range(PERSON_ROWS):
        name, age = _text(form, f"person-{i}-name"), _text(form, f"person-{i}-age")
        remarks = _text(form, f"person-{i}-remarks")
        if name is None and age is None and remarks is None:
            continue
        role = _text(form, f"person-{i}-role") or "other"
        persons.append(
            {
                "role": role,
                "name": name,
                "age": int(age) if age and age.isdigit() else age,
                "remarks": remarks,
            }
        )
    return persons


def body_from_form(form: MultiDict) -> dict[str, Any]:
    """The JSON body the API would get, from the phone form's fields."""
    chosen = set(form.getlist("actions"))
    return {
        "summary": (form.get("summary") or "").strip(),
        "persons": _persons(form),
        "children": _text(form, "children"),
        "actions": {**{a: a in chosen for a in ACTIONS}, "other": _text(form, "actions-other")},
        "consent": _text(form, "consent"),
        "legal_basis": _text(form, "legal_basis"),
        "organisations": form.getlist("organisations"),
        "urgent": form.get("urgent") == "on",
        "follow_up": _text(form, "follow_up"),
    }


def validate(values: dict[str, Any]) -> tuple[HandoverNoteCreate | None, dict[str, str]]:
    """The validated body, or the problems by top-level field."""
    try:
        return HandoverNoteCreate.model_validate(values), {}
    except ValidationError as exc:
        return None, {key.split(".")[0]: msg for key, msg in field_errors(exc).items()}


def values_from_incident(incident: Incident) -> dict[str, Any]:
    """A new note's starting values: the persons already on the incident."""
    persons = [
        {"role": str(p.role), "name": p.name, "age": p.age} for p in incident.persons[:PERSON_ROWS]
    ]
    return {"persons": persons, "organisations": [], "actions": {}}


def values_from_note(note: HandoverNote) -> dict[str, Any]:
    """A correction's starting values: the version it corrects."""
    content = note.content
    return {
        "summary": content.get("summary", ""),
        "persons": content.get("persons") or [],
        "children": content.get("children"),
        "actions": content.get("actions") or {},
        "consent": str(note.consent),
        "legal_basis": str(note.legal_basis),
        "organisations": [o.slug for o in note.organisations],
        "urgent": bool(note.urgent),
        "follow_up": content.get("follow_up"),
    }


def messages(problems: dict[str, str]) -> dict[str, str]:
    """Translated, field-level messages for the form (API messages stay in English)."""
    out = {}
    for field, problem in problems.items():
        if field == "consent" and "requires consent" in problem:
            out[field] = _("The legal basis “consent” needs the person's consent (yes).")
        elif field == "organisations" and "458ter" in problem:
            out[field] = _("A 458ter case consultation is shared only with Veilig Huis and CAW.")
        else:
            out[field] = FIELD_HINTS.get(field, FIELD_HINTS["body"])()
    return out


FIELD_HINTS = {
    "summary": lambda: _("Write a short summary of the situation."),
    "consent": lambda: _("Say whether the person agreed to be contacted."),
    "legal_basis": lambda: _("Choose the legal basis for sharing."),
    "organisations": lambda: _("Choose at least one partner organisation."),
    "persons": lambda: _("Check the persons: a role, and an age between 0 and 120."),
    "body": lambda: _("Check this field."),
}
