"""TOTP two-factor login: required for supervisors and admins, enrolment, recovery codes, reset."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from tests.conftest import PASSWORD, bearer, csrf_token, make_token, make_user


def password_step(client, username):
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


def test_supervisor_reaches_nothing_but_enrolment_until_enrolled(app, client):
    make_user(app, "chef", "supervisor", totp=False)
    assert password_step(client, "chef").status_code == 302
    assert client.get("/console").headers["Location"].endswith("/2fa/enrol")
    assert client.get("/api/v1/me").status_code == 403
    page = client.get("/2fa/enrol").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post(
        "/2fa/enrol", data={"code": "000000", "csrf_token": csrf_token(client, "/2fa/enrol")}
    )
    assert "niet geldig" in wrong.get_data(as_text=True)
    done = client.post(
        "/2fa/enrol",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client, "/2fa/enrol")},
    )
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/console").status_code == 200


def test_enrolled_user_needs_a_valid_code_or_a_recovery_code_once(app, client):
    make_user(app, "chef", "supervisor", totp=False)
    with app.app_context():
        from accounts import service, twofactor

        user = service.user_by_name("chef")
        codes = twofactor.enable(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        db.session.commit()
    assert password_step(client, "chef").headers["Location"].startswith("/login/2fa")
    assert client.get("/api/v1/me").status_code == 401  # not logged in after the password alone
    bad = client.post(
        "/login/2fa", data={"code": "123456", "csrf_token": csrf_token(client, "/login/2fa")}
    )
    assert bad.status_code == 401
    ok = client.post(
        "/login/2fa", data={"code": codes[0], "csrf_token": csrf_token(client, "/login/2fa")}
    )
    assert ok.status_code == 302 and client.get("/api/v1/me").status_code == 200
    other = app.test_client()
    password_step(other, "chef")
    reused = other.post(
        "/login/2fa", data={"code": codes[0], "csrf_token": csrf_token(other, "/login/2fa")}
    )
    assert reused.status_code == 401
    with app.app_context():
        failures = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "2fa_failed"))
            .scalars()
            .all()
        )
        assert len(failures) == 2


def test_dispatchers_are_not_asked_unless_required_for_all(app, client, monkeypatch):
    make_user(app, "an", "dispatcher")
    assert password_step(client, "an").headers["Location"] == "/"
    assert client.get("/api/v1/me").status_code == 200
    monkeypatch.setitem(app.config, "REQUIRE_2FA", "all")
    assert client.get("/api/v1/me").status_code == 403


def test_tokens_are_not_asked_for_a_second_factor(app, client):
    make_user(app, "boss", "admin", totp=False)
    assert client.get("/api/v1/me", headers=bearer(make_token(app, "boss"))).status_code == 200


def test_reset_2fa_command(app, client, runner):
    make_user(app, "chef", "supervisor")
    result = runner.invoke(args=["user", "reset-2fa", "chef"])
    assert result.exit_code == 0
    password_step(client, "chef")
    assert client.get("/console").headers["Location"].endswith("/2fa/enrol")
