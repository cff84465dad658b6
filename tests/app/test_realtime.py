"""Events reach the rooms that may see them, only after the transaction commits."""

from __future__ import annotations

import pytest

from app.db import db
from app.extensions import socketio
from app.realtime import NAMESPACE, publish
from tests.conftest import login, make_app, make_token, make_user


@pytest.fixture
def live_app(app):
    """A fresh app on the same database, so the Socket.IO server is bound to it."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"])


def _console(app, username):
    flask_client = app.test_client()
    login(flask_client, username)
    return socketio.test_client(app, namespace=NAMESPACE, flask_test_client=flask_client)


def _ids(sock):
    return [
        e["args"][0]["id"] for e in sock.get_received(NAMESPACE) if e["name"] == "incident.created"
    ]


def test_board_gets_committed_events_and_never_rolled_back_ones(live_app):
    make_user(live_app, "an", "dispatcher")
    sock = _console(live_app, "an")
    assert sock.is_connected(NAMESPACE)
    with live_app.app_context():
        publish("incident.created", {"id": 1}, ["board"])
        db.session.rollback()
        publish("incident.created", {"id": 2}, ["board"])
        db.session.commit()
    assert _ids(sock) == [2]


def test_social_worker_does_not_receive_board_events(live_app):
    make_user(live_app, "lotte", "social_worker")
    sock = _console(live_app, "lotte")
    assert sock.is_connected(NAMESPACE)
    with live_app.app_context():
        publish("incident.created", {"id": 3}, ["board"])
        db.session.commit()
    assert _ids(sock) == []


def test_connection_without_credentials_is_refused(live_app):
    sock = socketio.test_client(live_app, namespace=NAMESPACE)
    assert not sock.is_connected(NAMESPACE)


def test_token_in_auth_connects(live_app):
    make_user(live_app, "tel", "supervisor")
    raw = make_token(live_app, "tel")
    sock = socketio.test_client(live_app, namespace=NAMESPACE, auth={"token": raw})
    assert sock.is_connected(NAMESPACE)
    bad = socketio.test_client(live_app, namespace=NAMESPACE, auth={"token": "nw_wrong"})
    assert not bad.is_connected(NAMESPACE)
