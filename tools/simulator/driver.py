"""Play a planned night through the real HTTP API: intake, screens, assignment, SMS, closing.

Each call is one flow in a thread: it waits for its arrival time (scaled by `speed`), takes the
call, scores the screens, assigns the first recommended unit (the next one on a 409, waiting
for a free unit when none is), lets the unit reply by signed Twilio webhook (or, without a
Twilio auth token, reports the unit's status through the dispatcher API), writes the handover
note and closes the incident. Latencies are recorded per step; nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from twilio.request_validator import RequestValidator

from dispatch.replies import REPLY_STATUS, parse_reply
from dispatch.texts import CONFIRMATIONS, t
from tools.simulator.http import Api, FlowError, Stats
from tools.simulator.model import Call, Step

SMS_PATH = "/webhooks/twilio/sms"
# What the webhook answers (to a Dutch unit) when a reply applied.
CONFIRMED = tuple(t("nl", m, call_sign="").strip(": ") for m in CONFIRMATIONS.values())
UNIT_RETRY_S = 30.0
BASIS = {
    "consent": "consent",
    "case_consultation_458ter": "458ter",
    "report_458bis": "458bis",
}  # simulated seconds between looks for a free unit


@dataclass
class Credentials:
    """Bearer tokens and the Twilio signing secret the flows act with."""

    dispatchers: list[str]
    officers: dict[str, str] = field(default_factory=dict)  # call sign → an officer's token
    twilio_token: str | None = None  # None: units report their status through the API
    public_base_url: str = ""  # what the server signs webhook URLs against
    twilio_number: str = "+3235550100"


@dataclass
class Options:
    """How fast and how wide to play."""

    speed: float = 60.0  # 0 = as fast as possible
    concurrency: int = 12
    sms_wait_s: float = 10.0  # wait (real seconds) for the assignment SMS to reach the backend
    unit_wait_s: float = 1800.0  # simulated seconds to wait for a free unit


@dataclass
class Flow:
    """What one call's flow has learnt from the server so far."""

    call: Call
    api: Api
    incident: dict[str, Any] = field(default_factory=dict)
    assignment: dict[str, Any] | None = None
    replies: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def path(self) -> str:
        """The incident's API path."""
        return f"/api/v1/incidents/{self.incident['id']}"


