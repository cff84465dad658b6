"""Live fan-out: delay from `POST /api/v1/incidents` to receipt of `incident.created` on N consoles.

Two single-worker gunicorn processes share PostgreSQL and Redis; the consoles (async Socket.IO
clients, token auth, websocket transport) are spread over both. With nginx in front (when it is
installed, see `tools/topology.py`) everything goes through it: its `ip_hash` keeps a client on
one process, so the consoles connect from loopback addresses (127.0.k.1) that `ip_hash` sends
half to each process (checked in nginx's access log). Beside it, the same number of raw Redis
pub/sub listeners measure the floor: one PUBLISH to receipt on every listener.

The consoles run in `--client-processes` client processes (default 2). In one process the
client itself adds delay at 500 consoles: it decodes the 500 messages of an event one after
the other (about 45-50 ms of CPU per event here), so the last console's figure measured the
client as much as the servers. Receipt times are `time.perf_counter()`, CLOCK_MONOTONIC on
Linux, the same clock in every process of the machine.

    python bench/bench_fanout.py [--consoles 50 200 500] [--rounds 20] [--client-processes 2]
                                 [--json]

Needs PostgreSQL and Redis (DATABASE / REDIS from BENCH_DATABASE_URL, BENCH_REDIS_URL, else the
local defaults). Prints p50/p99 in ms per N; bounded (a few minutes at most).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402

from tools.topology import REDIS, source_addresses, topology  # noqa: E402


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def connect_consoles(
    urls: list[str],
    token: str,
    n: int,
    inbox: dict,
    sessions: list[aiohttp.ClientSession] | None = None,
) -> list[socketio.AsyncClient]:
    """Open n consoles round-robin over the server URLs (and over the client sessions)."""
    clients = []
    for i in range(n):
        extra = {"http_session": sessions[i % len(sessions)]} if sessions else {}
        client = socketio.AsyncClient(reconnection=False, **extra)

        async def on_created(data, _i=i):
            inbox.setdefault(data["reference"], []).append(time.perf_counter())

        client.on("incident.created", on_created, namespace="/console")
        await client.connect(
            urls[i % len(urls)],
            namespaces=["/console"],
            auth={"token": token},
            headers={"Authorization": f"Bearer {token}"},  # the handshake needs it
            transports=["websocket"],
            wait_timeout=20,
        )
        clients.append(client)
    return clients


async def fanout_round(
    session: aiohttp.ClientSession, url: str, token: str, n: int, inbox: dict
) -> list[float]:
    """One incident; the delay to each of the n consoles (seconds)."""
    start = time.perf_counter()
    async with session.post(
        f"{url}/api/v1/incidents",
        json={"address": "Meir 1, 2000 Antwerpen"},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        body = await response.json()
    reference = body["reference"]
    deadline = time.monotonic() + 10
    while len(inbox.get(reference, [])) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.002)
    got = inbox.pop(reference, [])
    if len(got) < n:
        raise RuntimeError(f"only {len(got)} of {n} consoles received {reference}")
    return [t - start for t in got]


def summary(delays: list[float], firsts: list[float], lasts: list[float]) -> dict[str, float]:
    """p50/p99 of every console's delay, and p50 of each round's first and last receipt (ms)."""
    return {
        "p50_ms": pct(delays, 50) * 1000,
        "p99_ms": pct(delays, 99) * 1000,
        "first_p50_ms": pct(firsts, 50) * 1000,
        "last_p50_ms": pct(lasts, 50) * 1000,
        "samples": len(delays),
    }


def source_sessions(sources: list[str]) -> list[aiohttp.ClientSession]:
    """One HTTP session per client address (consoles connect from these)."""
    return [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(addr, 0), limit=0))
        for addr in sources
    ]


async def bench_consoles(
    urls: list[str],
    token: str,
    n: int,
    rounds: int,
    sources: list[str] | None = None,
    on_measure: Callable[[bool], None] | None = None,
) -> dict[str, float]:
    """p50/p99 of API call → receipt on every console (and on the first and last of them).

    `on_measure(True)` is called once the consoles are connected and warm, `(False)` after.
    """
    inbox: dict[str, list[float]] = {}
    sessions = source_sessions(sources) if sources else None
    clients = await connect_consoles(urls, token, n, inbox, sessions)
    delays: list[float] = []
    firsts: list[float] = []
    lasts: list[float] = []
    try:
        async with aiohttp.ClientSession() as session:
            await fanout_round(session, urls[0], token, n, inbox)  # warm-up
            if on_measure:
                on_measure(True)
            for r in range(rounds):
                got = await fanout_round(session, urls[r % len(urls)], token, n, inbox)
                delays, firsts, lasts = delays + got, firsts + [min(got)], lasts + [max(got)]
            if on_measure:
                on_measure(False)
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        await asyncio.gather(*(s.close() for s in sessions or []))
    return summary(delays, firsts, lasts)


def _console_process(conn, urls: list[str], token: str, n: int, sources: list[str] | None):
    """A client process: n consoles; answers each reference it is sent with its receipt times
    (None ends it)."""
    asyncio.run(_serve_consoles(conn, urls, token, n, sources))


async def _serve_consoles(conn, urls, token, n, sources) -> None:
    inbox: dict[str, list[float]] = {}
    sessions = source_sessions(sources) if sources else None
    clients = await connect_consoles(urls, token, n, inbox, sessions)
    loop = asyncio.get_running_loop()
    conn.send("ready")
    try:
        while (reference := await loop.run_in_executor(None, conn.recv)) is not None:
            deadline = time.monotonic() + 10
            while len(inbox.get(reference, [])) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            conn.send(inbox.pop(reference, []))
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        await asyncio.gather(*(s.close() for s in sessions or []))


def bench_spread(
    urls: list[str], token: str, n: int, rounds: int, sources: list[str] | None, processes: int
) -> dict[str, float]:
    """`bench_consoles` with the n consoles spread over `processes` client processes."""
    context = multiprocessing.get_context("spawn")
    shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
    pipes, children = [], []
    for share in shares:
        parent, child = context.Pipe()
        process = context.Process(
            target=_console_process, args=(child, urls, token, share, sources), daemon=True
        )
        process.start()
        pipes.append(parent)
        children.append(process)
    delays: list[float] = []
    firsts: list[float] = []
    lasts: list[float] = []
    try:
        for pipe in pipes:
            if not pipe.poll(180) or pipe.recv() != "ready":
                raise RuntimeError("a client process did not connect its consoles")
        with requests.Session() as http:

            def one_round(url: str) -> list[float]:
                start = time.perf_counter()
                response = http.post(
                    f"{url}/api/v1/incidents",
                    json={"address": "Meir 1, 2000 Antwerpen"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                reference = response.json()["reference"]
                for pipe in pipes:
                    pipe.send(reference)
                got = [t for pipe in pipes for t in pipe.recv()]
                if len(got) < n:
                    raise RuntimeError(f"only {len(got)} of {n} consoles received {reference}")
                return [t - start for t in got]

            one_round(urls[0])  # warm-up
            for r in range(rounds):
                got = one_round(urls[r % len(urls)])
                delays, firsts, lasts = delays + got, firsts + [min(got)], lasts + [max(got)]
    finally:
        for pipe, process in zip(pipes, children, strict=True):
            if process.is_alive():
                pipe.send(None)
            process.join(30)
            if process.is_alive():
                process.terminate()
    return {**summary(delays, firsts, lasts), "client_processes": processes}


def upstream_split(log: Path | None) -> dict[str, int]:
    """How many Socket.IO requests nginx sent to each process (from its access log)."""
    if log is None or not log.exists():
        return {}
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines():
        if "/socket.io" in line:
            upstream = line.rsplit(" ", 1)[-1]
            counts[upstream] = counts.get(upstream, 0) + 1
    return counts


async def bench_redis(n: int, rounds: int) -> dict[str, float]:
    """p50/p99 of one PUBLISH to receipt on n raw pub/sub listeners."""
    channel = f"bench-{uuid.uuid4().hex[:8]}"
    conns = [aioredis.from_url(REDIS) for _ in range(n)]
    subs = [c.pubsub() for c in conns]
    for s in subs:
        await s.subscribe(channel)
        await s.get_message(timeout=1)
    publisher = aioredis.from_url(REDIS)
    delays: list[float] = []

    async def listen(sub) -> float:
        while True:
            msg = await sub.get_message(ignore_subscribe_messages=True, timeout=5)
            if msg is not None:
                return time.perf_counter()

    try:
        for _ in range(rounds + 1):
            waiters = [asyncio.create_task(listen(s)) for s in subs]
            await asyncio.sleep(0.01)
            start = time.perf_counter()
            await publisher.publish(channel, b"x")
            times = await asyncio.gather(*waiters)
            delays += [t - start for t in times]
        delays = delays[n:]  # drop the warm-up round
    finally:
        for s in subs:
            await s.aclose()
        await asyncio.gather(*(c.aclose() for c in conns), publisher.aclose())
    return {
        "p50_ms": pct(delays, 50) * 1000,
        "p99_ms": pct(delays, 99) * 1000,
        "samples": len(delays),
    }


def main() -> int:
    """Start two servers (nginx in front when installed), run each N, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    threads = max(args.consoles) // 2 + 60  # threading mode: one thread per websocket
    with topology(processes=2, threads=threads) as top:
        token = top.token("dispatcher")
        per_process = source_addresses(2)
        sources = [per_process[0][0], per_process[1][0]] if top.nginx_log else None
        for n in args.consoles:
            if args.client_processes > 1:
                live = bench_spread(top.urls, token, n, args.rounds, sources, args.client_processes)
            else:
                live = asyncio.run(bench_consoles(top.urls, token, n, args.rounds, sources))
            raw = asyncio.run(bench_redis(n, args.rounds))
            results[str(n)] = {"consoles": live, "redis_pubsub": raw}
            print(
                f"{n:>4} consoles over 2 processes ({args.client_processes} client processes):"
                f" p50 {live['p50_ms']:7.1f} ms"
                f"  p99 {live['p99_ms']:7.1f} ms   | raw Redis pub/sub to {n}:"
                f" p50 {raw['p50_ms']:6.1f} ms  p99 {raw['p99_ms']:6.1f} ms",
                flush=True,
            )
        split = upstream_split(top.nginx_log)
        results["topology"] = top.label  # type: ignore[assignment]
        results["socketio_requests_per_process"] = split
        print(f"topology: {top.label}; Socket.IO requests per process: {split or 'direct'}")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
