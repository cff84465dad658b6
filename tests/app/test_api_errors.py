"""Malformed requests to /api get a 4xx in the JSON error shape, never a 500, never a write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from dispatch.models import Unit
from tests.conftest import bearer, make_token, make_user

GOOD_UNIT = {
    "call_sign": "NT-99",
    "phone": "+32470999999",
    "skills": ["first_aid"],
    "languages": ["nl"],
}

BAD_BODIES = [
    ("not json", "text/plain", "hello", 400, None),
    ("broken json", "application/json", '{"call_sign": ', 400, None),
    ("array", "application/json", "[1, 2]", 422, "body"),
    (
        "wrong type",
        "application/json",
        '{"call_sign": 12, "phone": "+32470999999"}',
        422,
        "call_sign",
    ),
    (
        "unknown field",
        "application/json",
        '{"call_sign": "NT-1", "phone": "+32470999999", "colour": "red"}',
        422,
        "colour",
    ),
    (
        "huge string",
        "application/json",
        '{"call_sign": "' + "x" * 200_000 + '", "phone": "+32470999999"}',
        422,
        "call_sign",
    ),
    ("missing field", "application/json", '{"call_sign": "NT-1"}', 422, "phone"),
    (
        "bad latitude",
        "application/json",
        '{"call_sign": "NT-1", "phone": "+32470999999", "lat": 123}',
        422,
        "lat",
    ),
    (
        "bad shift",
        "application/json",
        '{"call_sign": "NT-1", "phone": "+32470999999", "shift_start": "25:00"}',
        422,
        "shift_start",
    ),
    (
        "nan",
        "application/json",
        '{"call_sign": "NT-1", "phone": "+32470999999", "lat": NaN}',
        422,
        "lat",
    ),
    ("null body", "application/json", "null", 400, None),
]


@pytest.mark.parametrize("name,ctype,data,status,field", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_field_level_4xx(app, client, name, ctype, data, status, field):
    make_user(app, "boss", "admin")
    raw = make_token(app, "boss")
    response = client.post("/api/v1/units", data=data, content_type=ctype, headers=bearer(raw))
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "message", "fields"} and body["message"]
    if field:
        assert field in body["fields"]
    with app.app_context():
        assert db.session.execute(select(func.count(Unit.id))).scalar_one() == 0


def test_body_over_the_size_limit_is_413_json(app, client):
    make_user(app, "boss", "admin")
    raw = make_token(app, "boss")
    response = client.post(
        "/api/v1/units",
        data="x" * (2 * 1024 * 1024),
        content_type="application/json",
        headers=bearer(raw),
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"


def test_bad_query_parameters_are_422(app, client):
    make_user(app, "boss", "admin")
    raw = make_token(app, "boss")
    response = client.get("/api/v1/users?page=-1&per_page=abc", headers=bearer(raw))
    assert response.status_code == 422
    assert {"page", "per_page"} <= set(response.get_json()["fields"])


def test_unknown_api_path_and_method_are_json(app, client):
    assert client.get("/api/v1/nope").get_json()["error"] == "not_found"
    response = client.delete("/api/v1/me")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_valid_unit_is_created_and_a_duplicate_is_409(app, client):
    make_user(app, "boss", "admin")
    raw = make_token(app, "boss")
    created = client.post("/api/v1/units", json=GOOD_UNIT, headers=bearer(raw))
    assert created.status_code == 201
    assert created.get_json()["status"] == "off_duty"
    duplicate = client.post("/api/v1/units", json=GOOD_UNIT, headers=bearer(raw))
    assert duplicate.status_code == 409
    assert "call_sign" in duplicate.get_json()["fields"]


def test_a_bug_answers_500_json_without_details(app, client, monkeypatch):
    from dispatch import service

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "list_units", boom)
    make_user(app, "d", "dispatcher")
    response = client.get("/api/v1/units", headers=bearer(make_token(app, "d")))
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.get_json()["error"] == "internal_error"