class NightDriver:
    """Runs planned calls against one or more server URLs (flow i uses URL i mod n)."""

    def __init__(
        self,
        base_urls: Sequence[str],
        credentials: Credentials,
        options: Options,
        out: Callable[[str], None] = print,
        session_factory: Callable[[], requests.Session] = requests.Session,
        played: Callable[[int], None] = lambda n: None,
        sms_seen: Callable[[int, int, float], float | None] | None = None,
    ) -> None:
        self.urls = [u.rstrip("/") for u in base_urls]
        # (incident id, unit id, timeout s) → when a console saw the unit's SMS leave the
        # outbox (perf_counter), or None; without it the flow asks the SMS thread every 20 ms
        self.sms_seen = sms_seen
        self.creds, self.options, self.out = credentials, options, out
        self.session_factory, self.played = session_factory, played
        self.stats, self.stop = Stats(), threading.Event()
        self.run_id = uuid.uuid4().hex[:8]
        self.sms_by_webhook = bool(credentials.twilio_token)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._units: dict[int, dict[str, Any]] = {}
        self._dispositions: list[str] = []
        self._total = 0

    # --- running ---------------------------------------------------------------------------------

    def run(self, calls: Sequence[Call]) -> Stats:
        """Play every call; returns the tally (also on Ctrl-C, with the flows stopped)."""
        self._total, start = len(calls), time.monotonic()
        workers = max(1, min(self.options.concurrency, len(calls) or 1))
        with ThreadPoolExecutor(workers, thread_name_prefix="night") as pool:
            try:
                for future in [pool.submit(self.play, c, start) for c in calls]:
                    future.result()
            except KeyboardInterrupt:
                self.stop.set()
                self.out("interrupted: stopping the flows")
        return self.stats

    def api(self, index: int) -> Api:
        """This thread's client for the server of flow `index`."""
        sessions = self._local.__dict__.setdefault("sessions", {})
        url = self.urls[index % len(self.urls)]
        if url not in sessions:
            sessions[url] = self.session_factory()
        token = self.creds.dispatchers[index % len(self.creds.dispatchers)]
        return Api(url, token, sessions[url], self.stats)

    def sleep(self, simulated_s: float) -> None:
        """Wait a simulated duration (not at all at speed 0)."""
        if self.options.speed > 0 and simulated_s > 0:
            self.stop.wait(simulated_s / self.options.speed)
        if self.stop.is_set():
            raise FlowError("stopped", 0, "interrupted")

    def play(self, call: Call, start: float) -> None:
        """One call from intake to close; a failure is counted and its unit let go."""
        if self.options.speed > 0:
            self.sleep(max(0.0, call.at_s - (time.monotonic() - start) * self.options.speed))
        flow = Flow(call, self.api(call.index))
        self.stats.count("calls")
        try:
            self.intake(flow)
            for step in call.steps:
                self.sleep(step.after_s)
                ACTIONS[step.action](self, flow, step)
            self.stats.count("completed")
            self.out(self.line(flow))
        except (FlowError, requests.RequestException) as exc:
            self.stats.error(f"call {call.index + 1}: {exc}")
            self.out(self.line(flow, error=str(exc)))
            self.let_go(flow)
        finally:
            with self._lock:  # a progress bar is not thread-safe
                self.played(1)

    # --- steps --------------------------------------------------------------------------------

    def intake(self, flow: Flow) -> None:
        """Take the call (idempotent per run and call)."""
        key = f"night-{self.run_id}-{flow.call.index}"
        body = flow.call.intake_body()
        headers = {"Idempotency-Key": key}
        flow.incident = flow.api.post("/api/v1/incidents", "intake", body, headers=headers)

    def screen(self, flow: Flow, step: Step) -> None:
        """Score one of the call's planned screens."""
        body = flow.call.screen(step.detail).body()
        result = flow.api.post(f"{flow.path}/assessments", f"assess:{step.detail}", body)
        flow.incident["priority"] = result["incident_priority"]

    def assign(self, flow: Flow, step: Step) -> None:
        """Assign the best recommended unit, waiting while none is free."""
        waited = 0.0
        while flow.assignment is None:
            recs = flow.api.get(f"{flow.path}/recommendations", "recommend")["items"]
            for rec in recs:
                if self._try_assign(flow, rec["unit_id"]):
                    break
            if flow.assignment is None:
                if waited >= self.options.unit_wait_s:
                    raise FlowError("assign", 0, "no unit became free")
                if waited == 0:
                    self.stats.count("waited_for_unit")
                self.sleep(UNIT_RETRY_S)
                waited += UNIT_RETRY_S
                if self.options.speed <= 0:
                    time.sleep(0.02)
        self.stats.count("assignments")
        self.wait_for_sms(flow)

    def _try_assign(self, flow: Flow, unit_id: int) -> bool:
        status, body = flow.api.call(
            "POST", f"{flow.path}/assignments", "assign", json={"unit_id": unit_id}, ok=(201, 409)
        )
        if status == 409:
            self.stats.count("conflicts")
            return False
        flow.assignment = body
        return True

    def wait_for_sms(self, flow: Flow) -> None:
        """Wait until the assignment SMS left the outbox (a unit replies only once it has it)."""
        if self.options.sms_wait_s <= 0 or flow.assignment is None:
            return
        start, deadline = time.perf_counter(), time.monotonic() + self.options.sms_wait_s
        if self.sms_seen is not None:  # a console's live feed tells, as on the dispatcher's
            seen = self.sms_seen(
                flow.incident["id"], flow.assignment["unit_id"], self.options.sms_wait_s
            )
            if seen is None:
                self.stats.count("sms_not_sent_in_time")
            else:  # 0 when it left before the assignment's answer reached the dispatcher
                self.stats.sample("sms_to_backend", max(0.0, seen - start) * 1000.0)
            return
        phone = self.unit(flow.api, flow.assignment["unit_id"])["phone"]
        while time.monotonic() < deadline and not self.stop.is_set():
            items = flow.api.get(f"{flow.path}/messages", "messages")["items"]
            sent = [
                m
                for m in items
                if m["kind"] == "assignment" and m["to"] == phone and m["status"] != "pending"
            ]
            if sent and sent[-1]["status"] != "sending":
                self.stats.sample("sms_to_backend", (time.perf_counter() - start) * 1000.0)
                return
            time.sleep(0.02)
        self.stats.count("sms_not_sent_in_time")

    def reply(self, flow: Flow, step: Step) -> None:
        """The unit answers by SMS (signed webhook), or its status is reported for it."""
        text = step.detail.replace("{ref}", flow.incident["reference"])
        unit = self.unit(flow.api, flow.assignment["unit_id"]) if flow.assignment else None
        if unit is None:
            raise FlowError("reply", 0, "no unit to reply")
        flow.replies.append(step.detail.replace("{ref}", "").strip())
        if self.sms_by_webhook and self._sms(flow.api, unit, text):
            return
        status = REPLY_STATUS[parse_reply(text).code or ""]
        flow.api.post(f"/api/v1/units/{unit['id']}/status", "unit_status", {"status": status})
        self.stats.count("status_reports")

    def _sms(self, api: Api, unit: dict[str, Any], text: str) -> bool:
        """Post a signed inbound SMS; False (and API mode from now on) when refused."""
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": unit["phone"],
            "To": self.creds.twilio_number,
            "Body": text,
        }
        url = (self.creds.public_base_url or api.base_url).rstrip("/") + SMS_PATH
        signature = RequestValidator(self.creds.twilio_token).compute_signature(url, form)
        headers = {"X-Twilio-Signature": signature}
        status, answer = api.call(
            "POST", SMS_PATH, "sms_reply", data=form, headers=headers, ok=(200, 403), token=""
        )
        if status == 403:
            self._webhook_refused()
            return False
        if not any(word in str(answer) for word in CONFIRMED):
            raise FlowError("sms_reply", status, f"reply {text!r} not applied: {answer}")
        self.stats.count("sms_replies")
        return True

    def _webhook_refused(self) -> None:
        with self._lock:
            if self.sms_by_webhook:
                self.sms_by_webhook = False
                self.out(
                    "! the SMS webhook refused the signature (TWILIO_AUTH_TOKEN or PUBLIC_BASE_URL"
                    " differ from the server's): units now report through the dispatcher API"
                )

    def write_note(self, flow: Flow, step: Step) -> None:
        """The unit's officer (else the dispatcher) writes the handover note."""
        note = flow.call.note
        if note is None or flow.assignment is None:
            return
        token = self.creds.officers.get(flow.assignment["call_sign"])
        flow.api.post(f"{flow.path}/handover-notes", "note", note.body(), token=token)
        self.stats.count("notes")
        flow.note = f"note {BASIS[note.legal_basis]} → {', '.join(note.organisations)}"

    def close(self, flow: Flow, step: Step) -> None:
        """Close the incident with the planned disposition (if the server offers it)."""
        codes = self.dispositions(flow.api)
        code = flow.call.disposition if flow.call.disposition in codes else codes[0]
        closed = flow.api.post(f"{flow.path}/close", "close", {"disposition": code})
        flow.incident = closed
        self.stats.priorities[closed["priority"]] += 1

    # --- look-ups and clean-up ------------------------------------------------------------------

    def unit(self, api: Api, unit_id: int) -> dict[str, Any]:
        """A unit's call sign and phone (the unit list is read once, again for new units)."""
        with self._lock:
            if unit_id not in self._units:
                items = api.get("/api/v1/units?per_page=200", "units")["items"]
                self._units.update({u["id"]: u for u in items})
            return self._units[unit_id]

    def dispositions(self, api: Api) -> list[str]:
        """The closing codes the server accepts (read once)."""
        with self._lock:
            if not self._dispositions:
                items = api.get("/api/v1/dispositions", "dispositions")["items"]
                self._dispositions = [d["code"] for d in items]
            return self._dispositions

    def let_go(self, flow: Flow) -> None:
        """After a failed flow, release its unit so the night goes on."""
        if flow.assignment is None:
            return
        with contextlib.suppress(requests.RequestException):
            flow.api.call(
                "POST",
                f"/api/v1/assignments/{flow.assignment['id']}/release",
                "release",
                json={"reason": "simulator: flow stopped"},
                ok=(200, 409),
            )

    def line(self, flow: Flow, error: str = "") -> str:
        """One progress line per call."""
        call, inc = flow.call, flow.incident
        minutes, seconds = divmod(int(call.at_s), 60)
        head = f"[{call.index + 1:>3}/{self._total}] t+{minutes:02d}:{seconds:02d}"
        ref = inc.get("reference", "—")
        unit = flow.assignment["call_sign"] if flow.assignment else "—"
        if error:
            return f"{head} {ref} FAILED {error[:120]}"
        sms = "·".join(flow.replies)
        tail = f"{inc.get('disposition') or call.disposition} {flow.note}".strip()
        prio = inc.get("priority", "?")
        return f"{head} {ref} {prio} {call.district[:12]:<12} {unit:<6} {sms:<38} {tail}"


ACTIONS: dict[str, Callable[[NightDriver, Flow, Step], None]] = {
    "screen": NightDriver.screen,
    "assign": NightDriver.assign,
    "reply": NightDriver.reply,
    "note": NightDriver.write_note,
    "close": NightDriver.close,
}


def summary(stats: Stats, seconds: float) -> list[str]:
    """The closing lines: counts, priorities and per-step latencies."""
    c, p = stats.counts, stats.priorities
    lines = [
        f"night over in {seconds:.1f} s: {c['calls']} calls, {c['completed']} closed, "
        f"P1 {p['P1']} / P2 {p['P2']} / P3 {p['P3']} / P4 {p['P4']}",
        f"assignments {c['assignments']} (conflicts {c['conflicts']}, waited for a unit "
        f"{c['waited_for_unit']}), SMS replies {c['sms_replies']}, status reports "
        f"{c['status_reports']}, handover notes {c['notes']}, errors {c['errors']}",
        f"{'step':<22}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}",
    ]
    for step, figures in stats.steps().items():
        lines.append(
            f"{step:<22}{figures['n']:>6}{figures['p50_ms']:>10.1f}{figures['p99_ms']:>10.1f}"
        )
    return lines + [f"  ! {e}" for e in stats.errors[:5]]
