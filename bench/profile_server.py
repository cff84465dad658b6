"""Where a server process spends its time under a benchmark's load: py-spy samples one gunicorn
worker (every busy thread) while the load runs, then the hottest functions are listed.

    python bench/profile_server.py fanout [--consoles 500] [--rounds 20]
    python bench/profile_server.py flows [--flows 200] [--concurrency 20]

Same topology as the benchmarks (tools/topology.py). Needs py-spy (requirements-dev.txt) and
the right to trace the worker (root, or ptrace allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.topology import TWILIO_TOKEN, Topology, source_addresses, topology  # noqa: E402

PY_SPY = Path(sys.executable).parent / "py-spy"
FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def summarise(raw: Path, top: int) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    own, total, samples = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        samples += n
        own[frames[-1]] += n
        for name in set(frames):
            total[name] += n
    lines = [f"{samples} samples of the thread holding the GIL (CPU); self %, then inclusive %"]
    for name, n in own.most_common(top):
        lines.append(f"  {100 * n / samples:5.1f}  {name}")
    lines.append("inclusive:")
    for name, n in total.most_common(top + 12)[12:]:  # skip the thread/worker plumbing on top
        lines.append(f"  {100 * n / samples:5.1f}  {name}")
    return "\n".join(lines)


def _short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match.group('func')} ({path})"


def load_fanout(top: Topology, consoles: int, rounds: int, spy: Callable[[bool], None]) -> None:
    """The P2 load: consoles on both processes, incidents fanned out to all (sampled then)."""
    from bench.bench_fanout import bench_consoles

    per_process = source_addresses(2)
    sources = [per_process[0][0], per_process[1][0]] if top.nginx_log else None
    token = top.token("dispatcher")
    print(asyncio.run(bench_consoles(top.urls, token, consoles, rounds, sources, spy)))


def load_flows(top: Topology, flows: int, concurrency: int, spy: Callable[[bool], None]) -> None:
    """The P1 load: simulated calls at full speed."""
    from tools.simulator.driver import Credentials, NightDriver, Options
    from tools.simulator.plan import plan_night

    tokens = [top.token("dispatcher"), top.token("dispatcher2")]
    creds = Credentials(tokens, {}, TWILIO_TOKEN, top.env["PUBLIC_BASE_URL"])
    driver = NightDriver(top.urls, creds, Options(speed=0, concurrency=concurrency), print)
    waits = Waits(top.env["DATABASE_URL"])
    spy(True)
    waits.start()
    print(driver.run(plan_night(5, flows)).steps())
    waits.stop.set()
    spy(False)
    waits.join()
    print(waits.summary())


class Waits(threading.Thread):
    """Samples what active PostgreSQL sessions wait on (every 20 ms; the whole database)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.seen = url, threading.Event(), Counter()
        self.samples = 0

    def run(self) -> None:
        """Sample pg_stat_activity until stopped."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        query = text(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'running') FROM pg_stat_activity"
            " WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()"
        )
        with engine.connect() as conn:
            while not self.stop.wait(0.02):
                self.samples += 1
                for (wait,) in conn.execute(query):
                    self.seen[wait] += 1
        engine.dispose()

    def summary(self, top: int = 12) -> str:
        """Active sessions by wait event, averaged over the samples."""
        lines = [f"PostgreSQL active sessions ({self.samples} samples; mean sessions per sample):"]
        for wait, n in self.seen.most_common(top):
            lines.append(f"  {n / max(1, self.samples):5.2f}  {wait}")
        return "\n".join(lines)


class Spy:
    """py-spy sampling one process while switched on."""

    def __init__(self, pid: int, out: Path):
        self.pid, self.out, self.proc = pid, out, None

    def __call__(self, on: bool) -> None:
        """Start sampling (True) or stop and write the stacks (False)."""
        if on:
            command = [str(PY_SPY), "record", "--pid", str(self.pid), "--format", "raw"]
            command += ["--rate", "250", "--gil", "--nonblocking", "-o", str(self.out)]
            self.proc = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        elif self.proc is not None:
            self.proc.send_signal(2)  # SIGINT: py-spy writes what it sampled
            self.proc.wait(timeout=30)
            self.proc = None


def main() -> int:
    """Start the topology, sample worker 0 while the load runs, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["fanout", "flows"])
    parser.add_argument("--consoles", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    threads = args.consoles // 2 + 60 if args.load == "fanout" else 60
    with tempfile.TemporaryDirectory() as tmp, topology(processes=2, threads=threads) as top:
        raw = Path(tmp) / "profile.txt"
        spy = Spy(top.worker_pid(0), raw)
        try:
            if args.load == "fanout":
                load_fanout(top, args.consoles, args.rounds, spy)
            else:
                load_flows(top, args.flows, args.concurrency, spy)
        finally:
            spy(False)
        print(summarise(raw, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
