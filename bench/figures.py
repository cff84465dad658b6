"""The benchmark table: one row per figure (goal, measured, baseline, ratio), and the machine."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
P1_STEPS = {
    "intake": "intake",
    "assess:dash": "DASH assessment",
    "recommend": "recommendations",
    "assign": "assignment",
    "sms_to_backend": "assignment SMS to backend",
}


def _row(
    figure: str, goal: str, measured: str, baseline: str, ratio: float | None, met: bool | None
) -> dict[str, Any]:
    return {
        "figure": figure,
        "goal": goal,
        "measured": measured,
        "baseline": baseline,
        "ratio": None if ratio is None else round(ratio, 2),
        "met": met,
    }


def _ms(figures: dict[str, Any], p50: str = "p50_ms", p99: str = "p99_ms") -> str:
    return f"p50 {figures[p50]:.1f} / p99 {figures[p99]:.1f} ms"


def p1_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per concurrency level and step: p99 beside the INSERT baseline's in the same run. With
    several runs (`{"runs": [...]}`), the ratio is the median of the runs' ratios and the
    figures shown are those of the run that gave it."""
    runs = data.get("runs", [data])
    rows = []
    where = "" if runs[0].get("topology", "").startswith("nginx") else " [direct, no nginx]"
    for level in [k for k in runs[0] if k.isdigit()]:
        for step, label in P1_STEPS.items():
            seen = []  # (ratio, step figures, baseline figures) per run
            for run in runs:
                result = run.get(level)
                f = result and result["steps"].get(step)
                if f:
                    seen.append((f["p99_ms"] / result["baseline"]["p99_ms"], f, result["baseline"]))
            if not seen:
                continue
            seen.sort(key=lambda item: item[0])
            ratio, f, base = seen[(len(seen) - 1) // 2]  # the median (the lower one of two)
            of = (
                ""
                if len(seen) == 1
                else f"; median of {len(seen)} runs: " + ", ".join(f"{r:.2f}" for r, _, _ in seen)
            )
            rows.append(
                _row(
                    f"P1 {label} @{level} flows{where}",
                    "p99 ≤ 3× baseline p99",
                    _ms(f) + of,
                    f"INSERT+commit {_ms(base)}",
                    ratio,
                    ratio <= 3.0,
                )
            )
    return rows


def p2_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per console count: API call → every console, beside raw Redis pub/sub."""
    rows = []
    where = "" if str(data.get("topology", "")).startswith("nginx") else " [direct, no nginx]"
    for n, result in data.items():
        if not n.isdigit():
            continue
        live, raw = result["consoles"], result["redis_pubsub"]
        goal = int(n) == 500
        clients = live.get("client_processes", 1)
        rows.append(
            _row(
                f"P2 fan-out to {n} consoles, 2 processes{where}, {clients} client process"
                + ("es" if clients > 1 else ""),
                "p99 ≤ 100 ms" if goal else "—",
                _ms(live),
                f"Redis pub/sub {_ms(raw)}",
                live["p99_ms"] / raw["p99_ms"],
                live["p99_ms"] <= 100 if goal else None,
            )
        )
    return rows


def p3_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Ranking over 10,000 units beside exact geodesic distance to every unit."""
    return [
        _row(
            f"P3 recommendation over {data['units']:,} units",
            "p99 ≤ 20 ms",
            _ms(data, "fast_p50_ms", "fast_p99_ms"),
            f"brute-force geodesic {_ms(data, 'brute_p50_ms', 'brute_p99_ms')}",
            data["fast_p99_ms"] / data["brute_p99_ms"],
            data["fast_p99_ms"] <= 20 and data["mismatches"] == 0,
        )
    ]


def p4_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Morning packets and audit verification, beside a plain SELECT of the same rows."""
    p, a = data["packets"], data["audit"]
    rate = a["events"] / a["verify_s"]
    return [
        _row(
            f"P4 morning packets, {data['notes']:,} notes ({p['packets']} packets)",
            "≤ 2 s",
            f"{p['build_s']:.3f} s (max {p['build_max_s']:.3f} s)",
            f"plain SELECT {p['select_s']:.4f} s",
            p["build_s"] / p["select_s"],
            p["build_max_s"] <= 2.0,
        ),
        _row(
            f"P4 audit verification, {a['events']:,} events",
            "≥ 100,000 events/s",
            f"{a['verify_s']:.2f} s, {rate:,.0f} events/s (chain ok: {a['ok']})",
            f"plain SELECT {a['select_s']:.2f} s",
            a["verify_s"] / a["select_s"],
            bool(a["ok"]) and rate >= 100_000,
        ),
    ]


def memory_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """RSS with the consoles connected beside the same process idle."""
    peak = max(data["connected_mb"], data["after_fanout_mb"])
    return [
        _row(
            f"Memory, one process with {data['consoles']} consoles",
            "≤ 160 MB",
            f"{peak:.1f} MB RSS",
            f"idle {data['idle_mb']:.1f} MB",
            peak / data["idle_mb"],
            peak <= 160,
        )
    ]


def sockets_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """HTTP on one process with every live socket taken and anonymous sockets knocking."""
    idle, held = data["idle"], data["held"]
    return [
        _row(
            f"Sockets held ({data['held_sockets']} joined, {data['anonymous_refused']}/"
            f"{data['anonymous_tried']} anonymous refused): {name}",
            "answers",
            _ms(held[name]),
            f"idle process {_ms(idle[name])}",
            held[name]["p99_ms"] / idle[name]["p99_ms"],
            data["anonymous_refused"] == data["anonymous_tried"],
        )
        for name in ("healthz", "board")
    ]


SEARCH_LABELS = {
    "phone": "search by phone",
    "name": "search by name (as it sounds, with year)",
    "address": "search by address",
    "reference": "search by reference",
    "count_prior": "intake repeat count (count_prior)",
    "prior_incidents": "intake earlier incidents (prior_incidents)",
    "mark_repeat": "intake repeat flag (mark_repeat)",
}


def search_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Search and intake's repeat matching with the incidents loaded, beside an empty database
    (same run, alternating samples); met when p50 and p99 both stay within the goal ratio."""
    goal = data["goal_ratio"]
    empty, loaded = data["figures"]["empty"], data["figures"]["loaded"]
    rows = []
    for kind, label in SEARCH_LABELS.items():
        if kind not in loaded:
            continue
        e, f = empty[kind], loaded[kind]
        ratio50, ratio99 = f["p50_ms"] / e["p50_ms"], f["p99_ms"] / e["p99_ms"]
        rows.append(
            _row(
                f"{label}, {data['incidents']:,} incidents",
                f"p50 and p99 ≤ {goal}× empty",
                _ms(f),
                f"empty database {_ms(e)} (p50 ratio {ratio50:.2f})",
                ratio99,
                ratio50 <= goal and ratio99 <= goal,
            )
        )
    return rows


def stats_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Statistics for a month and for a year with the year loaded, beside a plain SELECT of
    the same incidents; met when the slowest of the runs stays within the goal."""
    rows = []
    for name in ("month", "year"):
        f = data[name]
        rows.append(
            _row(
                f"statistics for a {name} ({f['calls']:,} calls by {f['group']}), "
                f"{data['incidents']:,} incidents loaded",
                f"≤ {data['goal_s']:g} s",
                f"{f['median_s']:.3f} s (max {f['max_s']:.3f} s of {f['runs']})",
                f"plain SELECT {f['select_s']:.3f} s; before the job kept the nights "
                f"{data['cold_s'][name]:.3f} s (job: {data['keep_s']:.0f} s once)",
                f["median_s"] / f["select_s"],
                f["max_s"] <= data["goal_s"],
            )
        )
    return rows


def growth_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """P5: each step and read with a year loaded beside the same on an empty database, in one
    run; judged on p50 for the flow steps (a few dozen samples) and p99 for the reads."""
    rows = []
    loaded = f"{data['incidents']:,} incidents + {data['audit_events']:,} audit events"
    for name, label in data["labels"].items():
        e = data["figures"]["empty"].get(name)
        f = data["figures"]["loaded"].get(name)
        if not e or not f:
            continue
        basis = data["basis"][name]
        key = f"{basis}_ms"
        ratio = f[key] / e[key] if e[key] else None
        rows.append(
            _row(
                f"P5 {label}, {loaded}",
                f"{basis} ≤ {data['goal_ratio']}× empty",
                _ms(f),
                f"empty database {_ms(e)}",
                ratio,
                None if ratio is None else ratio <= data["goal_ratio"],
            )
        )
    return rows


BUILDERS = {
    "growth": growth_rows,
    "P1": p1_rows,
    "P2": p2_rows,
    "P3": p3_rows,
    "P4": p4_rows,
    "memory": memory_rows,
    "sockets": sockets_rows,
    "search": search_rows,
    "stats": stats_rows,
}


def rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure of the runs that produced one."""
    out: list[dict[str, Any]] = []
    for name, data in raw.items():
        if data is not None:
            out += BUILDERS[name](data)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width text table."""
    head = ("figure", "goal", "measured", "baseline", "ratio", "met")
    cells = [
        (
            r["figure"],
            r["goal"],
            r["measured"],
            r["baseline"],
            "—" if r["ratio"] is None else f"{r['ratio']:.2f}",
            {True: "yes", False: "NO", None: "—"}[r["met"]],
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(len(head))]
    line = lambda c: "  ".join(str(v).ljust(w) for v, w in zip(c, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, cells)])


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _command(*argv: str) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    return (done.stdout + done.stderr).strip() or None


def machine() -> dict[str, Any]:
    """CPU, cores, memory, Python, PostgreSQL, Redis and nginx versions, git commit."""
    from tools.topology import DB, NGINX, REDIS

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = _first(r"^MemTotal:\s+(\d+)", meminfo)
    return {
        "cpu": _first(r"^model name\s*:\s*(.+)$", cpuinfo) or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _postgres_version(DB),
        "redis": _redis_version(REDIS),
        "nginx": _command(NGINX, "-v") if Path(NGINX).exists() else None,
        "commit": _command("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # others' work skews figures
    }


def _postgres_version(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()
    except Exception:  # noqa: BLE001 - a missing server is reported as None
        return None


def _redis_version(url: str) -> str | None:
    import redis

    try:
        return redis.Redis.from_url(url).info("server")["redis_version"]
    except Exception:  # noqa: BLE001
        return None


def describe(m: dict[str, Any]) -> str:
    """One line about the machine."""
    return (
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}, Redis {m['redis']}, {m['nginx'] or 'no nginx'}; "
        f"commit {m['commit']}; load average {m['load_average']}"
    )
