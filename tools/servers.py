"""Real server processes for end-to-end tests: a migrated database, seeded users, gunicorn."""

from __future__ import annotations

import os
import random
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

from config import generate_keys

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRETS = generate_keys()  # fresh for each test run, shared by every process it starts


def free_port() -> int:
    """An unused TCP port on loopback, below the ephemeral range.

    Outgoing connections (to PostgreSQL, Redis, ...) take ephemeral ports, so a free one found
    there may be gone a moment later, when the server binds it.
    """
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


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
        env={
            **env,
            "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", url),
            "NACHTWACHT_THREADS": str(threads),  # as in production: sockets get threads - 10
        },
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


# --- Processes a fault test can kill: own process groups, output to a log file. -------------


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a process in its own group; output goes to `log` (a pipe nobody reads would fill)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def log_tail(log: Path, chars: int = 3000) -> str:
    """The end of a process's log, for failure messages."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def start_gunicorn(
    env: dict[str, str], port: int, log: Path, threads: int = 50, timeout: float = 30.0
) -> subprocess.Popen:
    """Start one single-worker gthread gunicorn (as `gunicorn()`), wait until it is healthy."""
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", str(threads)]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app"]
    proc_env = {**env, "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", url)}
    proc = _spawn(command, {**proc_env, "NACHTWACHT_THREADS": str(threads)}, log)
    try:
        wait_healthy(url, proc, timeout)
    except RuntimeError as exc:
        kill_group(proc)
        raise RuntimeError(f"{exc}\n{log_tail(log)}") from None
    return proc


def start_scheduler(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """Start `flask --app wsgi scheduler run` with the scheduler enabled."""
    command = [str(BIN / "flask"), "--app", "wsgi", "scheduler", "run", *args]
    return _spawn(command, {**env, "SCHEDULER_ENABLED": "1"}, log)


def start_redis(port: int, timeout: float = 10.0) -> subprocess.Popen:
    """A throw-away redis-server on a port of its own (no persistence); waits for PING."""
    import redis

    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            client.ping()
            return proc
        except redis.RedisError:
            time.sleep(0.05)
    kill_group(proc)
    raise RuntimeError(f"redis-server on port {port} did not start")


def kill_group(proc: subprocess.Popen, sig: int | None = None) -> None:
    """Signal a process's whole group (SIGKILL by default: master and worker die at once)."""
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig or signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
