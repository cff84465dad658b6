"""`make serve`: the production topology on this machine, in the foreground.

N single-worker gunicorn processes on consecutive ports, one `flask --app wsgi scheduler run`
and nginx in front (when installed), on PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
Ctrl-C stops every process. The commands are the README's ("Deploying multi-process"); the
nginx test runs the same ones, built by the functions below.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/nachtwacht"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Command:
    """One command of the topology: a name, an argv (first word a bare program) and env."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def shell(self) -> str:
        """The command as the README writes it (run from the project root)."""
        program = self.argv[0] if self.argv[0] == "nginx" else f".venv/bin/{self.argv[0]}"
        words = [f"{k}={v}" for k, v in self.env.items()] + [program]
        return " ".join(words + [shlex.quote(a) for a in self.argv[1:]])

    def resolved(self, nginx: str | None = None) -> list[str]:
        """The argv with the program's real path (this virtualenv's, or nginx's)."""
        program = (nginx or "nginx") if self.argv[0] == "nginx" else str(BIN / self.argv[0])
        return [program, *self.argv[1:]]


def migrate() -> Command:
    """Bring the database schema up to date."""
    return Command("migrate", ("flask", "--app", "wsgi", "db", "upgrade"))


def web(port: int) -> Command:
    """One gunicorn process on 127.0.0.1:port."""
    return Command(
        f"web-{port}",
        ("gunicorn", "-c", "deploy/gunicorn.conf.py"),
        {"NACHTWACHT_BIND": f"127.0.0.1:{port}"},
    )


def scheduler() -> Command:
    """The job scheduler (a second one would wait for the leader's lock)."""
    return Command("scheduler", ("flask", "--app", "wsgi", "scheduler", "run"))


def render_nginx(
    listen: str, first_port: int, processes: int, conf: str, user: str | None = None
) -> Command:
    """Write the nginx config for the gunicorn processes."""
    argv = ("python", "deploy/render.py", "--listen", listen, "--first-port", str(first_port))
    argv += ("--processes", str(processes), "-o", conf)
    return Command("render", argv if user is None else (*argv, "--user", user))


def nginx(prefix: str, conf: str) -> Command:
    """nginx in the foreground with its pid, logs and temp files under `prefix`."""
    return Command(
        "nginx", ("nginx", "-e", "stderr", "-p", prefix, "-c", conf, "-g", "daemon off;")
    )


def find_nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


