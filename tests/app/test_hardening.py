"""Hold on a hostile night (issue 16): one test per finding, each failing before its fix."""

from __future__ import annotations

from tests.conftest import csrf_token, login, make_user
from tests.triage.helpers import CALL


def test_7_a_junk_bearer_header_does_not_switch_off_csrf(app, client):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    forged = client.post(
        "/api/v1/incidents", json=CALL, headers={"Authorization": "Bearer junk"}
    )  # a page on another site cannot set this header, but a browser extension or proxy can
    assert forged.status_code == 400 and forged.get_json()["error"] == "bad_request"
    token = csrf_token(client, "/intake")
    taken = client.post("/api/v1/incidents", json=CALL, headers={"X-CSRFToken": token})
    assert taken.status_code == 201


def test_7_logging_in_starts_a_new_session_with_a_new_csrf_token(app, client):
    make_user(app, "an", "dispatcher")
    before = csrf_token(client)  # planted by whoever had the browser before
    login(client, "an")
    after = csrf_token(client, "/intake")
    assert after != before
    stale = client.post("/api/v1/incidents", json=CALL, headers={"X-CSRFToken": before})
    assert stale.status_code == 400
    assert (
        client.post("/api/v1/incidents", json=CALL, headers={"X-CSRFToken": after}).status_code
        == 201
    )


def test_7_a_session_ends_session_hours_after_login_however_busy(app, client, clock):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    hours = app.config["SESSION_HOURS"]
    for _ in range(hours - 1):  # busy all night: a request every hour
        clock.advance(hours=1)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=59)
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=2)  # SESSION_HOURS after the login
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/console").status_code == 302  # back to the login page


