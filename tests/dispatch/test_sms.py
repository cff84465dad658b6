"""SMS delivery: each outbox row reaches its unit once; transient errors retry, failures alarm.

The real twilio library builds every request; `FakeTwilioHttp` answers them, no network.
"""

from __future__ import annotations

import datetime as dt
import inspect
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.db import db
from core.extensions import socketio
from core.jobs import registered
from core.realtime import NAMESPACE
from dispatch import sms
from dispatch.models import Message, MessageDirection, MessageStatus, Unit, UnitStatus
from tests.dispatch import twilio_fake as fake
from triage.models import Incident

T0 = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)
PHONE = "+32470000011"
BODY = sms.compose_assignment_sms(
    "NT-11", "NW-2026-000123", "P1", "Carnotstraat 12, 2060 Antwerpen"
)
BASE_URL = "https://nachtwacht.example"
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_MESSAGING_SERVICE_SID")


def _configure(app, monkeypatch, **settings):
    config = app.config["CONFIG"]
    for key, value in settings.items():
        monkeypatch.setattr(config, key, value)
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def outbox(app, monkeypatch):
    """The app without Twilio credentials: SMS go to the local outbox."""
    _configure(app, monkeypatch, **dict.fromkeys((*TWILIO_SETTINGS, "TWILIO_FROM_NUMBER")))
    return app


@pytest.fixture
def twilio(app, monkeypatch) -> fake.FakeTwilioHttp:
    """Twilio enabled (messaging service sender) with the fake transport injected."""
    _configure(
        app,
        monkeypatch,
        TWILIO_ACCOUNT_SID=fake.ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=fake.AUTH_TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=fake.MESSAGING_SERVICE_SID,
        TWILIO_FROM_NUMBER=None,
        PUBLIC_BASE_URL=BASE_URL,
    )
    http = fake.FakeTwilioHttp()
    monkeypatch.setitem(app.extensions, sms.HTTP_CLIENT_KEY, http)
    return http


def capture(monkeypatch, names: set[str]) -> list[tuple[str, dict, dict]]:
    """Record Socket.IO emissions (event, payload, rooms/namespace) of the given names."""
    sent: list[tuple[str, dict, dict]] = []

    def emit(name, payload, **kw):
        if name in names:
            sent.append((name, payload, kw))

    monkeypatch.setattr(socketio, "emit", emit)
    return sent


@pytest.fixture
def emitted(monkeypatch) -> list[tuple[str, dict, dict]]:
    """The alarms raised on consoles."""
    return capture(monkeypatch, {"alarm.raised"})


def make_unit(app, call_sign: str = "NT-11", phone: str = PHONE) -> int:
    with app.app_context():
        unit = Unit(call_sign=call_sign, phone=phone, status=UnitStatus.ASSIGNED)
        db.session.add(unit)
        db.session.commit()
        return unit.id


def make_incident(app) -> int:
    with app.app_context():
        incident = Incident(
            reference="NW-2026-000123",
            priority="P1",
            address_text="Carnotstraat 12, 2060 Antwerpen",
            narrative="Marie Janssens belt: partner dreigt met mes",
        )
        db.session.add(incident)
        db.session.commit()
        return incident.id


def make_message(app, unit_id: int, body: str = BODY, **fields) -> int:
    with app.app_context():
        message = Message(
            direction=MessageDirection.OUTBOUND, unit_id=unit_id, to_number=PHONE, body=body
        )
        for key, value in fields.items():
            setattr(message, key, value)
        db.session.add(message)
        db.session.commit()
        return message.id


