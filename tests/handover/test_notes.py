"""Writing notes: legal-basis validation, who may write, timeline, versions, live push, audit."""

from __future__ import annotations

import threading

import pytest

from tests.handover.helpers import CAW, NOTE, SH, VH, assign, audits, incident, org_id, people


@pytest.fixture
def who(app):
    return people(app)


def post_note(client, headers, incident_id, **changes):
    body = {k: v for k, v in {**NOTE, **changes}.items() if v is not ...}
    return client.post(
        f"/api/v1/incidents/{incident_id}/handover-notes", json=body, headers=headers
    )


def test_a_share_without_a_legal_basis_is_refused_naming_the_field(app, client, who):
    inc = incident(app)
    for missing in (..., None, "gut_feeling"):
        response = post_note(client, who["an"], inc, legal_basis=missing)
        assert response.status_code == 422
        body = response.get_json()
        assert set(body) == {"error", "message", "fields"}
        assert "legal_basis" in body["fields"]
    assert client.get(f"/api/v1/incidents/{inc}/handover-notes", headers=who["an"]).get_json() == {
        "items": []
    }


@pytest.mark.parametrize("consent", ["no", "not_asked"])
def test_consent_as_legal_basis_requires_consent_yes(app, client, who, consent):
    response = post_note(client, who["an"], incident(app), consent=consent)
    assert response.status_code == 422
    assert "consent" in response.get_json()["fields"]


def test_consent_field_is_required_and_checked(app, client, who):
    inc = incident(app)
    assert "consent" in post_note(client, who["an"], inc, consent=...).get_json()["fields"]
    assert "consent" in post_note(client, who["an"], inc, consent="maybe").get_json()["fields"]


def test_case_consultation_only_reaches_its_partners(app, client, who):
    inc = incident(app)
    refused = post_note(
        client, who["an"], inc, legal_basis="case_consultation_458ter", organisations=[CAW, SH]
    )
    assert refused.status_code == 422
    assert SH in refused.get_json()["fields"]["organisations"]
    accepted = post_note(
        client,
        who["an"],
        inc,
        legal_basis="case_consultation_458ter",
        consent="no",
        organisations=[CAW, VH],
    )
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["organisations"] == [CAW, VH]


def test_report_458bis_needs_no_consent(app, client, who):
    response = post_note(
        client, who["an"], incident(app), legal_basis="report_458bis", consent="no",
        organisations=[SH],
    )  # fmt: skip
    assert response.status_code == 201


@pytest.mark.parametrize("organisations", [[], ["nobody-here"], ["politie-antwerpen"]])
def test_organisations_must_be_handover_partners(app, client, who, organisations):
    response = post_note(client, who["an"], incident(app), organisations=organisations)
    assert response.status_code == 422
    assert "organisations" in response.get_json()["fields"]


def test_unknown_fields_and_unknown_incidents(app, client, who):
    assert post_note(client, who["an"], incident(app), mood="sad").status_code == 422
    assert post_note(client, who["an"], 999999).status_code == 404


def test_officers_write_only_for_incidents_their_unit_is_assigned_to(app, client, who):
    inc = incident(app)
    assert post_note(client, who["sarah"], inc).status_code == 404  # as for a missing one
    assign(app, inc, "sarah")
    response = post_note(client, who["sarah"], inc)
    assert response.status_code == 201
    assert response.get_json()["author"] == "sarah"
    assert (
        client.get(f"/api/v1/incidents/{inc}/handover-notes", headers=who["sarah"]).status_code
        == 200
    )


@pytest.mark.parametrize("role", ["sw-caw", "admin"])
def test_social_workers_and_admins_cannot_write_or_read_police_notes(app, client, who, role):
    inc = incident(app)
    note = post_note(client, who["an"], inc).get_json()
    assert post_note(client, who[role], inc).status_code == 403
    assert client.get(f"/api/v1/handover-notes/{note['id']}", headers=who[role]).status_code == 403


def test_note_stores_structure_and_risk_snapshot(app, client, who):
    inc = incident(app)
    note = post_note(client, who["els"], inc, urgent=True, risk_level="high").get_json()
    assert note["version"] == 1 and note["supersedes_id"] is None
    assert note["persons"][2]["role"] == "child"
    assert note["actions"]["house_ban_requested"] is True
    assert note["risk"]["level"] == "high" and note["risk"]["priority"] == "P3"
    assert note["urgent"] is True and note["consent"] == "yes"


