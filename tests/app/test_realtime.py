"""Events reach the rooms that may see them, only after the transaction commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.realtime import NAMESPACE, publish
from tests.conftest import login, make_app, make_token, make_user


@pytest.fixture
def live_app(app):
    """A fresh app on the same database, so the Socket.IO server is bound to it."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"])


def _ids(sock):
    return [
        e["args"][0]["id"] for e in sock.get_received(NAMESPACE) if e["name"] == "incident.created"
    ]


def test_board_gets_committed_events_and_never_rolled_back_ones(live_app, socket_client):
    make_user(live_app, "an", "dispatcher")
    sock = socket_client(live_app, "an")
    assert sock.is_connected(NAMESPACE)
    with live_app.app_context():
        publish("incident.created", {"id": 1}, ["board"])
        db.session.rollback()
        publish("incident.created", {"id": 2}, ["board"])
        db.session.commit()
    assert _ids(sock) == [2]


def test_a_rolled_back_savepoint_takes_its_events_and_keeps_the_outer_ones(live_app, socket_client):
    make_user(live_app, "an", "dispatcher")
    sock = socket_client(live_app, "an")
    with live_app.app_context():
        db.session.execute(select(1))  # the outer transaction
        publish("incident.created", {"id": 1}, ["board"])
        with db.session.begin_nested():  # a savepoint that is kept
            publish("incident.created", {"id": 2}, ["board"])
        savepoint = db.session.begin_nested()  # one that loses (e.g. a unique key's race)
        publish("incident.created", {"id": 3}, ["board"])
        with db.session.begin_nested():
            publish("incident.created", {"id": 4}, ["board"])
        savepoint.rollback()
        publish("incident.created", {"id": 5}, ["board"])
        assert _ids(sock) == []  # a released savepoint is no commit: nothing went out yet
        db.session.commit()
    assert _ids(sock) == [1, 2, 5]


def test_social_worker_does_not_receive_board_events(live_app, socket_client):
    make_user(live_app, "lotte", "social_worker")
    sock = socket_client(live_app, "lotte")
    assert sock.is_connected(NAMESPACE)
    with live_app.app_context():
        publish("incident.created", {"id": 3}, ["board"])
        db.session.commit()
    assert _ids(sock) == []


def test_connection_without_credentials_is_refused(live_app, socket_client):
    sock = socket_client(live_app)
    assert not sock.is_connected(NAMESPACE)


def test_token_in_auth_connects(live_app, socket_client):
    make_user(live_app, "tel", "supervisor")
    raw = make_token(live_app, "tel")
    sock = socket_client(live_app, token=raw)
    assert sock.is_connected(NAMESPACE)
    bad = socket_client(live_app, token="nw_wrong")
    assert not bad.is_connected(NAMESPACE)


def test_logging_out_ends_the_live_feed_of_every_console_of_that_user(live_app, socket_client):
    make_user(live_app, "an", "dispatcher")
    make_user(live_app, "bo", "dispatcher")
    flask_client = live_app.test_client()
    login(flask_client, "an")
    mine = socket_client(live_app, flask_client=flask_client)
    other_device = socket_client(live_app, "an")
    colleague = socket_client(live_app, "bo")
    assert mine.is_connected(NAMESPACE) and other_device.is_connected(NAMESPACE)
    token = flask_client.get("/console").get_data(as_text=True)
    csrf = token.split('name="csrf-token" content="')[1].split('"')[0]
    assert flask_client.post("/logout", headers={"X-CSRFToken": csrf}).status_code == 302
    assert not mine.is_connected(NAMESPACE)
    assert not other_device.is_connected(NAMESPACE)  # the logout revoked every session
    assert colleague.is_connected(NAMESPACE)


def test_a_revoked_token_or_disabled_account_ends_the_live_feed(live_app, runner, socket_client):
    from accounts.models import ApiToken, User

    make_user(live_app, "tel", "dispatcher")
    make_user(live_app, "cas", "dispatcher")
    raw = make_token(live_app, "tel")
    by_token = socket_client(live_app, token=raw)
    by_session = socket_client(live_app, "cas")
    assert by_token.is_connected(NAMESPACE) and by_session.is_connected(NAMESPACE)
    with live_app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        result = live_app.test_cli_runner().invoke(args=["token", "revoke", str(token.id)])
        assert result.exit_code == 0, result.output
    assert not by_token.is_connected(NAMESPACE)
    assert by_session.is_connected(NAMESPACE)
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.username == "cas")).one()
        user.active = False
        user.session_version += 1  # what the admin API does when it disables an account
        db.session.commit()
    assert not by_session.is_connected(NAMESPACE)
