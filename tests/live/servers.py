"""Real server processes for end-to-end tests: a migrated database, seeded users, gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRETS = {
    "SECRET_KEY": "live-test-secret-key-" + "x" * 20,
    "FIELD_ENCRYPTION_KEYS": "7PpCq9B0kXJt6zmMZ2p2wVn0iVrM6oU0qVxE8bqv7mA=",
    "BLIND_INDEX_KEY": "live-test-blind-index-key",
}


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throw-away PostgreSQL schema; yields a URL whose search_path points at it."""
    schema = f"live_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def base_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a server process (secrets fixed so several processes agree)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "NACHTWACHT_"))}
    env.update(
        SECRETS,
        DATABASE_URL=database_url,
        NACHTWACHT_ENV="development",
        NACHTWACHT_INSTANCE=str(instance),
        SCHEDULER_ENABLED="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run a `flask --app wsgi` command and return its output."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def prepare(env: dict[str, str]) -> None:
    """Migrate and seed the demo data."""
    flask(env, "db", "upgrade")
    flask(env, "demo", "seed")


def token_for(env: dict[str, str], username: str) -> str:
    """A fresh API token for a seeded user."""
    return flask(env, "token", "create", username).strip().splitlines()[-1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait for /healthz to answer 200 (or fail with the process's output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


@contextmanager
def gunicorn(env: dict[str, str], port: int, threads: int = 50) -> Iterator[str]:
    """One single-worker gthread gunicorn process, as in production."""
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "2",
            "wsgi:app",
        ],
        cwd=ROOT,
        env={**env, "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", url)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