def load(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        db.session.expunge(message)
        return message


def deliver(app, now: dt.datetime = T0) -> int:
    with app.app_context():
        return sms.deliver_due(app, now=now)


def reconcile(app, now: dt.datetime = T0) -> int:
    with app.app_context():
        return sms.reconcile_sending(app, now=now)


def test_outbox_backend_marks_messages_delivered_locally(outbox):
    message_id = make_message(outbox, make_unit(outbox))
    assert isinstance(sms.get_backend(outbox), sms.OutboxBackend)
    assert deliver(outbox) == 1
    message = load(outbox, message_id)
    assert (message.status, message.provider_sid) == ("delivered_locally", f"LOCAL-{message_id}")
    assert (message.attempts, message.sent_at) == (1, T0)
    assert deliver(outbox, T0 + dt.timedelta(hours=1)) == 0


def test_twilio_sends_once_through_the_messaging_service(app, twilio):
    message_id = make_message(app, make_unit(app))
    assert deliver(app) == 1
    assert deliver(app, T0 + dt.timedelta(hours=1)) == 0
    [post] = twilio.posts
    assert (
        post.url == f"https://api.twilio.com/2010-04-01/Accounts/{fake.ACCOUNT_SID}/Messages.json"
    )
    assert post.data == {
        "To": PHONE,
        "Body": BODY,
        "MessagingServiceSid": fake.MESSAGING_SERVICE_SID,
        "StatusCallback": f"{BASE_URL}/webhooks/twilio/status",
    }
    message = load(app, message_id)
    assert message.provider_sid.startswith("SM") and message.status == "queued"
    assert (message.attempts, message.sent_at, message.last_error) == (1, T0, None)


def test_twilio_uses_the_from_number_without_a_messaging_service(app, twilio, monkeypatch):
    _configure(
        app, monkeypatch, TWILIO_MESSAGING_SERVICE_SID=None, TWILIO_FROM_NUMBER="+3220000000"
    )
    make_message(app, make_unit(app))
    deliver(app)
    [post] = twilio.posts
    assert post.data["From"] == "+3220000000"
    assert "MessagingServiceSid" not in post.data


@pytest.mark.parametrize(
    "failure",
    [
        fake.error(429, 20429, "Too Many Requests"),
        fake.error(500, 20500, "Internal Server Error"),
        fake.error(503, 20503, "Service Unavailable"),
        fake.timeout(),
        fake.refused(),
    ],
    ids=["429", "500", "503", "timeout", "refused"],
)
def test_transient_errors_are_retried_later(app, twilio, emitted, failure):
    message_id = make_message(app, make_unit(app))
    twilio.queue(failure)
    assert deliver(app) == 1
    waiting = load(app, message_id)
    assert (waiting.status, waiting.attempts, waiting.provider_sid) == ("pending", 1, None)
    assert waiting.next_attempt_at > T0 and waiting.last_error
    assert deliver(app, waiting.next_attempt_at - dt.timedelta(seconds=1)) == 0
    assert deliver(app, waiting.next_attempt_at) == 1
    sent = load(app, message_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("queued", 2, None)
    assert len(twilio.posts) == 2 and len(twilio.lists) == 1  # checked before sending again
    assert emitted == []


def test_rejected_message_fails_at_once_and_alarms_the_board(app, twilio, emitted):
    unit_id, incident_id = make_unit(app), make_incident(app)
    message_id = make_message(app, unit_id, incident_id=incident_id)
    twilio.queue(
        fake.error(400, 21211, "The 'To' number +32470000011 is not a valid phone number.")
    )
    assert deliver(app) == 1
    failed = load(app, message_id)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "21211" in failed.last_error and "\x1b" not in failed.last_error
    [(name, payload, target)] = emitted
    assert (name, target) == ("alarm.raised", {"to": ["board"], "namespace": NAMESPACE})
    assert payload["kind"] == "sms_failed"
    assert (payload["message_id"], payload["unit_id"], payload["incident_id"]) == (
        message_id,
        unit_id,
        incident_id,
    )
    assert BODY not in str(payload) and "Carnotstraat" not in str(payload)
    assert deliver(app, T0 + dt.timedelta(hours=1)) == 0 and len(twilio.posts) == 1


@pytest.mark.parametrize("max_attempts", [None, 2])
def test_transient_errors_fail_after_max_attempts(app, twilio, emitted, monkeypatch, max_attempts):
    if max_attempts:
        monkeypatch.setitem(app.config, "SMS_MAX_ATTEMPTS", max_attempts)
    expected = max_attempts or sms.DEFAULT_MAX_ATTEMPTS
    message_id = make_message(app, make_unit(app))
    twilio.queue(*[fake.error(500, 20500, "Internal Server Error")] * 10)
    now = T0
    for _ in range(expected):
        assert deliver(app, now) == 1
        now = load(app, message_id).next_attempt_at
    message = load(app, message_id)
    assert (message.status, message.attempts) == ("failed", expected)
    assert len(twilio.posts) == expected
    assert [(n, p["kind"], p["detail"]["reason"]) for n, p, _ in emitted] == [
        ("alarm.raised", "sms_failed", "max_attempts")
    ]
    assert deliver(app, T0 + dt.timedelta(days=1)) == 0


def test_timeout_after_twilio_accepted_is_not_sent_twice(app, twilio):
    message_id = make_message(app, make_unit(app))
    twilio.queue(fake.timeout())
    deliver(app)
    twilio.listed = [fake.message_json("SMaccepted", PHONE, BODY, "sent")]
    deliver(app, load(app, message_id).next_attempt_at)
    message = load(app, message_id)
    assert (message.status, message.provider_sid) == ("sent", "SMaccepted")
    assert len(twilio.posts) == 1


def test_concurrent_runs_send_each_row_once(app, twilio):
    unit_id = make_unit(app)
    ids = [make_message(app, unit_id, body=f"{BODY} #{n}") for n in range(12)]
    start, claimed, errors = threading.Barrier(4), [], []

    def run() -> None:
        try:
            start.wait()
            claimed.append(deliver(app))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(claimed) == len(ids)
    assert sorted(p.data["Body"] for p in twilio.posts) == sorted(f"{BODY} #{n}" for n in range(12))
    assert {load(app, i).status for i in ids} == {"queued"}


def test_inbound_and_already_sent_rows_are_never_sent(app, twilio):
    unit_id = make_unit(app)
    make_message(app, unit_id, direction=MessageDirection.INBOUND)
    make_message(app, unit_id, status=MessageStatus.SENT, provider_sid="SMdone")
    assert deliver(app) == 0 and twilio.requests == []


def stuck(app, seconds: int = 120, unit_id: int | None = None, **fields) -> int:
    """A row a crashed worker left in "sending" `seconds` before T0."""
    at = T0 - dt.timedelta(seconds=seconds)
    fields = {"status": MessageStatus.SENDING, "attempts": 1, "updated_at": at, **fields}
    return make_message(app, unit_id or make_unit(app), **fields)


def test_reconcile_records_the_sid_of_a_message_twilio_has(app, twilio):
    message_id = stuck(app)
    twilio.listed = [fake.message_json("SMfound", PHONE, BODY, "delivered")]
    assert reconcile(app) == 1
    message = load(app, message_id)
    assert (message.status, message.provider_sid) == ("delivered", "SMfound")
    assert deliver(app, T0 + dt.timedelta(hours=1)) == 0 and twilio.posts == []
    [query] = twilio.lists
    assert query.params["To"] == PHONE and "DateSent>" in query.params


def test_reconcile_resends_once_what_twilio_never_got(app, twilio):
    message_id = stuck(app)
    assert reconcile(app) == 1
    assert load(app, message_id).status == "pending"
    assert deliver(app) == 1
    assert deliver(app, T0 + dt.timedelta(hours=1)) == 0
    assert len(twilio.posts) == 1 and load(app, message_id).status == "queued"


def test_reconcile_does_not_take_a_sid_another_row_owns(app, twilio):
    make_message(app, make_unit(app, "NT-12", "+32470000012"), status="sent", provider_sid="SMx")
    message_id = stuck(app)
    twilio.listed = [fake.message_json("SMx", PHONE, BODY, "delivered")]
    reconcile(app)
    assert load(app, message_id).status == "pending"


def test_reconcile_leaves_recent_claims_and_outbox_rows_are_retried(outbox):
    unit_id = make_unit(outbox)
    recent, old = stuck(outbox, 10, unit_id), stuck(outbox, 120, unit_id)
    assert reconcile(outbox) == 1
    assert load(outbox, recent).status == "sending"
    assert deliver(outbox) == 1
    assert load(outbox, old).status == "delivered_locally"


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    lows = [sms.backoff_seconds(n, rand=lambda: 0.0) for n in range(1, 12)]
    highs = [sms.backoff_seconds(n, rand=lambda: 1.0) for n in range(1, 12)]
    assert lows == sorted(lows) and lows[0] > 0 and lows[1] == 2 * lows[0]
    assert all(high == 2 * low for low, high in zip(lows, highs, strict=True))
    assert max(highs) == sms.BACKOFF_CAP_S
    samples = {sms.backoff_seconds(3) for _ in range(20)}
    assert len(samples) > 1 and all(highs[2] / 2 <= s <= highs[2] for s in samples)


def test_jobs_are_registered_with_the_scheduler(app):
    jobs = {job.id: (job.every_s, job.run) for job in registered(app)}
    assert jobs["sms.deliver_due"] == (5, sms.deliver_due)
    assert jobs["sms.reconcile_sending"] == (60, sms.reconcile_sending)


ALLOWED = {"call_sign", "reference", "priority", "address", "page", "lang", "danger", "grace_min"}


@pytest.mark.parametrize(
    "compose",
    [
        sms.compose_assignment_sms,
        sms.compose_repage_sms,
        sms.compose_welfare_sms,
        sms.compose_help_sms,
        sms.compose_unknown_sender_reply,
    ],
)
def test_texts_take_only_non_case_fields_and_fit_two_sms(compose):
    params = set(inspect.signature(compose).parameters)
    assert params <= ALLOWED
    args = {"call_sign": "NT-11", "reference": "NW-2026-000123", "priority": "P1"}
    text = compose(
        **{k: v for k, v in {**args, "address": "Carnotstraat 12"}.items() if k in params}
    )
    assert 0 < len(text) <= sms.MAX_SMS_CHARS


def test_assignment_text_carries_reference_priority_address_and_codes_only(app):
    incident_id = make_incident(app)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        text = sms.compose_assignment_sms(
            "NT-11", incident.reference, incident.priority, incident.address_text
        )
    assert text == (
        "NW NT-11: P1 NW-2026-000123. Carnotstraat 12, 2060 Antwerpen. "
        "Antwoord OK=ontvangen, ONDERWEG, TERPLAATSE, VRIJ (+ref). NOOD=gevaar"
    )
    for secret in ("Marie", "Janssens", "mes", "dreigt"):
        assert secret not in text


def test_repage_texts_differ_per_page():
    first = sms.compose_repage_sms("NT-11", "NW-2026-000123", 1, "Carnotstraat 12", page=2)
    second = sms.compose_repage_sms("NT-11", "NW-2026-000123", 1, "Carnotstraat 12", page=3)
    assert first != second and first.startswith("HERHALING 2: NW NT-11: P1 NW-2026-000123")


@given(address=st.text(min_size=1, max_size=2000))
def test_long_addresses_are_shortened_to_fit(address):
    text = sms.compose_assignment_sms("NT-11", "NW-2026-000123", "P2", address)
    assert len(text) <= sms.MAX_SMS_CHARS
    assert text.startswith("NW NT-11: P2 NW-2026-000123. ") and text.endswith("NOOD=gevaar")
    assert "\n" not in text


def test_sending_tells_the_board_the_thread_changed(app, twilio, monkeypatch):
    updates_sent = capture(monkeypatch, {"message.status"})
    unit_id = make_unit(app)
    message_id = make_message(app, unit_id)
    assert deliver(app) == 1
    updates = [(n, p) for n, p, _ in updates_sent]
    assert updates == [
        (
            "message.status",
            {
                "id": message_id,
                "direction": "out",
                "status": "queued",
                "incident_id": None,
                "unit_id": unit_id,
            },
        )
    ]
    assert "body" not in updates[0][1]


# --- Faults around Twilio (issue 9): a crash mid-send, Twilio unreachable while checking. ------


class Crash(BaseException):
    """The process dies here: not an Exception, so nothing in the app can catch it."""


def test_crash_after_twilio_accepted_is_reconciled_to_its_sid_and_never_sent_again(
    app, twilio, emitted
):
    message_id = make_message(app, make_unit(app))
    accepted: list[sms.SentMessage] = []

    def die(claim, sent, now):
        accepted.append(sent)
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sms, "_record_sent", die)
        with pytest.raises(Crash):
            deliver(app)
    crashed = load(app, message_id)
    assert (crashed.status, crashed.attempts, crashed.provider_sid) == ("sending", 1, None)
    assert deliver(app, T0 + dt.timedelta(hours=1)) == 0  # the sender leaves it alone
    [sent] = accepted
    twilio.listed = [fake.message_json(sent.sid, PHONE, BODY, "delivered")]
    assert reconcile(app, T0 + dt.timedelta(minutes=2)) == 1  # the restarted scheduler's run
    message = load(app, message_id)
    assert (message.status, message.provider_sid) == ("delivered", sent.sid)
    assert deliver(app, T0 + dt.timedelta(hours=2)) == 0
    assert len(twilio.posts) == 1 and emitted == []


def test_crash_before_twilio_got_the_message_sends_it_once_after_restart(app, twilio):
    message_id = make_message(app, make_unit(app))
    twilio.queue(Crash())  # the process dies inside the HTTP call: nothing reached Twilio
    with pytest.raises(Crash):
        deliver(app)
    assert load(app, message_id).status == "sending"
    later = T0 + dt.timedelta(minutes=2)
    assert reconcile(app, later) == 1  # Twilio lists nothing with this body: send it
    assert deliver(app, later) == 1
    message = load(app, message_id)
    assert (message.status, message.attempts) == ("queued", 2)
    assert message.provider_sid.startswith("SM")
    assert len(twilio.posts) == 2 and len(twilio.lists) == 2  # each send checked first
    assert deliver(app, later + dt.timedelta(hours=1)) == 0


@pytest.mark.parametrize(
    "failure",
    [fake.timeout(), fake.error(503, 20503, "Service Unavailable")],
    ids=["timeout", "503"],
)
def test_reconcile_while_twilio_is_unreachable_waits_for_the_next_run(app, twilio, failure):
    message_id = stuck(app)
    twilio.queue(failure, method="GET")
    assert reconcile(app) == 0
    assert load(app, message_id).status == "sending" and twilio.posts == []
    twilio.listed = [fake.message_json("SMlater", PHONE, BODY, "delivered")]
    assert reconcile(app, T0 + dt.timedelta(minutes=1)) == 1
    assert load(app, message_id).provider_sid == "SMlater" and twilio.posts == []


def test_a_retry_whose_check_fails_is_not_sent_blindly(app, twilio, emitted):
    message_id = make_message(app, make_unit(app))
    twilio.queue(fake.timeout())  # no answer: Twilio may or may not have it
    deliver(app)
    twilio.queue(fake.timeout(), method="GET")  # and asking Twilio fails too
    retry_at = load(app, message_id).next_attempt_at
    assert deliver(app, retry_at) == 1
    waiting = load(app, message_id)
    assert (waiting.status, waiting.attempts) == ("pending", 2)
    assert waiting.next_attempt_at > retry_at and len(twilio.posts) == 1
    twilio.listed = [fake.message_json("SMfirst", PHONE, BODY, "sent")]
    deliver(app, waiting.next_attempt_at)
    message = load(app, message_id)
    assert (message.status, message.provider_sid) == ("sent", "SMfirst")
    assert len(twilio.posts) == 1 and emitted == []


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (401, 20003, "Authenticate"),
        (403, 20403, "Permission denied"),
        (404, 20404, "The requested resource was not found"),
        (400, 21610, "Attempt to send to unsubscribed recipient"),
    ],
    ids=["401", "403", "404", "unsubscribed"],
)
def test_permanent_errors_fail_at_once_and_alarm_the_board(
    app, twilio, emitted, status, code, text
):
    message_id = make_message(app, make_unit(app))
    twilio.queue(fake.error(status, code, text))
    assert deliver(app) == 1
    failed = load(app, message_id)
    assert (failed.status, failed.attempts) == ("failed", 1) and str(code) in failed.last_error
    assert [(n, p["kind"], p["detail"]["reason"]) for n, p, _ in emitted] == [
        ("alarm.raised", "sms_failed", "rejected")
    ]
    assert deliver(app, T0 + dt.timedelta(days=1)) == 0 and len(twilio.posts) == 1


