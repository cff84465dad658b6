"""The simulator's HTTP side: a timed API client and the thread-safe tally of a run."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_S = 30.0


class FlowError(RuntimeError):
    """A step of a call's flow got an answer it cannot go on from."""

    def __init__(self, step: str, status: int, detail: str):
        super().__init__(f"{step}: HTTP {status} {detail[:160]}")
        self.step, self.status = step, status


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100.0 * len(ordered)) - 1)]


class Stats:
    """Per-step latencies and counts of a run, filled from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.counts: Counter[str] = Counter()
        self.priorities: Counter[str] = Counter()
        self.errors: list[str] = []

    def sample(self, step: str, ms: float) -> None:
        """Record one successful request of a step (milliseconds)."""
        with self._lock:
            self.samples[step].append(ms)

    def count(self, what: str, n: int = 1) -> None:
        """Count an event (calls, assignments, replies, conflicts...)."""
        with self._lock:
            self.counts[what] += n

    def error(self, message: str) -> None:
        """Record a failed flow or step."""
        with self._lock:
            self.errors.append(message)
            self.counts["errors"] += 1

    def steps(self) -> dict[str, dict[str, float]]:
        """p50/p99/max and sample count of every step, in milliseconds."""
        with self._lock:
            return {
                step: {
                    "n": len(values),
                    "p50_ms": round(percentile(values, 50), 2),
                    "p99_ms": round(percentile(values, 99), 2),
                    "max_ms": round(max(values), 2),
                }
                for step, values in sorted(self.samples.items())
            }

    def as_dict(self) -> dict[str, Any]:
        """Everything as plain data (for `--json` and the benchmarks)."""
        return {
            "counts": dict(self.counts),
            "priorities": dict(sorted(self.priorities.items())),
            "steps": self.steps(),
            "errors": list(self.errors[:20]),
        }


@dataclass
class Api:
    """One server, one bearer token, one HTTP session; every request is timed as a step."""

    base_url: str
    token: str
    session: requests.Session
    stats: Stats

    def call(
        self,
        method: str,
        path: str,
        step: str,
        *,
        ok: tuple[int, ...] = (200, 201),
        token: str | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        """Send a request; record its latency under `step` when its status is in `ok`."""
        headers = kwargs.pop("headers", {})
        if token != "":  # "" = no bearer token (Twilio's webhooks carry a signature instead)
            headers = {"Authorization": f"Bearer {token or self.token}", **headers}
        start = time.perf_counter()
        response = self.session.request(
            method, self.base_url + path, headers=headers, timeout=TIMEOUT_S, **kwargs
        )
        elapsed = (time.perf_counter() - start) * 1000.0
        if response.status_code not in ok:
            raise FlowError(step, response.status_code, response.text)
        if response.status_code < 300:  # only answers that did what the step asked
            self.stats.sample(step, elapsed)
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status_code, response.json() if is_json else response.text

    def get(self, path: str, step: str, **kwargs: Any) -> Any:
        """GET and return the body."""
        return self.call("GET", path, step, **kwargs)[1]

    def post(self, path: str, step: str, body: dict[str, Any], **kwargs: Any) -> Any:
        """POST JSON and return the body."""
        return self.call("POST", path, step, json=body, **kwargs)[1]
