"""Memory: resident size of one server process with 500 consoles connected, beside the same
process idle (warmed up by a few simulated calls, no console connected).

One single-worker gthread gunicorn on PostgreSQL and Redis (threads for every websocket); the
consoles are async Socket.IO clients (token auth, websocket transport). RSS is VmRSS from
/proc/<worker pid>/status, read after the connections settle and again after one incident
reached every console.

    python bench/bench_memory.py [--consoles 500] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.bench_fanout import connect_consoles, fanout_round  # noqa: E402
from tools.simulator.driver import Credentials, NightDriver, Options  # noqa: E402
from tools.simulator.plan import plan_night  # noqa: E402
from tools.topology import TWILIO_TOKEN, topology  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for {pid}")


async def with_consoles(url: str, token: str, n: int, pid: int) -> dict[str, float]:
    """Connect n consoles, read RSS once settled and after one fan-out, disconnect."""
    inbox: dict = {}
    clients = await connect_consoles([url], token, n, inbox)
    try:
        await asyncio.sleep(3)
        connected = rss_mb(pid)
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                await fanout_round(session, url, token, n, inbox)
        await asyncio.sleep(1)
        after = rss_mb(pid)
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return {"connected_mb": round(connected, 1), "after_fanout_mb": round(after, 1)}


def main() -> int:
    """Start one process, measure idle and with consoles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with topology(processes=1, threads=args.consoles + 60, nginx=False) as top:
        pid, url = top.worker_pid(0), top.process_urls[0]
        token = top.token("dispatcher")
        creds = Credentials([token], twilio_token=TWILIO_TOKEN, public_base_url=url)
        driver = NightDriver([url], creds, Options(speed=0, concurrency=2), out=lambda _: None)
        driver.run(plan_night(3, 10))  # warm: every route of a flow has run once
        time.sleep(2)
        idle = rss_mb(pid)
        busy = asyncio.run(with_consoles(url, token, args.consoles, pid))
    results = {"consoles": args.consoles, "idle_mb": round(idle, 1), **busy}
    print(
        f"RSS of one server process: idle {idle:.1f} MB; {args.consoles} consoles connected "
        f"{busy['connected_mb']:.1f} MB, after fan-out {busy['after_fanout_mb']:.1f} MB"
    )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
