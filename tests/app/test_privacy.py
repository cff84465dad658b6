"""Case data is ciphertext at rest, readable through the app, and survives a key rotation."""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text

from core import crypto
from core.db import Base, db
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import new_incident


def _secrets() -> dict[str, str]:
    tag, digits = uuid.uuid4().hex[:10], f"{uuid.uuid4().int % 10**6:06d}"
    return {
        "name": f"Zoë Vermeulen-{tag}",
        "phone": f"0478 {digits[:2]} {digits[2:4]} {digits[4:]}",
        "address": f"Lange Kievitstraat {digits[:3]}, 2018 Antwerpen",
        "narrative": f"Hij sloeg de deur in {tag}",
    }


def _raw_dump(app) -> str:
    """Every table's contents as the database stores them (text)."""
    with app.app_context():
        parts = []
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
                parts.append(" ".join(str(v) for v in row))
        return "\n".join(parts)


def test_no_plaintext_of_case_data_in_the_database(app, client, backend):
    make_user(app, "an", "dispatcher")
    headers = bearer(make_token(app, "an"))
    secret = _secrets()
    incident = new_incident(
        client,
        headers,
        address=secret["address"],
        caller_phone=secret["phone"],
        narrative=secret["narrative"],
        persons=[{"role": "victim", "name": secret["name"], "phone": secret["phone"]}],
    )
    shown = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert (
        shown["persons"][0]["name"] == secret["name"] and shown["narrative"] == secret["narrative"]
    )
    dump = _raw_dump(app)
    for value in (
        secret["name"],
        "Vermeulen",
        secret["phone"],
        secret["phone"].replace(" ", ""),
        "Kievitstraat",
        secret["narrative"],
        "sloeg",
    ):
        assert value not in dump, value
    if backend == "sqlite":
        path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        with app.app_context():
            db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        raw = path.read_bytes() + (
            path.with_name(path.name + "-wal").read_bytes()
            if path.with_name(path.name + "-wal").exists()
            else b""
        )
        for value in (secret["name"], "Kievitstraat", secret["narrative"]):
            assert value.encode() not in raw


def test_rotation_lets_the_old_key_go(app, client, runner):
    make_user(app, "an", "dispatcher")
    headers = bearer(make_token(app, "an"))
    secret = _secrets()
    incident = new_incident(
        client,
        headers,
        narrative=secret["narrative"],
        persons=[{"role": "victim", "name": secret["name"]}],
    )
    old_keys = list(app.config["FIELD_ENCRYPTION_KEYS"])
    new_key = Fernet.generate_key().decode()
    try:
        app.config["FIELD_ENCRYPTION_KEYS"] = [new_key, *old_keys]
        crypto.configure(app.config["FIELD_ENCRYPTION_KEYS"], app.config["BLIND_INDEX_KEY"])
        first = runner.invoke(args=["keys", "rotate"])
        assert first.exit_code == 0 and "already current" in first.output
        assert " 0 values re-encrypted" not in first.output.splitlines()[-1]
        second = runner.invoke(args=["keys", "rotate"])
        assert second.output.splitlines()[-1].startswith("keys rotate: 0 values re-encrypted")
        app.config["FIELD_ENCRYPTION_KEYS"] = [new_key]
        crypto.configure([new_key], app.config["BLIND_INDEX_KEY"])
        shown = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
        assert (
            shown["narrative"] == secret["narrative"]
            and shown["persons"][0]["name"] == secret["name"]
        )
    finally:
        app.config["FIELD_ENCRYPTION_KEYS"] = old_keys
        crypto.configure(old_keys, app.config["BLIND_INDEX_KEY"])