def test_note_goes_on_the_timeline_without_its_content(app, client, who):
    inc = client.post(
        "/api/v1/incidents", json={"address": "Carnotstraat 12, 2060 Antwerpen"}, headers=who["an"]
    ).get_json()["id"]
    note = post_note(client, who["an"], inc).get_json()
    detail = client.get(f"/api/v1/incidents/{inc}", headers=who["an"]).get_json()
    lines = [e for e in detail["timeline"] if e["kind"] == "handover.note"]
    assert len(lines) == 1
    assert lines[0]["data"]["note_id"] == note["id"]
    assert lines[0]["data"]["organisations"] == [CAW]
    assert NOTE["summary"] not in str(lines[0])


def test_a_correction_is_a_new_version_and_history_is_kept(app, client, who):
    inc = incident(app)
    first = post_note(client, who["an"], inc).get_json()
    url = f"/api/v1/handover-notes/{first['id']}/versions"
    fixed = client.post(url, json={**NOTE, "summary": "Gecorrigeerd."}, headers=who["els"])
    assert fixed.status_code == 201
    second = fixed.get_json()
    assert (second["version"], second["supersedes_id"]) == (2, first["id"])
    again = client.post(url, json=NOTE, headers=who["an"])
    assert again.status_code == 409
    items = client.get(f"/api/v1/incidents/{inc}/handover-notes", headers=who["an"]).get_json()[
        "items"
    ]
    assert [(n["version"], n["summary"]) for n in items] == [
        (1, NOTE["summary"]),
        (2, "Gecorrigeerd."),
    ]
    assert items[0]["superseded_by_id"] == second["id"]
    assert [a.object_id for a in audits(app, "update", "handover_note")] == [second["id"]]


def test_two_corrections_of_one_version_at_once_make_one_version(app, who):
    first = post_note(app.test_client(), who["an"], incident(app)).get_json()
    url = f"/api/v1/handover-notes/{first['id']}/versions"
    barrier, statuses = threading.Barrier(2), []

    def correct(headers):
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(url, json=NOTE, headers=headers).status_code)

    threads = [threading.Thread(target=correct, args=(who[n],)) for n in ("an", "els")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [201, 409]


def test_corrections_are_validated_like_notes(app, client, who):
    first = post_note(client, who["an"], incident(app)).get_json()
    url = f"/api/v1/handover-notes/{first['id']}/versions"
    response = client.post(url, json={**NOTE, "legal_basis": None}, headers=who["an"])
    assert response.status_code == 422 and "legal_basis" in response.get_json()["fields"]


def test_every_note_is_pushed_to_supervisors_and_urgent_ones_to_their_addressees(
    app, client, who, emitted
):
    inc = incident(app)
    calm = post_note(client, who["an"], inc, organisations=[CAW, VH]).get_json()
    urgent = post_note(client, who["an"], inc, organisations=[CAW, VH], urgent=True).get_json()
    notes = [(rooms, p) for name, p, rooms in emitted if name == "handover.note"]
    assert (["supervisors"], calm["id"]) in [(r, p["id"]) for r, p in notes]
    to_supervisors = [p for r, p in notes if r == ["supervisors"] and p["id"] == urgent["id"]]
    assert to_supervisors[0]["organisations"] == [CAW, VH]
    ids = {slug: org_id(app, slug) for slug in (CAW, VH)}
    to_orgs = {r[0]: p for r, p in notes if r[0].startswith("org:")}
    assert set(to_orgs) == {f"org:{ids[CAW]}", f"org:{ids[VH]}"}
    assert to_orgs[f"org:{ids[CAW]}"]["organisations"] == [CAW]  # never the other addressees
    assert to_orgs[f"org:{ids[VH]}"]["organisations"] == [VH]
    assert all(p["id"] == urgent["id"] and "summary" not in p for p in to_orgs.values())


def test_rolled_back_note_is_never_pushed(app, client, who, emitted):
    post_note(client, who["an"], incident(app), consent="no")
    assert [e for e in emitted if e[0] == "handover.note"] == []


def test_reading_notes_is_audited(app, client, who):
    inc = incident(app)
    note = post_note(client, who["an"], inc).get_json()
    client.get(f"/api/v1/handover-notes/{note['id']}", headers=who["els"])
    client.get(f"/api/v1/incidents/{inc}/handover-notes", headers=who["an"])
    views = audits(app, "view", "handover_note")
    assert [(v.object_id, v.username) for v in views] == [(note["id"], "els")]
    lists = audits(app, "list", "handover_note")
    assert lists[-1].object_ids == [note["id"]] and lists[-1].username == "an"
