"""P1: the dispatch flow under load, beside a bare INSERT-and-commit endpoint in the same processes.

Flows are the night simulator's (`tools.simulator`) played at full speed: intake → screens (DASH
among them) → recommendations → assignment, whose SMS the flow waits to see handed to the backend
(the outbox sender), as a dispatcher's console sees it on the live feed, then the unit's signed
SMS replies, handover note and closing, so units come free again. At each concurrency level the
same number of threads first hit the baseline (`POST /bench/baseline`: token auth, one INSERT,
commit), then play the flows, then hit the baseline again (both halves make the baseline
figures, so slow spells of a shared machine weigh on both sides alike). Each level also tells
how busy the machine's cores were during the flows, and with what (this client among them).

    python bench/bench_flow.py [--levels 1 5 20] [--flows 150 200 300] [--json]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL); nginx in front when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import socketio  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.baseline_app import TABLE_DDL  # noqa: E402
from tools.simulator.driver import Credentials, NightDriver, Options  # noqa: E402
from tools.simulator.http import percentile  # noqa: E402
from tools.simulator.plan import plan_night  # noqa: E402
from tools.topology import TWILIO_TOKEN, Topology, topology  # noqa: E402

STEPS = ("intake", "assess:dash", "recommend", "assign", "sms_to_backend")
EXTRA_UNITS = 30  # 10 demo units + these: 20 concurrent flows rarely wait for a free unit


def add_units(top: Topology, admin: str, dispatcher: str, n: int) -> None:
    """More units over the city (created by an admin, made available by a dispatcher)."""
    rng = random.Random(5)
    with requests.Session() as s:
        for i in range(n):
            body = {
                "call_sign": f"BX-{i + 1:02d}",
                "phone": f"+3247199{i:04d}",
                "skills": rng.sample(["child_interviewing", "female_officer", "first_aid"], 1),
                "languages": ["nl", rng.choice(["fr", "en", "ar", "tr", "pl"])],
                "lat": rng.uniform(51.16, 51.30),
                "lon": rng.uniform(4.33, 4.48),
            }
            url = top.urls[0] + "/api/v1/units"
            r = s.post(url, json=body, headers={"Authorization": f"Bearer {admin}"}, timeout=10)
            r.raise_for_status()
            status = f"{top.urls[0]}/api/v1/units/{r.json()['id']}/status"
            auth = {"Authorization": f"Bearer {dispatcher}"}
            s.post(
                status, json={"status": "available"}, headers=auth, timeout=10
            ).raise_for_status()


def baseline(urls: list[str], token: str, threads: int, total: int) -> list[float]:
    """Latencies (ms) of `POST /bench/baseline` from `threads` threads, `total` requests in all."""
    times: list[float] = []
    lock, left = threading.Lock(), [total]

    def worker(index: int) -> None:
        url = urls[index % len(urls)] + "/bench/baseline"
        with requests.Session() as s:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                start = time.perf_counter()
                s.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
                elapsed = (time.perf_counter() - start) * 1000.0
                with lock:
                    times.append(elapsed)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return times


class SmsWatch:
    """A dispatcher's console on the live feed (`message.status` in /console): when each unit's
    SMS about an incident left the outbox. The flows wait on it as a dispatcher sees it, instead
    of asking for the incident's SMS thread every 20 ms: that load (an audited request each
    time) no real client makes, and it weighed on every other step at 20 flows."""

    def __init__(self, url: str, token: str) -> None:
        self._seen: dict[tuple[int, int], float] = {}
        self._changed = threading.Condition()
        self._client = socketio.Client(reconnection=False)
        self._client.on("message.status", self._status, namespace="/console")
        self._client.connect(
            url,
            namespaces=["/console"],
            auth={"token": token},
            headers={"Authorization": f"Bearer {token}"},  # the handshake needs it
            transports=["websocket"],
            wait_timeout=20,
        )

    def _status(self, data: dict) -> None:
        if data.get("direction") != "out" or data.get("status") in ("pending", "sending"):
            return
        with self._changed:  # the first SMS to the unit about the incident: its assignment
            self._seen.setdefault((data["incident_id"], data["unit_id"]), time.perf_counter())
            self._changed.notify_all()

    def seen(self, incident_id: int, unit_id: int, timeout_s: float) -> float | None:
        """When the SMS was seen (perf_counter), waiting up to timeout_s; None if not."""
        with self._changed:
            self._changed.wait_for(lambda: (incident_id, unit_id) in self._seen, timeout_s)
            return self._seen.get((incident_id, unit_id))

    def close(self) -> None:
        """Leave the feed."""
        self._client.disconnect()


def figures(times: list[float]) -> dict[str, float]:
    """Sample size, p50 and p99 in ms."""
    return {"n": len(times), "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}


def flows(
    top: Topology, creds: Credentials, threads: int, n: int, seed: int, watch: SmsWatch
) -> dict:
    """Play n simulated calls at full speed with `threads` flows in parallel."""
    options = Options(speed=0, concurrency=threads, sms_wait_s=10)
    driver = NightDriver(top.urls, creds, options, out=lambda line: None, sms_seen=watch.seen)
    started, before = time.monotonic(), cpu_by_program()
    stats = driver.run(plan_night(seed, n)).as_dict()
    seconds, after = time.monotonic() - started, cpu_by_program()
    stats["seconds"] = round(seconds, 1)
    # how busy the machine's cores were, and with what (this process: the load generator)
    used = {name: after[name] - before.get(name, 0.0) for name in after if name != MACHINE}
    listed = {k: v for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v >= 0.01 * seconds}
    # processes that ended in between (a pool's extra database connections) are only in the total
    listed["processes that ended"] = after[MACHINE] - before[MACHINE] - sum(used.values())
    stats["cores"] = {name: round(value / seconds, 2) for name, value in listed.items()}
    stats["cores_busy"] = round((after[MACHINE] - before[MACHINE]) / seconds, 2)
    return stats


MACHINE = "all"


def cpu_by_program() -> dict[str, float]:
    """CPU seconds so far of every process on the machine, added up by program (gunicorn,
    postgres, redis-server, nginx; this process as "load generator"), and of the whole machine
    ("all"), from /proc."""
    tick, me = os.sysconf("SC_CLK_TCK"), os.getpid()
    totals: dict[str, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:  # gone in between
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        name = "load generator" if int(entry.name) == me else name
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    with open("/proc/stat", encoding="ascii") as f:  # every core's time but idle and iowait
        ticks = [int(v) for v in f.readline().split()[1:9]]
    totals[MACHINE] = (sum(ticks) - ticks[3] - ticks[4]) / tick
    return totals


def run(levels: list[int], counts: list[int]) -> dict:
    """Start the topology, then measure baseline and flows at each level."""
    results: dict = {}
    with topology(processes=2, threads=60) as top:
        engine = create_engine(top.env["DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(text(TABLE_DDL))
        engine.dispose()
        dispatcher, dispatcher2, admin = (
            top.token(u) for u in ("dispatcher", "dispatcher2", "admin")
        )
        add_units(top, admin, dispatcher, EXTRA_UNITS)
        creds = Credentials(
            [dispatcher, dispatcher2],
            twilio_token=TWILIO_TOKEN,
            public_base_url=top.env["PUBLIC_BASE_URL"],
        )
        watch = SmsWatch(top.urls[0], dispatcher)
        baseline(top.urls, dispatcher, 2, 40)  # warm-up: connections, caches
        flows(top, creds, 2, 6, seed=1, watch=watch)
        for level, n in zip(levels, counts, strict=True):
            half = max(100, 5 * n)  # half before the flows, half after: the same conditions
            before = baseline(top.urls, dispatcher, level, half)
            played = flows(top, creds, level, n, seed=100 + level, watch=watch)
            base = figures(before + baseline(top.urls, dispatcher, level, half))
            results[str(level)] = {"baseline": base, **played}
            print_level(level, base, played)
        watch.close()
        results["topology"] = top.label
    return results


def print_level(level: int, base: dict, played: dict) -> None:
    """One block per concurrency level."""
    c = played["counts"]
    print(
        f"-- {level} concurrent flows: {c.get('completed', 0)} flows in {played['seconds']} s, "
        f"conflicts {c.get('conflicts', 0)}, waits {c.get('waited_for_unit', 0)}, "
        f"errors {c.get('errors', 0)}",
        flush=True,
    )
    busy = ", ".join(f"{name} {cores:.2f}" for name, cores in played["cores"].items())
    print(f"   cores busy {played['cores_busy']:.2f} of {os.cpu_count()}: {busy}")
    print(f"   baseline INSERT+commit  p50 {base['p50_ms']:7.1f}  p99 {base['p99_ms']:7.1f} ms")
    for step in STEPS:
        f = played["steps"].get(step)
        if f:
            ratio = f["p99_ms"] / base["p99_ms"] if base["p99_ms"] else 0
            print(
                f"   {step:<22}  p50 {f['p50_ms']:7.1f}  p99 {f['p99_ms']:7.1f} ms"
                f"  p99/baseline x{ratio:.1f}",
                flush=True,
            )
    for error in played["errors"][:3]:
        print(f"   ! {error}")


def main() -> int:
    """Parse options, run, print JSON last when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--flows", type=int, nargs="+", default=[150, 200, 300])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if len(args.flows) != len(args.levels):
        parser.error("give one --flows count per --levels entry")
    results = run(args.levels, args.flows)
    print(f"topology: {results['topology']}")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
