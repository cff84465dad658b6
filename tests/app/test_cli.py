"""The fixed CLI commands: user create, token create, demo seed."""

from __future__ import annotations

from sqlalchemy import func, select

from accounts.models import Organisation, User
from core.db import db
from dispatch.models import Unit, UnitStatus
from tests.conftest import bearer, make_org


def test_user_create_reads_the_password_from_stdin(app, runner, client):
    make_org(app, "caw-antwerpen", "caw")
    result = runner.invoke(
        args=[
            "user",
            "create",
            "lotte",
            "--role",
            "social_worker",
            "--organisation",
            "caw-antwerpen",
            "--password-stdin",
        ],
        input="a-very-long-password\n",
    )
    assert result.exit_code == 0, result.output
    from tests.conftest import login

    assert login(client, "lotte", "a-very-long-password").status_code == 302
    assert client.get("/api/v1/me").get_json() == {
        "username": "lotte",
        "role": "social_worker",
        "organisation": "caw-antwerpen",
        "sound_muted": False,
    }


def test_user_create_refuses_bad_input(app, runner):
    bad_role = runner.invoke(
        args=["user", "create", "x", "--role", "king", "--password-stdin"], input="long-enough-pw\n"
    )
    assert bad_role.exit_code != 0 and "king" in bad_role.output
    short = runner.invoke(
        args=["user", "create", "x", "--role", "dispatcher", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "password" in short.output
    no_org = runner.invoke(
        args=[
            "user",
            "create",
            "x",
            "--role",
            "dispatcher",
            "--organisation",
            "nope",
            "--password-stdin",
        ],
        input="long-enough-pw\n",
    )
    assert no_org.exit_code != 0 and "nope" in no_org.output
    with app.app_context():
        assert db.session.execute(select(func.count(User.id))).scalar_one() == 0


def test_token_create_prints_a_working_token_last(app, runner, client):
    runner.invoke(
        args=["user", "create", "tel", "--role", "dispatcher", "--password-stdin"],
        input="long-enough-pw\n",
    )
    result = runner.invoke(args=["token", "create", "tel"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(raw)).get_json()["username"] == "tel"
    assert runner.invoke(args=["token", "create", "nobody"]).exit_code != 0


def test_demo_seed_is_idempotent_and_complete(app, runner):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "nachtwacht-demo" in first.output and "dispatcher" in first.output
    with app.app_context():
        counts = [
            db.session.execute(select(func.count(m.id))).scalar_one()
            for m in (Organisation, User, Unit)
        ]
    second = runner.invoke(args=["demo", "seed"])
    assert "0 organisations, 0 users, 0 units created" in second.output
    with app.app_context():
        again = [
            db.session.execute(select(func.count(m.id))).scalar_one()
            for m in (Organisation, User, Unit)
        ]
        slugs = set(db.session.execute(select(Organisation.slug)).scalars())
        units = db.session.execute(select(Unit)).unique().scalars().all()
        roles = set(db.session.execute(select(User.role)).scalars())
        assert len(units) >= 8 and all(u.status == UnitStatus.AVAILABLE for u in units)
        assert all(u.shift_start is None and u.lat and len(u.members) == 2 for u in units)
        assert len({u.call_sign for u in units}) == len(units)
    assert counts == again
    assert {
        "politie-antwerpen",
        "caw-antwerpen",
        "veilig-huis-antwerpen",
        "slachtofferhulp-antwerpen",
    } <= slugs
    assert roles == {"dispatcher", "officer", "supervisor", "social_worker", "admin"}


def test_token_scope_expiry_list_and_revoke(app, runner, client):
    runner.invoke(
        args=["user", "create", "tel", "--role", "dispatcher", "--password-stdin"],
        input="long-enough-pw\n",
    )
    created = runner.invoke(
        args=["token", "create", "tel", "--scope", "intake", "--expires-days", "30"]
    )
    raw = created.output.strip().splitlines()[-1]
    assert client.get("/api/v1/units", headers=bearer(raw)).status_code == 403
    assert client.post("/api/v1/incidents", json={}, headers=bearer(raw)).status_code == 201
    listing = runner.invoke(args=["token", "list"]).output
    assert "intake" in listing and raw not in listing and "tel" in listing
    token_id = created.output.split("token id=")[1].split()[0]
    assert runner.invoke(args=["token", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert runner.invoke(args=["token", "create", "tel", "--scope", "root"]).exit_code != 0
