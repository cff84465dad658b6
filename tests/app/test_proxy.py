"""Behind nginx: client address, scheme and host come from X-Forwarded-* only when trusted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from tests.conftest import PASSWORD, csrf_token, make_app, make_user

PROXY = "10.0.0.5"  # nginx, as the app's socket sees it
CLIENT_A, CLIENT_B = "203.0.113.7", "203.0.113.8"
SPOOFED = "198.51.100.66"  # what a client writes into X-Forwarded-For itself


@pytest.fixture
def proxied(app):
    """A fresh app on the same database with TRUSTED_PROXIES=1 (one nginx in front)."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)


def through_proxy(app):
    """A test client whose TCP peer is the proxy."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    return client


def post_login(client, password: str = "wrong-password", username: str = "an", **headers):
    """POST the login form with a valid CSRF token; nginx appends the peer to X-Forwarded-For."""
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, headers=headers)


def forwarded_for(client_addr: str) -> dict[str, str]:
    """Headers as nginx sends them for a client that spoofed its own X-Forwarded-For."""
    return {"X-Forwarded-For": f"{SPOOFED}, {client_addr}"}


def failed_login_addresses(app) -> list[str | None]:
    """The client addresses the audit recorded for failed logins, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.client_addr)
            .where(AuditEvent.action == "login_failed")
            .order_by(AuditEvent.id)
        ).scalars()
        return list(rows)


def test_without_trusted_proxies_forwarded_headers_are_ignored(app):
    make_user(app, "an", "dispatcher")
    client = through_proxy(app)
    assert post_login(client, **forwarded_for(CLIENT_A)).status_code == 401
    assert failed_login_addresses(app) == [PROXY]  # the socket's address, not the header's
    # Every client behind the proxy shares its address: one client's failures lock out another.
    for _ in range(4):
        post_login(client, **forwarded_for(CLIENT_A))
    assert post_login(client, **forwarded_for(CLIENT_B)).status_code == 429
    # The scheme stays http: a foreign Referer is not checked as it would be over https.
    https = {"X-Forwarded-Proto": "https", "Referer": "https://evil.example/login"}
    assert post_login(app.test_client(), **https).status_code == 401


def test_one_trusted_proxy_gives_the_client_address_to_audit_and_rate_limit(proxied):
    make_user(proxied, "an", "dispatcher")
    client = through_proxy(proxied)
    assert post_login(client, **forwarded_for(CLIENT_A)).status_code == 401
    assert failed_login_addresses(proxied) == [CLIENT_A]  # neither the proxy nor the spoof
    for _ in range(4):
        post_login(client, **forwarded_for(CLIENT_A))
    assert post_login(client, **forwarded_for(CLIENT_A)).status_code == 429
    assert post_login(client, **forwarded_for(CLIENT_B)).status_code == 401  # B is not blocked


def test_one_trusted_proxy_gives_the_request_scheme_and_host(proxied):
    make_user(proxied, "an", "dispatcher")
    client = through_proxy(proxied)
    tls = {
        **forwarded_for(CLIENT_A),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "nachtwacht.example",
    }
    # Over https a Referer or Origin is compared with https://<host>/: both from the proxy.
    foreign = post_login(client, PASSWORD, Referer="https://evil.example/login", **tls)
    assert foreign.status_code == 400
    plain_http = post_login(client, PASSWORD, Referer="http://nachtwacht.example/login", **tls)
    assert plain_http.status_code == 400
    foreign_origin = post_login(client, PASSWORD, Origin="https://evil.example", **tls)
    assert foreign_origin.status_code == 400
    own = post_login(client, PASSWORD, Referer="https://nachtwacht.example/login", **tls)
    assert own.status_code == 302 and own.headers["Location"] == "/"


def test_login_over_https_works_without_a_referer(proxied):
    # Our pages send `Referrer-Policy: no-referrer`, so a browser's form POST carries none
    # (and `Origin: null`): the login must still work over https behind the proxy.
    make_user(proxied, "an", "dispatcher")
    client = through_proxy(proxied)
    tls = {**forwarded_for(CLIENT_A), "X-Forwarded-Proto": "https", "Origin": "null"}
    response = post_login(client, PASSWORD, **tls)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    without_token = client.post(
        "/login", data={"username": "an", "password": PASSWORD}, headers=tls
    )
    assert without_token.status_code == 400  # the CSRF token is still required
