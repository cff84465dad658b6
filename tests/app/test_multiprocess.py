"""Two real server processes share PostgreSQL and Redis: an event made on A reaches a console
on B."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import requests
import socketio

from tests.conftest import require_service
from tools import servers


@pytest.fixture
def services():
    db_url, redis_url = (
        os.environ.get("TEST_DATABASE_URL", ""),
        os.environ.get("TEST_REDIS_URL", ""),
    )
    require_service(bool(db_url), "the multi-process test needs TEST_DATABASE_URL (PostgreSQL)")
    require_service(bool(redis_url), "the multi-process test needs TEST_REDIS_URL (Redis)")
    return db_url, redis_url


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_incident_created_on_a_reaches_a_console_on_b(services, tmp_path):
    db_url, redis_url = services
    with servers.postgres_schema(db_url) as schema_url:
        env = servers.base_env(
            schema_url,
            tmp_path,
            REDIS_URL=redis_url,
            SOCKETIO_CHANNEL=f"nw-test-{uuid.uuid4().hex[:6]}",
        )
        servers.prepare(env)
        token = servers.token_for(env, "dispatcher")
        port_a, port_b = servers.free_port(), servers.free_port()
        with servers.gunicorn(env, port_a) as url_a, servers.gunicorn(env, port_b) as url_b:
            received, arrived = [], threading.Event()
            client = socketio.Client(reconnection=False)

            @client.on("incident.created", namespace="/console")
            def on_created(data):
                received.append(data)
                arrived.set()

            client.connect(
                url_b,
                namespaces=["/console"],
                auth={"token": token},
                headers={"Authorization": f"Bearer {token}"},  # the handshake needs it
                transports=["websocket"],
                wait_timeout=10,
            )
            try:
                response = requests.post(
                    f"{url_a}/api/v1/incidents",
                    json={"address": "Meir 1, 2000 Antwerpen"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert response.status_code == 201
                assert arrived.wait(5), "incident.created did not reach process B"
                assert received[0]["reference"] == response.json()["reference"]
                assert "address" not in received[0]
            finally:
                client.disconnect()
            refused = socketio.Client(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                refused.connect(
                    url_b, namespaces=["/console"], transports=["websocket"], wait_timeout=5
                )
