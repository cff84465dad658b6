"""Consoles' websockets are not compressed (issue 22, memory).

simple-websocket accepts a browser's permessage-deflate offer and then keeps a zlib compressor
and decompressor per console (about 100 kB each); the events are small JSON. The server hides
the offer, so the handshake agrees no extension, and the socket still carries the console's
events. (Compression of secrets beside attacker-chosen text is also what BREACH-style attacks
read lengths from.)
"""

from __future__ import annotations

import json

import pytest
import websocket

from tools import servers

pytestmark = [pytest.mark.slow]


def test_a_browser_s_offer_to_compress_is_not_taken_up(tmp_path):
    env = servers.base_env(f"sqlite:///{tmp_path}/ws.db", tmp_path)
    servers.prepare(env)
    token = servers.token_for(env, "dispatcher")
    with servers.gunicorn(env, servers.free_port(), threads=8) as url:
        ws = websocket.create_connection(
            url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            header=[
                f"Authorization: Bearer {token}",
                # What Chromium and Firefox send with every websocket handshake.
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
            ],
            timeout=10,
        )
        try:
            headers = {k.lower(): v for k, v in (ws.getheaders() or {}).items()}
            assert ws.getstatus() == 101
            assert "sec-websocket-extensions" not in headers
            assert ws.recv().startswith("0{")
            ws.send("40/console," + json.dumps({"token": token}))
            assert ws.recv().startswith("40/console,")  # the console joined, uncompressed
        finally:
            ws.close()
