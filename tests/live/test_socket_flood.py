"""Anonymous websockets cannot stall a process (issue 16, finding 1).

One real gunicorn process (gthread, 50 threads, as in production) on SQLite. Two hundred
anonymous websocket handshakes are refused before a socket exists; dispatchers' sockets beyond
MAX_SOCKETS_PER_PROCESS (40 of the 50 threads) are refused too; while the allowed ones are held
open, `/healthz` and a dispatcher's API call still answer.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

from tools import servers

pytestmark = [pytest.mark.slow]


def _open(url: str, headers: list[str]) -> websocket.WebSocket | int:
    """A websocket straight to Engine.IO, or the HTTP status that refused it."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        return websocket.create_connection(ws_url, header=headers, timeout=10)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code


def _join(ws: websocket.WebSocket, token: str) -> bool:
    """Join /console (the server closes sockets that do not)."""
    opened = ws.recv()
    assert opened.startswith("0{")
    ws.send("40/console," + json.dumps({"token": token}))
    return ws.recv().startswith("40/console,")


def test_two_hundred_anonymous_websockets_do_not_stall_a_process(tmp_path):
    # One dispatcher's token stands for 45 consoles here: the per-user cap is not under test.
    env = servers.base_env(f"sqlite:///{tmp_path}/flood.db", tmp_path, MAX_SOCKETS_PER_USER="100")
    servers.prepare(env)
    token = servers.token_for(env, "dispatcher")
    auth = [f"Authorization: Bearer {token}"]
    with servers.gunicorn(env, servers.free_port(), threads=50) as url:
        with ThreadPoolExecutor(max_workers=50) as pool:
            anonymous = list(pool.map(lambda _: _open(url, []), range(200)))
        assert anonymous == [401] * 200  # refused at the handshake: no socket, no thread held
        held, refused = [], []
        try:
            for _ in range(45):
                ws = _open(url, auth)
                (refused if isinstance(ws, int) else held).append(ws)
            assert len(held) == 40 and refused == [401] * 5  # MAX_SOCKETS_PER_PROCESS
            assert all(_join(ws, token) for ws in held)
            # With every allowed socket held, HTTP still has threads: health and the API answer.
            assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
            board = requests.get(
                f"{url}/api/v1/board", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            assert board.status_code == 200 and "incidents" in board.json()
        finally:
            for ws in held:
                ws.close()
