"""Factories for triage API tests."""

from __future__ import annotations

from triage.instruments import load_instruments

INSTRUMENTS = load_instruments()
DASH_ITEMS = list(INSTRUMENTS["dash"].item_ids)
LAP = INSTRUMENTS["lap"]
LAP_TRIGGERS = [i.id for i in LAP.items if i.trigger]
LAP_OTHERS = [i.id for i in LAP.items if not i.trigger]
IMMEDIATE_ITEMS = list(INSTRUMENTS["immediate-danger"].item_ids)

CALL = {
    "address": "Carnotstraat 12, 2060 Antwerpen",
    "caller_phone": "0470 12 34 56",
    "persons": [{"role": "victim", "name": "Marie Peeters", "age": 34, "language": "nl"}],
    "narrative": "Buren horen geroep en glasbreuk.",
}


def answers(items: list[str], yes: int, rest: str = "no") -> dict[str, str]:
    """The first `yes` items answered yes, the others `rest`."""
    return {item: ("yes" if n < yes else rest) for n, item in enumerate(items)}


def new_incident(client, headers, **changes) -> dict:
    """Create an incident through the API and return its JSON."""
    response = client.post("/api/v1/incidents", json={**CALL, **changes}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assess(client, headers, incident_id: int, instrument: str, answer_map: dict, **extra):
    """Post an assessment and return the response."""
    body = {"instrument": instrument, "answers": answer_map, **extra}
    return client.post(f"/api/v1/incidents/{incident_id}/assessments", json=body, headers=headers)
