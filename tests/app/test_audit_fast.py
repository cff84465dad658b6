"""The fast walk of `audit verify`: the database writes each event's canonical JSON, and the
walk must read exactly what `canonical_of` writes and catch every tampering the plain walk
catches, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from core import audit
from core.audit import AuditEvent
from core.audit import chain as audit_chain
from core.audit.chain import verify_chain
from core.db import db

# Values the database cannot write as JSON by quoting alone, and ones it can.
AWKWARD = [
    {"username": 'an "quoted" name'},
    {"username": "back\\slash"},
    {"username": "tab\tand\nnewline"},
    {"username": "Ümlaut én café"},
    {"username": "sirene 🚓"},
    {"username": "del\x7fchar", "role": "a\x01b"},
    {"reason": 'een "reden"'},
    {"reason": "opvolging dossier"},
    {"object_ids": [1, 2, 3]},
    {"object_ids": []},
    {"object_ids": [-1, 5]},
    {"object_ids": [[1], [2]]},
    {"organisation": None, "token_name": '","role":"admin'},
    {"token_name": "koppeling-cad", "object_id": None},
]


def _record_awkward(app, clock) -> None:
    with app.app_context():
        for number, fields in enumerate(AWKWARD):
            clock.advance(microseconds=0 if number % 3 == 0 else 123_457)  # whole seconds too
            values = {"object_id": number + 1, "username": "an", **fields}
            audit.record("view", "incident", **values)
        db.session.commit()


def _messages(app) -> tuple[list[str], list[str]]:
    """What the walk hashes, and what `canonical_of` gives, for every event."""
    with app.app_context():
        walked = [row[3] for rows in audit_chain._event_batches(0) for row in rows]
        events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return walked, [event.prev_hash + event.canonical() for event in events]


def test_the_walk_hashes_exactly_what_canonical_of_writes(app, clock):
    _record_awkward(app, clock)
    with app.app_context():
        for number in range(20):  # plain ones, at whole seconds and not
            clock.advance(seconds=1, microseconds=0 if number % 2 else 5)
            audit.record("list", "incident", object_ids=[number, number + 1], username="an")
        db.session.commit()
    walked, canonical = _messages(app)
    assert walked == canonical and len(walked) == len(AWKWARD) + 20
    with app.app_context():
        assert verify_chain().ok


def test_plain_events_need_no_canonical_of(app, clock, monkeypatch):
    with app.app_context():
        for number in range(12):
            clock.advance(microseconds=0 if number % 4 else 77)
            audit.record("view", "incident", number + 1, username="an", reason=None)
        db.session.commit()
    made = []
    monkeypatch.setattr(audit_chain, "_message", lambda row: made.append(row) or "")
    with app.app_context():
        assert verify_chain().ok
    assert made == []  # the database wrote all twelve


def _ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars())


def _swap(first: int, second: int) -> list[str]:
    return [
        f"UPDATE audit_event SET id = -1 WHERE id = {first}",
        f"UPDATE audit_event SET id = {first} WHERE id = {second}",
        f"UPDATE audit_event SET id = {second} WHERE id = -1",
    ]


@pytest.mark.parametrize(
    "tamper",
    ["altered", "deleted", "reordered", "escaped", "spelled", "whole_second", "forged_checkpoint"],
)
def test_every_tampering_is_caught_in_a_walk_of_several_batches(app, clock, tamper, monkeypatch):
    monkeypatch.setattr(audit_chain, "BATCH", 4)  # 20 events: five batches, read ahead
    _record_awkward(app, clock)
    with app.app_context():
        for number in range(6):
            clock.advance(seconds=1)
            audit.record("view", "incident", 100 + number, username="an")
        db.session.commit()
        assert verify_chain().ok
    ids = _ids(app)
    quoted, spelled, whole = ids[0], ids[7], ids[9]  # 'an "quoted" name', reason, a whole second
    statements, named = {
        "altered": ([f"UPDATE audit_event SET object_id = 99 WHERE id = {ids[14]}"], ids[14]),
        "deleted": ([f"DELETE FROM audit_event WHERE id = {ids[10]}"], ids[11]),
        "reordered": (_swap(ids[5], ids[6]), ids[5]),
        # what a database that only quotes would turn back into the stored, escaped, text
        "escaped": (
            [f"""UPDATE audit_event SET username = 'an \\"quoted\\" name' WHERE id = {quoted}"""],
            quoted,
        ),
        # a value that spells the next key and value: quoted alone, the text is the same
        "spelled": (
            [
                'UPDATE audit_event SET organisation = organisation || \'","reason":"\''
                f" || reason, reason = NULL WHERE id = {spelled}"
            ],
            spelled,
        ),
        "whole_second": (
            [f"UPDATE audit_event SET client_addr = '10.0.0.9' WHERE id = {whole}"],
            whole,
        ),
        "forged_checkpoint": (
            [
                "INSERT INTO audit_checkpoint (kind, last_event_id, last_hash, purged_total,"
                f" created_at) VALUES ('verified', {ids[-1]}, '{'a' * 64}', 20, '2026-01-01')"
            ],
            None,
        ),
    }[tamper]
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()
        verdict = verify_chain()
    assert not verdict.ok and verdict.bad_id == named, verdict


def test_a_walk_stopped_early_leaves_the_session_usable(app, clock, monkeypatch):
    monkeypatch.setattr(audit_chain, "BATCH", 2)
    _record_awkward(app, clock)
    ids = _ids(app)
    with app.app_context():
        db.session.execute(text(f"DELETE FROM audit_event WHERE id = {ids[2]}"))
        db.session.commit()
        assert verify_chain().bad_id == ids[3]
        assert db.session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 13
        assert verify_chain(incremental=True).bad_id == ids[3]


def test_a_key_longer_than_a_block_hashes_like_chain_hash():
    for key in ("k" * 64, "k" * 65, "kort", "ü" * 40):
        made = audit_chain.keyed_hasher(key)
        assert made("0" * 64 + '{"a":1}') == audit.chain_hash("0" * 64, '{"a":1}', key)


def test_a_walk_with_no_events_after_a_purge(app, clock):
    _record_awkward(app, clock)
    with app.app_context():
        removed = audit_chain.purge_before(clock.now() + dt.timedelta(seconds=1))
        db.session.commit()
        assert removed == len(AWKWARD) and verify_chain().ok and verify_chain().events == 0
