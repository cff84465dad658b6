"""The benchmarks' server topology: N single-worker gthread gunicorn processes on PostgreSQL and
Redis, with nginx in front when it is installed and the repository's renderer is there.

The processes serve `bench/baseline_app.py`: the real app plus one benchmark-only endpoint (the
baseline), so the baseline runs in the same processes as the measured flows and never exists
in a normal run or in the tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import servers  # noqa: E402

DB = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NGINX = os.environ.get("BENCH_NGINX", "/usr/sbin/nginx")
TWILIO_TOKEN = "bench-twilio-auth-token"
APP = "bench.baseline_app:app"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


@dataclass
class Topology:
    """What a started topology offers."""

    env: dict[str, str]
    urls: list[str]  # what clients use: nginx's URL, or every process's
    process_urls: list[str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    label: str = ""
    nginx_log: Path | None = None  # access log: `$upstream_addr` says which process answered

    def worker_pid(self, index: int = 0) -> int:
        """The pid of process `index`'s worker (gunicorn's master forks one)."""
        master = self.procs[index].pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {master} has no worker")

    def token(self, username: str) -> str:
        """A fresh API token for a seeded user."""
        return servers.token_for(self.env, username)


def nginx_renderer():
    """deploy/render.py's `render`, when nginx and the renderer are both there."""
    if not Path(NGINX).exists():
        return None
    try:
        from deploy.render import render
    except ImportError:
        return None
    return render


def ip_hash_peer(octets: tuple[int, int, int], peers: int) -> int:
    """The upstream nginx's `ip_hash` picks for an IPv4 client (equal weights, all up)."""
    value = 89
    for octet in octets:
        value = (value * 113 + octet) % 6271
    return value % peers


def source_addresses(peers: int) -> list[list[str]]:
    """Per upstream, loopback client addresses that `ip_hash` sends to it (127.0.k.1)."""
    found: list[list[str]] = [[] for _ in range(peers)]
    for k in range(1, 255):
        found[ip_hash_peer((127, 0, k), peers)].append(f"127.0.{k}.1")
    return found


def start_gunicorn(env: dict[str, str], port: int, threads: int, log: Path) -> subprocess.Popen:
    """One process with production's settings (`deploy/gunicorn.conf.py`) serving the benchmark
    app, on its own port and thread count."""
    command = [str(servers.BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "--threads", str(threads)]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", APP]
    with open(log, "ab") as out:
        # NACHTWACHT_THREADS as in production: the app keeps 10 of them for HTTP.
        # One token stands for every simulated console: no per-user socket cap in benchmarks.
        proc_env = {**env, "NACHTWACHT_THREADS": str(threads), "MAX_SOCKETS_PER_USER": "100000"}
        proc = subprocess.Popen(
            command, cwd=ROOT, env=proc_env, stdout=out, stderr=subprocess.STDOUT
        )
    servers.wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60)
    return proc


def start_nginx(render, listen: int, ports: list[int], prefix: Path, log: Path) -> subprocess.Popen:
    """nginx in the foreground in front of the processes, with the repository's config."""
    conf = prefix / "nginx.conf"
    # The benchmark's consoles all come from 127.0.0.1: let one address hold them all.
    conf.write_text(
        render(f"127.0.0.1:{listen}", ports[0], len(ports), user="root", sockets_per_address=2000)
    )
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    servers.wait_healthy(f"http://127.0.0.1:{listen}", proc, timeout=20)
    return proc


def consecutive_ports(n: int) -> list[int]:
    """n free consecutive ports (the nginx template numbers its upstreams from the first)."""
    for _ in range(50):
        first = servers.free_port()
        ports = list(range(first, first + n))
        if all(_free(p) for p in ports):
            return ports
    raise RuntimeError("no consecutive free ports")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def topology(processes: int = 2, threads: int = 60, nginx: bool = True) -> Iterator[Topology]:
    """Migrate and seed a throw-away schema, start the processes (and nginx), yield, stop all."""
    render = nginx_renderer() if nginx else None
    ports = consecutive_ports(processes)
    with tempfile.TemporaryDirectory() as tmp, servers.postgres_schema(DB) as url:
        tmpdir = Path(tmp)
        env = servers.base_env(
            url,
            tmpdir,
            REDIS_URL=REDIS,
            SOCKETIO_CHANNEL=f"bench-{uuid.uuid4().hex[:6]}",
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        )
        servers.prepare(env)
        procs: list[subprocess.Popen] = []
        listen = servers.free_port() if render else None
        front = f"http://127.0.0.1:{listen}" if listen else None
        env["PUBLIC_BASE_URL"] = front or f"http://127.0.0.1:{ports[0]}"  # signatures: one URL
        try:
            for port in ports:
                procs.append(start_gunicorn(env, port, threads, tmpdir / f"web-{port}.log"))
            process_urls = [f"http://127.0.0.1:{p}" for p in ports]
            urls, label = process_urls, f"{processes} gunicorn processes, direct (no nginx)"
            if render is not None and listen is not None and front is not None:
                procs.append(start_nginx(render, listen, ports, tmpdir, tmpdir / "nginx.log"))
                urls, label = [front], f"nginx + {processes} gunicorn processes"
            log = tmpdir / "access.log" if len(urls) == 1 and render else None
            yield Topology(env, urls, process_urls, procs, label, log)
        finally:
            for proc in reversed(procs):
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            shutil.rmtree(tmpdir / "client_body_temp", ignore_errors=True)