class Supervisor:
    """Start named processes, prefix their output, stop them all on Ctrl-C or on any exit."""

    def __init__(self, env: dict[str, str], nginx_bin: str | None):
        self.env, self.nginx_bin = env, nginx_bin
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.stop = threading.Event()

    def run_once(self, command: Command) -> None:
        """Run a command to completion; exit when it fails."""
        print(f"$ {command.shell()}", flush=True)
        env = {**self.env, **command.env}
        if subprocess.run(command.resolved(self.nginx_bin), cwd=ROOT, env=env).returncode:
            sys.exit(f"serve: {command.name} failed")

    def start(self, command: Command) -> subprocess.Popen:
        """Start a long-running process in its own process group (signals come from us)."""
        print(f"$ {command.shell()} &", flush=True)
        proc = subprocess.Popen(
            command.resolved(self.nginx_bin),
            cwd=ROOT,
            env={**self.env, **command.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((command.name, proc))
        threading.Thread(target=self._relay, args=(command.name, proc), daemon=True).start()
        return proc

    def _relay(self, name: str, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            sys.stdout.write(f"{name:>10} | {line.decode(errors='replace')}")
            sys.stdout.flush()

    def wait(self) -> int:
        """Block until Ctrl-C/SIGTERM (0) or until a process exits (1)."""
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        try:
            while not self.stop.wait(0.5):
                dead = [(n, p) for n, p in self.procs if p.poll() is not None]
                if dead:
                    name, proc = dead[0]
                    print(f"serve: {name} exited with {proc.returncode}; stopping", flush=True)
                    return 1
        except KeyboardInterrupt:
            pass
        return 0

    def shutdown(self) -> None:
        """SIGTERM every process group (nginx first), then SIGKILL what is left."""
        if not self.procs:
            return
        print("serve: stopping", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan anything
        for _, proc in reversed(self.procs):
            signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"serve: {name} did not stop; killing it", flush=True)
            signal_group(proc, signal.SIGKILL)  # also any child left in its group
            proc.wait()
        self.procs.clear()


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signal a process and everything in its process group (gunicorn's worker, nginx's)."""
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, sig)


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 60.0) -> bool:
    """Poll `url`/healthz until it answers 200 (False when the process dies or time runs out)."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def serve_env(public_url: str, behind_proxy: bool) -> dict[str, str]:
    """The processes' environment: the caller's, with local PostgreSQL and Redis by default."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.setdefault("NACHTWACHT_GRACEFUL_TIMEOUT", "3")  # Ctrl-C should not wait for websockets
    env.update(PUBLIC_BASE_URL=public_url, PYTHONUNBUFFERED="1")
    env["TRUSTED_PROXIES"] = "1" if behind_proxy else "0"
    env["SCHEDULER_ENABLED"] = "0"  # the scheduler is its own process here
    return env


def check_services(env: dict[str, str]) -> None:
    """Refuse SQLite and an unreachable Redis with a clear message."""
    if not env["DATABASE_URL"].startswith("postgresql"):
        sys.exit("serve: DATABASE_URL must point at PostgreSQL (the processes share it)")
    import redis

    try:
        redis.Redis.from_url(env["REDIS_URL"], socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(f"serve: Redis at {env['REDIS_URL']} does not answer ({exc})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Process count and ports (`make serve PROCESSES=3` passes --processes)."""
    parser = argparse.ArgumentParser(description="Serve the production topology locally.")
    parser.add_argument("--processes", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--first-port", type=int, default=8001, help="first gunicorn port")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--prefix", type=Path, default=ROOT / "instance" / "nginx")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Check the services, then run the topology until Ctrl-C; every process stops with us."""
    args = parse_args(argv)
    nginx_bin = find_nginx()
    ports = [args.first_port + n for n in range(args.processes)]
    public = f"http://127.0.0.1:{args.port if nginx_bin else ports[0]}"
    env = serve_env(public, behind_proxy=nginx_bin is not None)
    check_services(env)
    supervisor = Supervisor(env, nginx_bin)
    try:
        return run(supervisor, args, ports, public)
    except KeyboardInterrupt:  # Ctrl-C while starting
        return 130
    finally:
        supervisor.shutdown()


def run(supervisor: Supervisor, args: argparse.Namespace, ports: list[int], public: str) -> int:
    """Migrate, seed, start the processes (waiting for each to be healthy), then wait."""
    supervisor.run_once(migrate())
    if supervisor.env.get("NACHTWACHT_ENV", "development") != "production":
        supervisor.run_once(Command("seed", ("flask", "--app", "wsgi", "demo", "seed")))
    webs = {port: supervisor.start(web(port)) for port in ports}
    for port, proc in webs.items():
        if not wait_healthy(f"http://127.0.0.1:{port}", proc):
            print(f"serve: the process on port {port} did not become healthy", flush=True)
            return 1
    supervisor.start(scheduler())
    if supervisor.nginx_bin:
        start_nginx(supervisor, args, len(ports))
    else:
        print("serve: nginx is not installed; skipping it and serving the first process directly")
    print(
        f"serve: Nachtwacht on {public}  (processes on {', '.join(map(str, ports))}; "
        "Ctrl-C stops all)",
        flush=True,
    )
    return supervisor.wait()


def start_nginx(supervisor: Supervisor, args: argparse.Namespace, processes: int) -> None:
    """Render the config into the prefix and start nginx in front of the processes."""
    prefix = args.prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)  # nginx's workers (www-data when started as root) use its temp dirs
    conf = str(prefix / "nginx.conf")
    user = None if os.geteuid() == 0 else ""  # unprivileged: no `user` directive to warn about
    supervisor.run_once(
        render_nginx(f"127.0.0.1:{args.port}", args.first_port, processes, conf, user)
    )
    supervisor.start(nginx(str(prefix), conf))


if __name__ == "__main__":
    sys.exit(main())