def test_8_json_nested_beyond_reason_is_a_400_not_a_500(app, client):
    from tests.conftest import bearer, make_token

    make_user(app, "an", "dispatcher")
    headers = {**bearer(make_token(app, "an")), "Content-Type": "application/json"}
    deep = '{"address": "Kiel 5", "persons": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post("/api/v1/incidents", data=deep, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"
    # Brackets inside strings are text, not nesting: such a call is taken as usual.
    wordy = client.post(
        "/api/v1/incidents",
        json={**CALL, "narrative": "[[[[" * 100 + "schreeuwen" + "]]]]" * 100},
        headers=bearer(make_token(app, "an")),
    )
    assert wordy.status_code == 201
    # A body json.loads reads as UTF-16 hides its brackets from a UTF-8 reading: still a 400.
    utf16 = ('["\u0122", ' + "[" * 5000 + "]" * 5000 + "]").encode("utf-16-le")  # Ģ: 22 01
    assert client.post("/api/v1/incidents", data=utf16, headers=headers).status_code == 400
    # An unclosed string of escaped quotes (a regular expression's worst case), anonymously at
    # the login form, whose CSRF layer parses JSON bodies too: answered, not a frozen process.
    anonymous = app.test_client()
    token = csrf_token(anonymous)
    crafted = '"' + '\\"' * 200_000
    answered = anonymous.post(
        "/login",
        data=crafted,
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert answered.status_code == 400


def test_9_the_development_server_logs_paths_without_query_strings(caplog):
    import io
    import logging

    from app.serve import PathOnlyRequestHandler

    handler = PathOnlyRequestHandler.__new__(PathOnlyRequestHandler)  # no socket: log only
    handler.command, handler.request_version = "GET", "HTTP/1.1"
    handler.path = "/socket.io/?EIO=4&transport=websocket&sid=Xy12abc"
    handler.client_address, handler.wfile = ("127.0.0.1", 5000), io.BytesIO()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        handler.log_request(200, 12)
    assert "/socket.io/" in caplog.text and "sid=" not in caplog.text and "EIO" not in caplog.text
    assert handler.path.endswith("sid=Xy12abc")  # only the log line is shortened


def _no_sockets(app) -> None:
    """Close what earlier tests left open on this (session-wide) app's Socket.IO server."""
    from app.sockets import SERVER

    engine = app.extensions[SERVER].eio
    for sid in list(engine.sockets):
        engine.sockets.pop(sid).close(wait=False, abort=True)


def _handshake(client, **headers):
    """An Engine.IO polling handshake, as a browser's first Socket.IO request."""
    return client.get("/socket.io/?EIO=4&transport=polling", headers=headers)


def test_1_no_socket_without_an_account_that_may_listen(app, client):
    from tests.conftest import bearer, make_token

    assert _handshake(client).status_code == 401  # anonymous: refused before any socket exists
    assert _handshake(client, Authorization="Bearer junk").status_code == 401
    make_user(app, "beheer", "admin", totp=False)
    login(client, "beheer")
    assert _handshake(client).status_code == 401  # admins get no live case data
    make_user(app, "an", "dispatcher")
    assert _handshake(app.test_client(), **bearer(make_token(app, "an"))).status_code == 200
    console = app.test_client()
    login(console, "an")
    opened = _handshake(console)
    assert opened.status_code == 200 and '"sid"' in opened.get_data(as_text=True)


def test_1_only_the_console_namespace_and_only_for_a_few_seconds_unjoined(app, client):
    import json
    import time

    make_user(app, "an", "dispatcher")
    login(client, "an")
    app.config["SOCKET_JOIN_TIMEOUT_S"] = 0.3
    body = _handshake(client).get_data(as_text=True)
    sid = json.loads(body[body.index("{") :])["sid"]
    url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert client.post(url, data="40").status_code == 200  # CONNECT to the default namespace
    refused = client.get(url).get_data(as_text=True)
    assert refused.startswith("44") and "/console" not in refused  # CONNECT_ERROR for "/"
    time.sleep(1.5)  # never joined /console: the server closes it after SOCKET_JOIN_TIMEOUT_S
    closed = client.get(url)
    assert closed.status_code == 400  # the session is gone


def test_1_a_process_holds_at_most_max_sockets(app):
    from app.sockets import SERVER

    _no_sockets(app)
    make_user(app, "an", "dispatcher")
    app.config["MAX_SOCKETS_PER_USER"] = 1000
    engine = app.extensions[SERVER].eio
    app.config["MAX_SOCKETS_PER_PROCESS"] = (
        sum(1 for s in engine.sockets.values() if not s.closed) + 2
    )
    consoles = [app.test_client() for _ in range(3)]
    for console in consoles:
        login(console, "an")
    assert [_handshake(c).status_code for c in consoles] == [200, 200, 401]
    assert app.test_client().get("/healthz").status_code == 200  # HTTP still answers


def _password_step(client, username):
    from tests.conftest import PASSWORD

    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


def _code_step(client, code):
    return client.post(
        "/login/2fa", data={"code": code, "csrf_token": csrf_token(client, "/login/2fa")}
    )


def test_3_a_code_works_once(app, clock):
    from tests.conftest import phone_code

    make_user(app, "chef", "supervisor")
    first, second = app.test_client(), app.test_client()
    code = phone_code(app, "chef")
    _password_step(first, "chef")
    assert _code_step(first, code).status_code == 302  # logged in
    _password_step(second, "chef")  # someone who saw the code over the shoulder
    assert _code_step(second, code).status_code == 401
    assert second.get("/api/v1/me").status_code == 401


def test_3_the_password_step_lasts_five_minutes_and_three_wrong_codes(app, client, clock):
    from tests.conftest import phone_code

    make_user(app, "chef", "supervisor")
    _password_step(client, "chef")
    clock.advance(minutes=5, seconds=1)
    expired = _code_step(client, phone_code(app, "chef"))
    assert expired.status_code == 302 and expired.headers["Location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    _password_step(client, "chef")
    assert [_code_step(client, "000000").status_code for _ in range(2)] == [401, 401]
    third = _code_step(client, "000000")
    assert third.status_code == 302 and third.headers["Location"] == "/login"
    assert _code_step(client, phone_code(app, "chef")).headers["Location"].startswith("/login")


def test_3_wrong_codes_from_many_places_slow_the_account_not_just_the_address(app, clock):
    from tests.conftest import phone_code

    make_user(app, "chef", "supervisor")
    for n in range(5):  # five guessers, each from its own session and address
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        _password_step(guesser, "chef")
        assert _code_step(guesser, f"00000{n}").status_code == 401
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    _password_step(owner, "chef")
    waited = _code_step(owner, phone_code(app, "chef"))
    assert waited.status_code == 429  # even the right code waits its turn
    clock.advance(seconds=31)
    assert _code_step(owner, phone_code(app, "chef")).status_code == 302
    assert owner.get("/api/v1/me").status_code == 200


def test_3_replacing_the_second_factor_needs_the_password_and_the_current_code(app, client):
    from tests.conftest import PASSWORD, phone_code

    make_user(app, "chef", "supervisor")
    login(client, "chef")
    page = client.get("/2fa/enrol").get_data(as_text=True)
    assert "<svg" not in page and 'name="password"' in page  # no new secret on an open session
    token = csrf_token(client, "/2fa/enrol")
    wrong = client.post(
        "/2fa/enrol", data={"password": "raden", "code": "000000", "csrf_token": token}
    )
    assert wrong.status_code == 401
    right = client.post(
        "/2fa/enrol",
        data={"password": PASSWORD, "code": phone_code(app, "chef"), "csrf_token": token},
    )
    assert right.status_code == 302
    assert "<svg" in client.get("/2fa/enrol").get_data(as_text=True)


def test_4_a_burst_of_failed_logins_alerts_the_supervisors_live(app, socket_client):
    from core.realtime import NAMESPACE
    from tests.conftest import make_app

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    live.config.update(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ALARM_FAILURES=4)
    make_user(live, "an", "dispatcher")
    make_user(live, "chef", "supervisor")
    make_user(live, "d2", "dispatcher")
    supervisor, dispatcher = socket_client(live, "chef"), socket_client(live, "d2")
    for n in range(4):
        guesser = live.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert login(guesser, "an", "geraden-wachtwoord").status_code == 401
    alarms = [e["args"][0] for e in supervisor.get_received(NAMESPACE) if e["name"] == "escalation"]
    assert [(a["kind"], a["username"], a["failures"]) for a in alarms] == [("login_burst", "an", 4)]
    assert not [e for e in dispatcher.get_received(NAMESPACE) if e["name"] == "escalation"]


def test_5_an_admin_alone_cannot_reach_case_content_through_any_account(app, client):
    from tests.conftest import bearer, make_token

    boss_id = make_user(app, "boss", "admin")
    make_user(app, "boss2", "admin")
    make_user(app, "chef", "supervisor")
    an_id = make_user(app, "an", "dispatcher")
    boss = bearer(make_token(app, "boss"))
    # Not through a new account: it stays disabled, its code goes to the approver.
    created = client.post("/api/v1/users", json={"username": "mol", "role": "dispatcher"},
                          headers=boss)  # fmt: skip
    mol = created.get_json()
    assert created.status_code == 201 and mol["active"] is False
    revived = client.patch(f"/api/v1/users/{mol['id']}", json={"active": True}, headers=boss)
    assert revived.status_code == 409  # not before approval
    own = client.post(f"/api/v1/role-grants/{mol['grant']['id']}/approve", headers=boss)
    assert own.status_code == 403  # not by the one who asked
    # Not through their own account: no role change, no reset code, no reactivation.
    for call in (
        client.patch(f"/api/v1/users/{boss_id}", json={"role": "dispatcher"}, headers=boss),
        client.post(f"/api/v1/users/{boss_id}/reset-code", headers=boss),
    ):
        assert call.status_code == 403
    # Not through someone else's: a role or a reset code waits for a second person, and the
    # code goes to that person, never to the administrator.
    promoted = client.patch(f"/api/v1/users/{an_id}", json={"role": "admin"}, headers=boss)
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "dispatcher"
    asked = client.post(f"/api/v1/users/{an_id}/reset-code", headers=boss)
    assert asked.status_code == 202 and asked.get_json()["reset_code"] is None
    assert (
        client.patch(
            f"/api/v1/users/{an_id}", json={"password": "beheerder-kent-dit"}, headers=boss
        ).status_code
        == 422
    )
    session = app.test_client()
    login(session, "an")
    assert session.get("/api/v1/me").status_code == 200  # nothing happened yet
    kinds = {
        g["kind"]: g for g in client.get("/api/v1/role-grants", headers=boss).get_json()["items"]
    }
    assert set(kinds) == {"account", "role", "reset"}
    chef = bearer(make_token(app, "chef"))
    reset = client.post(f"/api/v1/role-grants/{kinds['reset']['id']}/approve", headers=chef)
    assert reset.status_code == 200 and reset.get_json()["reset_code"]  # for the supervisor
    assert session.get("/api/v1/me").status_code == 401  # an's session and password ended
    assert login(app.test_client(), "an").status_code == 401
    boss2 = bearer(make_token(app, "boss2"))
    role = client.post(f"/api/v1/role-grants/{kinds['role']['id']}/approve", headers=boss2)
    assert role.status_code == 200
    users = {
        u["username"]: u for u in client.get("/api/v1/users", headers=boss).get_json()["items"]
    }
    assert users["an"]["role"] == "admin"


def test_5_every_admin_action_on_accounts_reaches_the_supervisors_live(app, socket_client):
    from core.realtime import NAMESPACE
    from tests.conftest import bearer, make_app, make_token

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    make_user(live, "boss", "admin")
    make_user(live, "chef", "supervisor")
    an_id = make_user(live, "an", "dispatcher")
    supervisor = socket_client(live, "chef")
    client = live.test_client()
    boss = bearer(make_token(live, "boss"))
    client.post(f"/api/v1/users/{an_id}/reset-code", headers=boss)
    client.patch(f"/api/v1/users/{an_id}", json={"display_name": "An P."}, headers=boss)
    seen = [
        (e["args"][0]["action"], e["args"][0]["admin"], e["args"][0]["username"])
        for e in supervisor.get_received(NAMESPACE)
        if e["name"] == "escalation" and e["args"][0].get("kind") == "account_change"
    ]
    assert seen == [("reset_requested", "boss", "an"), ("update", "boss", "an")]


def test_3_the_same_code_sent_six_times_at_once_logs_in_once(app, clock):
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import phone_code

    make_user(app, "chef", "supervisor")
    clients = [app.test_client() for _ in range(6)]
    for n, each in enumerate(clients):
        each.environ_base["REMOTE_ADDR"] = f"10.0.2.{n + 1}"
        _password_step(each, "chef")
    tokens = [csrf_token(each, "/login/2fa") for each in clients]
    code = phone_code(app, "chef")

    def send(pair):
        each, token = pair
        return each.post("/login/2fa", data={"code": code, "csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(send, zip(clients, tokens, strict=True)))
    assert sorted(statuses) == [302, 401, 401, 401, 401, 401]


def test_1_one_account_holds_at_most_max_sockets_per_user(app):
    _no_sockets(app)
    make_user(app, "an", "dispatcher")
    make_user(app, "d2", "dispatcher")
    app.config.update(MAX_SOCKETS_PER_USER=2, MAX_SOCKETS_PER_PROCESS=1000)
    consoles = [app.test_client() for _ in range(3)]
    for console in consoles:
        login(console, "an")
    assert [_handshake(c).status_code for c in consoles] == [200, 200, 401]
    other = app.test_client()
    login(other, "d2")
    assert _handshake(other).status_code == 200  # another dispatcher is not held back


def test_5_only_a_reset_code_session_sets_a_password_without_the_old_one(app, client):
    from tests.conftest import bearer, make_token

    make_user(app, "an", "dispatcher")
    token = bearer(make_token(app, "an"))
    stolen = client.post(
        "/password/new",
        data={"password": "overgenomen-account", "confirm": "overgenomen-account"},
        headers=token,
    )
    assert stolen.status_code == 302
    session = app.test_client()
    login(session, "an")
    assert session.get("/password/new").status_code == 302  # an open session neither
    assert login(app.test_client(), "an").status_code == 302  # the password is unchanged


def test_the_login_page_says_why_in_dutch(app, client):
    landed = client.get("/console", follow_redirects=True).get_data(as_text=True)
    assert "Meld je aan om deze pagina te zien." in landed and "Please log in" not in landed
