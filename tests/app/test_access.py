"""Every route declares an access policy, and each role gets what the policy says."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.policies import Policy
from tests.conftest import bearer, csrf_token, login, make_token, make_user
from tests.handover.access_rows import PAGES as HANDOVER_PAGES
from tests.handover.access_rows import ROWS as HANDOVER_ROWS
from tests.handover.weekly_rows import PAGES as WEEKLY_PAGES
from tests.handover.weekly_rows import ROWS as WEEKLY_ROWS
from tests.triage.rows import PAGES as TRIAGE_PAGES
from tests.triage.rows import ROWS as TRIAGE_ROWS

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
OFFICER_ONLY = {"anonymous": 401, **dict.fromkeys(ROLES, 403), "officer": 200}
OFFICER_PAGE = {**OFFICER_ONLY, "anonymous": 302}
PAGES = (
    HANDOVER_PAGES
    + WEEKLY_PAGES
    + TRIAGE_PAGES
    + (
        "/login/2fa",
        "/2fa/enrol",
        "/",
        "/login",
        "/logout",
        "/console",
        "/admin",
        "/unit",
        "/unit/assignments/999999",
        "/manifest.webmanifest",
        "/morning",
        "/intake",
        "/incidents/999999",
    )
)

# (method, path, {role or "anonymous": expected status}); JSON bodies are empty so allowed
# callers get 422 (validation) rather than a change.
MATRIX = [
    ("GET", "/healthz", {"anonymous": 200, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/favicon.ico", {"anonymous": 200, **dict.fromkeys(ROLES, 200)}),
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
    *WEEKLY_ROWS,
    *TRIAGE_ROWS,
    ("GET", "/api/v1/board", BOARD_ONLY),
    ("GET", "/api/v1/alarms", BOARD_ONLY),
    ("POST", "/api/v1/units/999999/messages", {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422}),
    ("GET", "/api/v1/geocode", {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422}),
    ("POST", "/api/v1/incidents/duplicates", BOARD_ONLY),
    ("GET", "/api/v1/alarms/999999", {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404}),
    (
        "POST",
        "/api/v1/alarms/999999/acknowledge",
        {**BOARD_ONLY, "dispatcher": 404, "supervisor": 404},
    ),
    ("POST", "/api/v1/me/sound", {**BOARD_ONLY, "dispatcher": 422, "supervisor": 422}),
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
    ("GET", "/password/new", {"anonymous": 302, **dict.fromkeys(ROLES, 302)}),
    ("POST", "/password/new", {"anonymous": 400, **dict.fromkeys(ROLES, 302)}),
    (
        "POST",
        "/api/v1/users/999999/reset-code",
        {"anonymous": 401, **dict.fromkeys(ROLES, 403), "admin": 404},
    ),
    (
        "GET",
        "/api/v1/role-grants",
        {"anonymous": 401, **dict.fromkeys(ROLES, 403), "admin": 200, "supervisor": 200},
    ),
    (
        "POST",
        "/api/v1/role-grants/999999/approve",
        {"anonymous": 401, **dict.fromkeys(ROLES, 403), "admin": 404, "supervisor": 404},
    ),
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
    ("GET", "/unit/assignments/999999", {**OFFICER_PAGE, "officer": 404}),
    ("GET", "/manifest.webmanifest", {"anonymous": 200, **dict.fromkeys(ROLES, 200)}),
    ("GET", "/api/v1/me/assignment", OFFICER_ONLY),
    ("GET", "/api/v1/me/assignments/999999", {**OFFICER_ONLY, "officer": 404}),
    ("POST", "/api/v1/me/report", {**OFFICER_ONLY, "officer": 422}),
    ("POST", "/api/v1/me/position", {**OFFICER_ONLY, "officer": 422}),
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


# Three more callers for every row: a social worker of another partner organisation (by default
# treated like the matrix's social worker, since the objects named by 999999 belong to nobody;
# real objects of one organisation are checked in tests/handover/test_partner_access.py and in
# OWNED_ROWS below), a telephony integration's token with scope `intake`, which may create
# incidents and read back its own and nothing else, and telephony's token with scope `aml`,
# which may post caller locations (POST /api/v1/aml, its row says so) and nothing else.
OTHER_ORG = "social_worker_other_org"
INTAKE_TOKEN = "intake_token"
AML_TOKEN = "aml_token"
# What any token reaches, whatever its scope: the public routes.
PUBLIC_ALLOWED = {
    ("GET", "/healthz"): 200,
    ("GET", "/favicon.ico"): 200,
    ("GET", "/manifest.webmanifest"): 200,
    ("GET", "/api/v1/openapi.json"): 200,
    # The login pages send anyone already authenticated (or owing no code) elsewhere.
    ("GET", "/login"): 302,
    ("POST", "/login"): 302,
    ("GET", "/login/2fa"): 302,
    ("POST", "/login/2fa"): 302,
}
INTAKE_ALLOWED = {
    **PUBLIC_ALLOWED,
    ("POST", "/api/v1/incidents"): 201,
    ("GET", "/api/v1/incidents/999999"): 404,
}


def full_expectations(method: str, path: str, expected: dict[str, int]) -> dict[str, int]:
    """The row's expectations with the other-organisation and intake-token callers added."""
    full = dict(expected)
    full.setdefault(OTHER_ORG, expected["social_worker"])
    full.setdefault(INTAKE_TOKEN, INTAKE_ALLOWED.get((method, path), 403))
    full.setdefault(AML_TOKEN, PUBLIC_ALLOWED.get((method, path), 403))
    return full


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


