"""Migration 0019: incidents stored before the canonical address key get it, and persons stored
before person keys get theirs, so earlier calls are found by the new matching too."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, select, text

from core import crypto
from core.db import db
from tests.conftest import make_app, require_service
from triage import keys, location
from triage.models import Incident, PersonKey

RECEIVED = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
# (typed address, structured street, number, box, postcode, anonymised) as 0018 stored them.
OLD_ROWS = [
    ("Lange Beeldekensstraat 20, 2060 Antwerpen", "Lange Beeldekensstraat", "20", None, "2060"),
    ("Carnot str 45 bus 3", "Carnotstraat", "45", "3", "2060"),
    ("Onbekendestraat 3 Berchem", None, None, None, "2600"),
    ("2060", None, None, None, "2060"),  # anonymised by retention: the postcode only
]
PERSON = ("Marie Peeters", 1990, "0470 12 34 56")


def _insert_incident(n: int, typed: str, street, number, box, postcode, anonymised) -> None:
    normalised = location.normalise_address(typed)
    values = {
        "reference": f"NW-2026-{n:06d}",
        "text": crypto.encrypt(typed),
        "normalised": crypto.encrypt(normalised),
        "old_index": crypto.blind_index(normalised, purpose="address"),
        "street": crypto.encrypt(street) if street else None,
        "number": crypto.encrypt(number) if number else None,
        "box": crypto.encrypt(box) if box else None,
        "postcode": postcode,
        "at": RECEIVED,
        "anonymised": RECEIVED if anonymised else None,
        "no": False,
    }
    db.session.execute(
        text(
            "INSERT INTO incident (reference, status, priority, received_at, address_text, "
            "address_normalised, address_index, address_street, address_number, address_box, "
            "postcode, location_quality, flags, requested_skills, restricted, legal_hold, "
            "anonymised_at, created_at, updated_at) VALUES (:reference, 'closed', 'P3', :at, "
            ":text, :normalised, :old_index, :street, :number, :box, :postcode, 'street', '[]', "
            "'[]', :no, :no, :anonymised, :at, :at)"
        ),
        values,
    )


def _insert_person(incident_id: int) -> None:
    name, year, phone = PERSON
    db.session.execute(
        text(
            "INSERT INTO person (incident_id, role, name, phone, birth_year) "
            "VALUES (:incident, 'victim', :name, :phone, :year)"
        ),
        {
            "incident": incident_id,
            "name": crypto.encrypt(name),
            "phone": crypto.encrypt(phone),
            "year": year,
        },
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_app(request, tmp_path) -> Iterator:
    """An app on an empty database of its own (SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp_path}/old.db")
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return
    url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(url), "PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    app = make_app(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _keys() -> list[tuple[str | None, str | None]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(Incident.address_key, Incident.address_index).order_by(Incident.id)
        )
    ]


def test_0019_gives_stored_incidents_and_persons_the_new_keys(old_app):
    with old_app.app_context():
        upgrade(revision="0018")
        for n, row in enumerate(OLD_ROWS, start=1):
            _insert_incident(n, *row, anonymised=row[0] == "2060")
        first_id = db.session.execute(text("SELECT min(id) FROM incident")).scalar_one()
        _insert_person(first_id)
        db.session.commit()
        upgrade(revision="0019")

        stored = _keys()
        assert [k for k, _ in stored] == [
            "langebeeldekensstraat|20||2060",
            "carnotstraat|45|3|2060",
            "onbekendestraat|3||2600",
            None,
        ]
        # What a dispatcher types now finds the old incidents by their new index.
        assert stored[0][1] == location.canonical_index("Lange Beeldekensstraat. 20 Antwerpen")
        assert stored[1][1] == location.canonical_index("Carnotstraat 45 bus 3, 2060")
        assert stored[3][1] is None
        raw = db.session.execute(text("SELECT address_key FROM incident ORDER BY id")).first()
        assert "beeldekens" not in raw.address_key  # encrypted, like the address itself

        found = db.session.execute(select(PersonKey.kind, PersonKey.value)).all()
        assert sorted(map(tuple, found)) == sorted(keys.person_keys(*PERSON))
        db.session.remove()

        # Down: the normalised text's index again (0018's matching); up: the keys once more.
        downgrade(revision="0018")
        old = db.session.execute(
            text("SELECT address_key, address_index FROM incident ORDER BY id")
        ).first()
        normalised = location.normalise_address(OLD_ROWS[0][0])
        assert tuple(old) == (None, crypto.blind_index(normalised, purpose="address"))
        db.session.remove()
        upgrade(revision="0019")
        assert [k for k, _ in _keys()][0] == "langebeeldekensstraat|20||2060"
        assert len(db.session.execute(select(PersonKey.id)).all()) == len(found)  # not twice
        db.session.remove()
