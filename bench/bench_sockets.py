"""Sockets held: HTTP latency of one process while its live sockets are all taken and anonymous
websockets keep knocking (issue 16, finding 1).

One single-worker gthread gunicorn (50 threads, as in production) on SQLite with the demo data.
First `/healthz` and a dispatcher's `GET /api/v1/board` are timed on an idle process (the
baseline); then with MAX_SOCKETS_PER_PROCESS (40) dispatcher sockets joined to /console and
held, while 200 anonymous websocket handshakes arrive from 20 threads, the same requests again.

    python bench/bench_sockets.py [--requests 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import websocket  # noqa: E402

from tools import servers  # noqa: E402
from tools.simulator.http import percentile  # noqa: E402


def open_socket(url: str, headers: list[str]) -> websocket.WebSocket | int:
    """A websocket straight to Engine.IO, or the HTTP status that refused it."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        return websocket.create_connection(ws_url, header=headers, timeout=10)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code


def timed(session: requests.Session, url: str, headers: dict, n: int) -> dict[str, float]:
    """p50 and p99 (ms) of n sequential GETs."""
    values = []
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        values.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return {"p50_ms": round(percentile(values, 50), 2), "p99_ms": round(percentile(values, 99), 2)}


def measure(url: str, token: str, n: int) -> dict[str, dict[str, float]]:
    auth = {"Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        return {
            "healthz": timed(session, f"{url}/healthz", {}, n),
            "board": timed(session, f"{url}/api/v1/board", auth, n),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = servers.base_env(  # one token stands for 40 consoles: no per-user cap here
            f"sqlite:///{tmp}/sockets.db", Path(tmp), MAX_SOCKETS_PER_USER="1000"
        )
        servers.prepare(env)
        token = servers.token_for(env, "dispatcher")
        with servers.gunicorn(env, servers.free_port(), threads=50) as url:
            measure(url, token, 20)  # warm up
            idle = measure(url, token, args.requests)
            held = []
            for _ in range(40):
                ws = open_socket(url, [f"Authorization: Bearer {token}"])
                if isinstance(ws, int):
                    break
                ws.recv()
                ws.send("40/console," + json.dumps({"token": token}))
                ws.recv()
                held.append(ws)
            stop, refused = threading.Event(), []

            def knock() -> None:
                while not stop.is_set() and len(refused) < 200:
                    refused.append(open_socket(url, []))

            with ThreadPoolExecutor(max_workers=20) as pool:
                for _ in range(20):
                    pool.submit(knock)
                loaded = measure(url, token, args.requests)
                stop.set()
            for ws in held:
                ws.close()
    figures = {
        "held_sockets": len(held),
        "anonymous_refused": sum(1 for r in refused if r == 401),
        "anonymous_tried": len(refused),
        "idle": idle,
        "held": loaded,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