def _callers(app) -> dict[str, str]:
    """Usernames and tokens for every caller of the matrix."""
    for role in ROLES:
        make_user(app, f"u-{role}", role)
    make_user(app, f"u-{OTHER_ORG}", "social_worker", org="caw-other")
    tokens = {who: make_token(app, f"u-{who}") for who in (*ROLES, OTHER_ORG)}
    tokens[INTAKE_TOKEN] = make_token(app, "u-dispatcher", scopes=["intake"])
    tokens[AML_TOKEN] = make_token(app, "u-dispatcher", scopes=["aml"])
    return tokens


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_each_role_gets_what_the_policy_says(app, method, path, expected):
    tokens = _callers(app)
    wrong = []
    for who, status in full_expectations(method, path, expected).items():
        client = app.test_client()
        headers = bearer(tokens[who]) if who != "anonymous" else {}
        if path in PAGES and who not in ("anonymous", INTAKE_TOKEN, AML_TOKEN):
            login(client, f"u-{who}")
            headers = {"X-CSRFToken": csrf_token(client, "/")} if method == "POST" else {}
        body = {} if method in ("POST", "PATCH", "PUT") else None
        response = client.open(path, method=method, json=body, headers=headers)
        if response.status_code != status:
            wrong.append(f"{who}: {response.status_code}, expected {status}")
        elif path.startswith("/api/") and status >= 400:
            assert set(response.get_json()) == {"error", "message", "fields"}
    assert wrong == [], f"{method} {path}"


# Socket.IO: every handler of every namespace, with the rooms each caller ends up in
# (None: the connection is refused). Rooms decide which live events a caller receives.
SOCKET_MATRIX = {
    ("/console", "connect"): {
        "anonymous": None,
        "dispatcher": {"board"},
        "officer": {"officer"},
        "supervisor": {"board", "supervisors"},
        "social_worker": {"org:caw-antwerpen"},
        OTHER_ORG: {"org:caw-other"},
        "admin": None,  # administrators get no live case data
        INTAKE_TOKEN: None,  # a telephony integration only creates incidents
        AML_TOKEN: None,  # telephony's caller locations: nothing live
        "supervisor_without_2fa": None,  # owes enrolment: nothing live until then
    },
}


def _socket_handlers() -> dict[tuple[str, str], object]:
    """Every handler the Socket.IO server will call, by (namespace, event)."""
    from core.extensions import socketio

    found = {}
    if socketio.server is not None:
        for namespace, events in socketio.server.handlers.items():
            for event, handler in events.items():
                found[(namespace, event)] = handler
    for event, handler, namespace in socketio.handlers:
        found[(namespace or "/", event)] = handler
    return found


def test_every_socket_handler_declares_a_policy_and_is_in_the_matrix(backend_app):
    handlers = _socket_handlers()
    assert handlers, "no Socket.IO handlers found"
    for key, handler in handlers.items():
        assert isinstance(getattr(handler, "access_policy", None), Policy), key
        assert key in SOCKET_MATRIX, key


def _probe_rooms(app, sock) -> set[str]:
    """Which of the probe events (one per room) this connection received."""
    from core.realtime import NAMESPACE

    names = {e["name"] for e in sock.get_received(NAMESPACE)}
    return {name.removeprefix("probe:") for name in names if name.startswith("probe:")}


@pytest.mark.parametrize("namespace,event", list(SOCKET_MATRIX))
def test_each_caller_gets_what_the_socket_policy_says(app, namespace, event, socket_client):
    from accounts.models import User
    from core.db import db
    from core.extensions import socketio
    from tests.conftest import make_app

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])  # the Socket.IO server binds to it
    tokens = _callers(live)
    make_user(live, "u-supervisor_without_2fa", "supervisor", totp=False)
    with live.app_context():
        users = {u.username: u for u in db.session.scalars(select(User)).all()}
        rooms = {
            "board": "board",
            "supervisors": "supervisors",
            "officer": f"officer:{users['u-officer'].id}",
            "org:caw-antwerpen": f"org:{users['u-social_worker'].organisation_id}",
            "org:caw-other": f"org:{users[f'u-{OTHER_ORG}'].organisation_id}",
        }
        db.session.remove()
    wrong, socks = [], {}
    for who, expected in SOCKET_MATRIX[(namespace, event)].items():
        if who == "anonymous":
            sock = socket_client(live, namespace=namespace)
        elif who in (INTAKE_TOKEN, AML_TOKEN, "admin"):
            sock = socket_client(live, token=tokens[who], namespace=namespace)
        else:
            sock = socket_client(live, f"u-{who}", namespace=namespace)
        connected = sock.is_connected(namespace)
        if connected != (expected is not None):
            wrong.append(f"{who}: connected={connected}")
        socks[who] = sock
    for label, room in rooms.items():
        socketio.emit(f"probe:{label}", {}, to=room, namespace=namespace)
    for who, sock in socks.items():
        expected = SOCKET_MATRIX[(namespace, event)][who]
        if expected is not None and sock.is_connected(namespace):
            got = _probe_rooms(live, sock)
            if got != expected:
                wrong.append(f"{who}: rooms {sorted(got)}, expected {sorted(expected)}")
            sock.disconnect(namespace=namespace)
    assert wrong == []
