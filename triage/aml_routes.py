"""POST /api/v1/aml: a caller's handset location (Advanced Mobile Location) from telephony.

Only a token with scope `aml` may post (no role: a console or another integration gets 403).
The body is the message as the handset sent it, not JSON: the HTTPS form
(`application/x-www-form-urlencoded`, signed with `&hmac=` when AML_HMAC_KEY is set), the SMS
text (`text/plain`, `A"ML=1;…` or `A"ML=2;…`) or the data SMS (`application/octet-stream`, its
raw bytes; or its hex as text). The SMS forms carry no HMAC: they come through the operator's
SMSC and are accepted on the token alone. The answer is the report's id and nothing else: whether
a call from that number is open is not telephony's to learn (a stolen token must not probe it).
"""

from __future__ import annotations

import dataclasses

from flask import request
from pydantic import Field

from core.api import api, endpoint
from core.policies import allow
from core.schemas import Input, Output, Phone
from triage import aml_ingest
from triage.access import current_actor

# No role passes: only a token with scope `aml` (named, for the OpenAPI document's policy).
AML = dataclasses.replace(allow(scopes=("aml",)), name="scope:aml")

_MESSAGE = {"type": "string", "maxLength": aml_ingest.MAX_BYTES}
RAW_BODY = {
    "application/x-www-form-urlencoded": {
        **_MESSAGE,
        "description": "HTTPS form: v=1&device_number=…&location_latitude=…[&hmac=…]",
    },
    "text/plain": {
        **_MESSAGE,
        "description": 'SMS text A"ML=1;lt=…;lg=…;rd=… or A"ML=2;…, or the data SMS as hex',
    },
    "application/octet-stream": {
        **_MESSAGE,
        "format": "binary",
        "description": "the data SMS as received (GSM 7-bit packed)",
    },
}


class AmlQuery(Input):
    """Where an SMS came from, when the message does not say it (the SMS text of version 1)."""

    number: Phone | None = Field(
        None, description="the SMS's originating number (used only if the message has none)"
    )


class AmlReceived(Output):
    """What telephony is told: that the report is stored, by its id; nothing of calls."""

    id: int = Field(description="the report's id (the same for the same message sent again)")


@api.post("/aml")
@endpoint(
    "Receive a caller's handset location (AML, ETSI TS 103 625)",
    AML,
    query=AmlQuery,
    response=AmlReceived,
    status=201,
    errors=(413,),
    tags=("aml",),
    raw_body=RAW_BODY,
)
def receive_aml(query: AmlQuery):
    """Store the location once; 201 when new, 200 with the same answer for the same message."""
    data = request.get_data(cache=False, parse_form_data=False)
    report, created = aml_ingest.receive(data, request.mimetype, query.number, current_actor())
    return AmlReceived(id=report.id).model_dump(mode="json"), 201 if created else 200