@pytest.mark.parametrize("status", [408, 502, 504])
def test_other_transient_statuses_are_retried(app, twilio, emitted, status):
    message_id = make_message(app, make_unit(app))
    twilio.queue(fake.error(status, 20000 + status, "Try again"))
    assert deliver(app) == 1
    assert load(app, message_id).status == "pending" and emitted == []


def test_retries_back_off_exponentially_and_jitter_spreads_them(app, twilio):
    unit_id = make_unit(app)
    ids = [make_message(app, unit_id, body=f"{BODY} #{n}") for n in range(8)]
    twilio.queue(*[fake.error(503, 20503, "Service Unavailable")] * 8)
    assert deliver(app) == 8
    waits = [(load(app, i).next_attempt_at - T0).total_seconds() for i in ids]
    base = sms.BACKOFF_BASE_S
    assert all(base / 2 <= w <= base for w in waits)
    assert len(set(waits)) > 1  # eight failures at once do not all come back at once
    now, message_id = T0, ids[0]
    for attempt in range(2, 5):  # the same message keeps failing: each wait about doubles
        now = load(app, message_id).next_attempt_at
        twilio.queue(fake.error(503, 20503, "Service Unavailable"))
        with app.app_context():
            assert sms.deliver_message(message_id, now=now) == "retry"
        wait = (load(app, message_id).next_attempt_at - now).total_seconds()
        ceiling = base * 2 ** (attempt - 1)
        assert ceiling / 2 <= wait <= ceiling, (attempt, wait)
