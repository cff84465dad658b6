"""Administrators manage users, units and organisations through the API."""

from __future__ import annotations

from tests.conftest import bearer, csrf_token, login, make_org, make_token, make_user


def test_a_new_account_opens_when_a_second_person_approves_and_hands_over_its_code(app):
    client = app.test_client()
    make_user(app, "boss", "admin")
    make_user(app, "chef", "supervisor")
    make_org(app, "caw-antwerpen", "caw")
    headers = bearer(make_token(app, "boss"))
    body = {"username": "lotte", "role": "social_worker", "organisation": "caw-antwerpen"}
    created = client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201
    account = created.get_json()
    assert account["active"] is False and account["grant"]["reset_code"] is None
    assert "password" not in account and "password_hash" not in account
    approved = client.post(
        f"/api/v1/role-grants/{account['grant']['id']}/approve",
        headers=bearer(make_token(app, "chef")),
    )
    assert approved.status_code == 200
    code = approved.get_json()["reset_code"]  # the supervisor hands it to Lotte
    lotte = app.test_client()
    assert login(lotte, "lotte", code).status_code == 302
    assert lotte.get("/api/v1/me").status_code == 403  # a new password first
    assert lotte.get("/packets").headers["Location"].endswith("/password/new")
    chosen = lotte.post(
        "/password/new",
        data={
            "password": "mijn-eigen-wachtwoord",
            "confirm": "mijn-eigen-wachtwoord",
            "csrf_token": csrf_token(lotte, "/password/new"),
        },
    )
    assert chosen.status_code == 302 and lotte.get("/api/v1/me").status_code == 200
    assert login(app.test_client(), "lotte", code).status_code == 401  # the code worked once
    assert login(app.test_client(), "lotte", "mijn-eigen-wachtwoord").status_code == 302
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == 409
    orphan = {**body, "username": "sam", "organisation": None}
    assert client.post("/api/v1/users", json=orphan, headers=headers).status_code == 422
    with_password = {**body, "username": "kim", "password": "door-de-beheerder"}
    refused = client.post("/api/v1/users", json=with_password, headers=headers)
    assert refused.status_code == 422 and "password" in refused.get_json()["fields"]


def test_disabling_a_user_ends_their_session(app, client):
    make_user(app, "boss", "admin")
    user_id = make_user(app, "an", "dispatcher")
    an = app.test_client()
    login(an, "an")
    assert an.get("/api/v1/me").status_code == 200
    response = client.patch(
        f"/api/v1/users/{user_id}", json={"active": False}, headers=bearer(make_token(app, "boss"))
    )
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert an.get("/api/v1/me").status_code == 401


def test_users_list_is_paginated(app, client):
    make_user(app, "boss", "admin")
    for n in range(5):
        make_user(app, f"d{n}", "dispatcher")
    page = client.get(
        "/api/v1/users?per_page=2&page=2", headers=bearer(make_token(app, "boss"))
    ).get_json()
    assert page["page"] == {"page": 2, "per_page": 2, "total": 6}
    assert [u["username"] for u in page["items"]] == ["d1", "d2"]


def test_supervisor_creates_and_edits_a_unit_with_officers(app, client):
    make_user(app, "chef", "supervisor")
    make_user(app, "sarah", "officer")
    make_user(app, "an", "dispatcher")
    headers = bearer(make_token(app, "chef"))
    body = {
        "call_sign": "NT-61",
        "phone": "0470 61 61 61",
        "skills": ["female_officer"],
        "languages": ["nl", "ar"],
        "lat": 51.21,
        "lon": 4.42,
        "shift_start": "22:00",
        "shift_end": "07:00",
        "members": ["sarah"],
    }
    created = client.post("/api/v1/units", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    unit = created.get_json()
    assert (
        unit["phone"] == "+32470616161"
        and unit["status"] == "off_duty"
        and unit["shift_start"] == "22:00"
    )
    bad_member = client.patch(
        f"/api/v1/units/{unit['id']}", json={"members": ["an"]}, headers=headers
    )
    assert bad_member.status_code == 422 and "members" in bad_member.get_json()["fields"]
    moved = client.patch(
        f"/api/v1/units/{unit['id']}", json={"skills": ["child_interviewing"]}, headers=headers
    )
    assert moved.get_json()["skills"] == ["child_interviewing"]
    board = client.get("/api/v1/units", headers=bearer(make_token(app, "an"))).get_json()
    assert [u["call_sign"] for u in board["items"]] == ["NT-61"]
