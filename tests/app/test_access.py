"""Every route declares an access policy, and each role gets what the policy says."""

from __future__ import annotations

import re

import pytest

from app.security import Policy
from tests.conftest import bearer, csrf_token, login, make_token, make_user
from tests.handover.access_rows import PAGES as HANDOVER_PAGES
from tests.handover.access_rows import ROWS as HANDOVER_ROWS

ROLES = ["dispatcher", "officer", "supervisor", "social_worker", "admin"]

BOARD_ONLY = {
    "anonymous": 401,
    "dispatcher": 200,
    "officer": 403,
    "supervisor": 200,
    "social_worker": 403,
    "admin": 403,
}
BOARD_PAGE = {**BOARD_ONLY, "anonymous": 302}
SUPERVISOR_ONLY = {**BOARD_ONLY, "dispatcher": 403}
PAGES = HANDOVER_PAGES + (
    "/login/2fa",
    "/2fa/enrol",
    "/",
    "/login",
    "/logout",
    "/console",
    "/admin",
    "/unit",
    "/morning",
    "/intake",
    "/incidents/999999",
)

# (method, path, {role or "anonymous": expected status}); JSON bodies are empty so allowed
# callers get 422 (validation) rather than a change.
MATRIX = [
    ("GET", "/healthz", {"anonymous": 200, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/api/v1/openapi.json", {"anonymous": 200, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/api/v1/me", {"anonymous": 401, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/api/v1/organisations", {"anonymous": 401, **dict.fromkeys(ROLES, 200)}),
    (
        "POST",
        "/api/v1/organisations",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 422,
        },
    ),
    (
        "GET",
        "/api/v1/users",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 200,
        },
    ),
    (
        "POST",
        "/api/v1/users",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 422,
        },
    ),
    (
        "PATCH",
        "/api/v1/users/999999",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 404,
        },
    ),
    (
        "GET",
        "/api/v1/units",
        {
            "anonymous": 401,
            "dispatcher": 200,
            "officer": 403,
            "supervisor": 200,
            "social_worker": 403,
            "admin": 200,
        },
    ),
    (
        "POST",
        "/api/v1/units",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 422,
            "social_worker": 403,
            "admin": 422,
        },
    ),
    (
        "PATCH",
        "/api/v1/units/999999",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 404,
            "social_worker": 403,
            "admin": 404,
        },
    ),
    ("GET", "/api/v1/incidents", BOARD_ONLY),
    ("POST", "/api/v1/incidents", {**BOARD_ONLY, "dispatcher": 201, "supervisor": 201}),
    ("GET", "/api/v1/incidents/999999", {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404}),
    ("PATCH", "/api/v1/incidents/999999", {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404}),
    (
        "GET",
        "/api/v1/incidents/999999/assessments",
        {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404},
    ),
    (
        "POST",
        "/api/v1/incidents/999999/assessments",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    (
        "POST",
        "/api/v1/incidents/999999/priority",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    ("GET", "/api/v1/instruments", BOARD_ONLY),
    ("GET", "/api/v1/instruments/dash", BOARD_ONLY),
    (
        "POST",
        "/api/v1/instruments/dash/preview",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    ("POST", "/api/v1/units/999999/status", {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422}),
    (
        "GET",
        "/api/v1/incidents/999999/recommendations",
        {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404},
    ),
    (
        "POST",
        "/api/v1/incidents/999999/assignments",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    (
        "GET",
        "/api/v1/incidents/999999/assignments",
        {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404},
    ),
    (
        "POST",
        "/api/v1/assignments/999999/release",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    (
        "GET",
        "/api/v1/incidents/999999/messages",
        {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404},
    ),
    ("POST", "/webhooks/twilio/sms", {"anonymous": 403, **dict.fromkeys(ROLES, 403)}),
    ("POST", "/webhooks/twilio/status", {"anonymous": 403, **dict.fromkeys(ROLES, 403)}),
    *HANDOVER_ROWS,
    ("GET", "/api/v1/board", BOARD_ONLY),
    (
        "GET",
        "/api/v1/audit",
        {
            "anonymous": 401,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 200,
            "social_worker": 403,
            "admin": 200,
        },
    ),
    ("GET", "/api/v1/dispositions", BOARD_ONLY),
    (
        "POST",
        "/api/v1/incidents/999999/close",
        {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422},
    ),
    ("POST", "/api/v1/incidents/999999/legal-hold", {**SUPERVISOR_ONLY, "supervisor": 422}),
    ("DELETE", "/api/v1/incidents/999999/legal-hold", {**SUPERVISOR_ONLY, "supervisor": 404}),
    ("POST", "/api/v1/incidents/999999/restriction", {**SUPERVISOR_ONLY, "supervisor": 422}),
    ("DELETE", "/api/v1/incidents/999999/restriction", {**SUPERVISOR_ONLY, "supervisor": 404}),
    ("GET", "/login/2fa", {"anonymous": 302, **dict.fromkeys(ROLES, 302)}),
    ("POST", "/login/2fa", {"anonymous": 400, **dict.fromkeys(ROLES, 302)}),
    ("GET", "/2fa/enrol", {"anonymous": 302, **dict.fromkeys(ROLES, 200)}),
    ("POST", "/2fa/enrol", {"anonymous": 400, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/intake", BOARD_PAGE),
    ("GET", "/incidents/999999", {**BOARD_PAGE, "dispatcher": 404, "supervisor": 404}),
    ("GET", "/", {"anonymous": 302, **dict.fromkeys(ROLES, 302)}),
    ("GET", "/login", {"anonymous": 200, **dict.fromkeys(ROLES, 302)}),
    ("POST", "/login", {"anonymous": 400, **dict.fromkeys(ROLES, 302)}),
    ("POST", "/logout", {"anonymous": 400, **dict.fromkeys(ROLES, 302)}),
    (
        "GET",
        "/console",
        {
            "anonymous": 302,
            "dispatcher": 200,
            "officer": 403,
            "supervisor": 200,
            "social_worker": 403,
            "admin": 403,
        },
    ),
    (
        "GET",
        "/admin",
        {
            "anonymous": 302,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/unit",
        {
            "anonymous": 302,
            "dispatcher": 403,
            "officer": 200,
            "supervisor": 403,
            "social_worker": 403,
            "admin": 403,
        },
    ),
    (
        "GET",
        "/morning",
        {
            "anonymous": 302,
            "dispatcher": 403,
            "officer": 403,
            "supervisor": 403,
            "social_worker": 302,
            "admin": 403,
        },
    ),
]


def test_every_route_declares_a_policy_and_is_in_the_matrix(backend_app):
    covered = {(m, p) for m, p, _ in MATRIX}
    missing_policy, missing_matrix = [], []
    for rule in backend_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = backend_app.view_functions[rule.endpoint]
        if not isinstance(getattr(view, "access_policy", None), Policy):
            missing_policy.append(rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            concrete = re.sub(r"<\w+>", "dash", re.sub(r"<int:\w+>", "999999", rule.rule))
            if (method, concrete) not in covered:
                missing_matrix.append(f"{method} {rule.rule}")
    assert missing_policy == []
    assert missing_matrix == []


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_each_role_gets_what_the_policy_says(app, method, path, expected):
    for role in ROLES:
        make_user(app, f"u-{role}", role)
    tokens = {role: make_token(app, f"u-{role}") for role in ROLES}
    for who, status in expected.items():
        client = app.test_client()
        headers = bearer(tokens[who]) if who != "anonymous" else {}
        if path in PAGES and who != "anonymous":
            login(client, f"u-{who}")
            headers = {"X-CSRFToken": csrf_token(client, "/")} if method == "POST" else {}
        response = client.open(
            path, method=method, json={} if method in ("POST", "PATCH") else None, headers=headers
        )
        assert response.status_code == status, f"{who} {method} {path}: {response.status_code}"
        if path.startswith("/api/") and status >= 400:
            assert set(response.get_json()) == {"error", "message", "fields"}
