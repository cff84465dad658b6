"""The development server started by `make run`: websockets included, no reloader."""

from __future__ import annotations

import socket

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.serving import WSGIRequestHandler


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging paths without query strings."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path, self.path = self.path, self.path.split("?", 1)[0]  # Werkzeug logs self.path
        try:
            super().log_request(code, size)
        finally:
            self.path = path


def serve(app: Flask, socketio: SocketIO) -> None:
    """Serve on HOST:PORT with Werkzeug (development only; production uses gunicorn)."""
    host, port = app.config["HOST"], app.config["PORT"]
    with socket.socket() as probe:  # say so plainly, before the scheduler starts any job
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Werkzeug binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"cannot serve on {host}:{port}: {exc.strerror} (set PORT)") from exc
    if app.config.get("SCHEDULER_ENABLED"):
        from core.jobs import start_scheduler

        start_scheduler(app)
    print(f" * Nachtwacht on http://{host}:{port}  (Ctrl-C stops it)", flush=True)
    socketio.run(
        app,
        host=host,
        port=port,
        use_reloader=False,
        debug=False,
        allow_unsafe_werkzeug=True,
        request_handler=PathOnlyRequestHandler,
    )
