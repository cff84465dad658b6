"""The EIDO export (and import) API at the edge: routes translate HTTP to dispatch.eido.

`GET /incidents/<id>/eido` answers an incident as a NENA EIDO document (the board; a restricted
incident only for a supervisor); persons only for a supervisor who asks `include=persons` and
states a legal basis (dispatch.eido_service.LEGAL_BASES). `POST /eido` takes a received EIDO
as a call (the board, or an integration's token with scope `eido`): a document the schema
refuses is a 422 naming each JSON path (the first 20, each message cut to 200 characters); the
same EIDO from the same sender again answers the incident it made.
"""

from __future__ import annotations

import re
from typing import Literal

from flask_login import current_user
from pydantic import Field

from accounts.models import Role
from core.api import api, endpoint, json_object, problem
from core.i18n import lazy_gettext as _l
from core.policies import BOARD, allow
from core.schemas import Input
from dispatch import access, eido_service
from triage.access import current_actor, visible_incident
from triage.routes import incident_read
from triage.schemas import IncidentRead

RECEIVE = allow(Role.DISPATCHER, Role.SUPERVISOR, scopes=("eido",))
LEGAL_BASES = eido_service.LEGAL_BASES
MAX_FIELDS, MAX_TEXT = 20, 200  # schema errors in a 422: how many, how long each
DOCUMENT = {"type": "object", "description": "an EmergencyIncidentDataObjectType (NENA-STA-021)"}


class EidoQuery(Input):
    """What to include; persons need a supervisor and a legal basis."""

    include: Literal["persons"] | None = Field(
        None, description="`persons`: the persons too (supervisors, with legal_basis)"
    )
    legal_basis: str | None = Field(
        None, max_length=32, description="why persons are shared: " + " | ".join(LEGAL_BASES)
    )


@api.get("/incidents/<int:incident_id>/eido")
@endpoint(
    "Export an incident as NENA EIDO",
    BOARD,
    query=EidoQuery,
    errors=(404,),
    tags=("incidents", "standards"),
)
def export_eido(incident_id: int, query: EidoQuery):
    """The incident as an EIDO document (JSON), valid against EmergencyIncidentDataObjectType."""
    incident = access.exportable_incident(current_actor(), incident_id)
    legal_basis = _legal_basis(query) if query.include == "persons" else None
    return eido_service.export(incident, legal_basis)


def _legal_basis(query: EidoQuery) -> str:
    if current_user.role != Role.SUPERVISOR:
        raise problem(403, "forbidden", _l("Only a supervisor may export the persons."))
    if query.legal_basis not in LEGAL_BASES:
        message = _l(
            "Choose a legal basis from the list: %(choices)s.", choices=", ".join(LEGAL_BASES)
        )
        raise problem(
            422,
            "validation_error",
            _l("Some query parameters are not valid."),
            {"legal_basis": message},
        )
    return query.legal_basis


@api.post("/eido")
@endpoint(
    "Take a received NENA EIDO as a call",
    RECEIVE,
    response=IncidentRead,
    status=201,
    errors=(409,),
    tags=("incidents", "standards"),
    raw_body={"application/json": DOCUMENT},
)
def receive_eido():
    """Create an incident from a received EIDO; the same EIDO again answers that incident (200)."""
    from dispatch import eido_schema  # jsonschema: loaded by the first EIDO received, not by all

    document = _document()
    wrong = eido_schema.errors(document)
    if wrong:
        fields = schema_fields(wrong)
        raise problem(422, "validation_error", _l("The EIDO does not match its schema."), fields)
    actor = current_actor()
    incident, created = eido_service.receive(document, actor)
    if not created:  # an earlier receipt: the guard and the audit of a read apply
        incident = visible_incident(actor, incident.id)
    return incident_read(incident).model_dump(mode="json"), 201 if created else 200


def schema_fields(wrong: list[tuple[str, str]]) -> dict[str, object]:
    """The schema errors as fields, short: at most MAX_FIELDS paths and MAX_TEXT characters
    each (a message quotes the wrong value: the answer must not echo a large input)."""
    fields: dict[str, str] = {}
    for path, message in wrong:
        path = _cut(path)
        fields[path] = f"{fields[path]}; {message}" if path in fields else message
    shown: dict[str, object] = {p: _cut(m) for p, m in list(fields.items())[:MAX_FIELDS]}
    if len(fields) > MAX_FIELDS:
        shown["…"] = _l("and %(n)s more", n=len(fields) - MAX_FIELDS)
    return shown


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _document() -> dict:
    document = json_object()
    if _has_bad_text(document):  # no store or XML parser takes these; refused before any use
        message = _l("Must be valid text.")
        raise problem(422, "validation_error", _l("Some fields are not valid."), {"body": message})
    return document


BAD_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL, and a lone surrogate (no UTF-8 for it)


def _has_bad_text(document: dict) -> bool:
    """Whether any key or string in the document holds NUL or a lone surrogate."""
    stack: list[object] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and BAD_TEXT.search(node):
            return True
        if isinstance(node, dict):
            stack += [*node.keys(), *node.values()]
        elif isinstance(node, list):
            stack += node
    return False
