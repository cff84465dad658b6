"""Login, logout, sessions, CSRF, rate limiting and API tokens."""

from __future__ import annotations

import datetime as dt

from accounts import service as accounts
from accounts.models import ApiToken
from core import clock as core_clock
from core.db import db
from tests.conftest import PASSWORD, bearer, csrf_token, login, make_token, make_user


def test_login_page_renders_in_dutch_with_a_csrf_token(client):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Aanmelden" in html and 'name="csrf_token"' in html


def test_dispatcher_logs_in_and_lands_on_the_console(app, client):
    make_user(app, "an", "dispatcher")
    response = login(client, "an")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/console")
    assert client.get("/api/v1/me").get_json() == {
        "username": "an",
        "role": "dispatcher",
        "organisation": "politie-antwerpen",
        "sound_muted": False,
    }


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client):
    make_user(app, "an", "dispatcher")
    wrong = login(client, "an", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Onbekende gebruiker of fout wachtwoord" in wrong.get_data(as_text=True)
    assert "Onbekende gebruiker of fout wachtwoord" in unknown.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, client):
    make_user(app, "an", "dispatcher")
    response = client.post("/login", data={"username": "an", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_login_is_rate_limited(app, client):
    make_user(app, "an", "dispatcher")
    statuses = [login(client, "an", "wrong-password-x").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429


def test_logout_revokes_the_session_server_side(app, client):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    stolen_cookie = client.get_cookie("session").value
    token = csrf_token(client, "/console")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/api/v1/me").status_code == 401


def test_password_change_revokes_existing_sessions(app, client):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    with app.app_context():
        accounts.set_password(accounts.user_by_name("an"), "another-long-password")
        db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    make_user(app, "an", "dispatcher")
    response = login(client, "an")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_api_post_with_session_cookie_needs_csrf_header(app, client):
    make_user(app, "boss", "admin")
    login(client, "boss")
    body = {"slug": "jeugdhulp", "name": "Jeugdhulp", "kind": "other"}
    refused = client.post("/api/v1/organisations", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "bad_request"
    token = csrf_token(client, "/admin")
    accepted = client.post("/api/v1/organisations", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_token_authenticates_and_is_stored_hashed(app, client):
    make_user(app, "telefonie", "dispatcher")
    raw = make_token(app, "telefonie")
    assert client.get("/api/v1/me", headers=bearer(raw)).get_json()["username"] == "telefonie"
    with app.app_context():
        stored = db.session.execute(db.select(ApiToken)).scalar_one()
        assert raw not in (stored.token_hash, stored.prefix + "x")
        assert stored.last_used_at is not None


def test_revoked_expired_or_wrong_tokens_are_refused(app, client):
    make_user(app, "telefonie", "dispatcher")
    revoked, expired = make_token(app, "telefonie"), make_token(app, "telefonie")
    with app.app_context():
        tokens = db.session.execute(db.select(ApiToken).order_by(ApiToken.id)).scalars().all()
        tokens[0].revoked_at = core_clock.now()
        tokens[1].expires_at = core_clock.now() - dt.timedelta(minutes=1)
        db.session.commit()
    for raw in (revoked, expired, "nw_not-a-real-token"):
        response = client.get("/api/v1/me", headers=bearer(raw))
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"


def test_inactive_user_cannot_log_in(app, client):
    make_user(app, "gone", "dispatcher")
    with app.app_context():
        accounts.user_by_name("gone").active = False
        db.session.commit()
    assert login(client, "gone").status_code == 401


def test_login_redirect_only_follows_local_paths(app, client):
    make_user(app, "an", "dispatcher")
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "an", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_failed_logins_slow_an_account_from_one_address_never_the_right_person(
    app, client, monkeypatch
):
    """Issue 16, finding 4: twenty wrong passwords from five addresses used to lock the real
    user out for an hour; now they slow those addresses and alert the supervisors."""
    from sqlalchemy import select

    from core.audit import AuditEvent

    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "100 per minute")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per hour")
    make_user(app, "an", "dispatcher")
    one_place = app.test_client()
    one_place.environ_base["REMOTE_ADDR"] = "10.0.9.9"
    statuses = [login(one_place, "an", "wrong-password-x").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]  # that address waits
    for n in range(16):  # and five more addresses keep failing on the account
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"10.0.0.{n % 5}"
        login(other, "an", "wrong-password-x")
    dispatcher = app.test_client()
    dispatcher.environ_base["REMOTE_ADDR"] = "10.0.5.5"  # the real dispatcher, at the console
    assert login(dispatcher, "an").status_code == 302
    assert dispatcher.get("/api/v1/me").status_code == 200
    with app.app_context():
        bursts = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "login_burst"))
            .scalars()
            .all()
        )
        assert len(bursts) >= 1 and bursts[0].username == "an"


def test_pages_and_api_carry_the_security_headers(app, client):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    page = client.get("/console")
    csp = page.headers["Content-Security-Policy"]
    for part in (
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
    ):
        assert part in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"
