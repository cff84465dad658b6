"""Search of past incidents and persons: `GET /api/v1/search?q=...&reason=...`.

What was typed is classified once: an incident reference (NW-YYYY-NNNNNN, or its bare number),
a phone number, or a text that is a person's name (with a birth year when one is given) and an
address. Each is turned into the blind indexes the rows already carry (phone E.164, name, name
and year, Double Metaphone codes through triage.keys; the canonical address through
triage.location) and compared in one SQL statement of indexed look-ups: nothing is decrypted to
match. Only what the viewer may see is listed (triage.access.sees), and every search is audited
with its stated reason, found or not, by the kind of query, never the query itself.

The reason is a code from a fixed list (with, optionally, the reference of the incident the
search is for): the audit trail is kept for years and cannot be edited, so nobody types a name
or a phone number into it. A browser's search carries the CSRF token like a change does: a page
of another site cannot make a dispatcher's session search (and write the audit) for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from pydantic import Field, StringConstraints
from sqlalchemy import Select, String, and_, cast, literal_column, null, or_, select, union_all
from sqlalchemy.orm import load_only
from wtforms import ValidationError

from accounts.actor import Actor
from core import audit
from core.api import api, endpoint, problem
from core.db import db
from core.i18n import lazy_gettext as _l
from core.policies import BOARD, check_same_origin
from core.ratelimit import per_user
from core.schemas import Input, Output
from triage import keys, location
from triage.access import current_actor, sees
from triage.models import Incident, Person, PersonKey, format_reference
from triage.visible_rows import visible_to

LIMIT = 20
PAGE = 100  # match rows read per round; more rounds only when restricted rows were left out
MAX_ROUNDS = 5

# NW-2026-000123, nw 2026 123, NW2026000123, 2026/123 (a year of this century: not a phone).
REFERENCE = re.compile(r"^nw[\s./_-]*(20\d\d)[\s./_-]*(\d{1,9})$|^(20\d\d)[\s./_-]+(\d{1,9})$")
BARE_NUMBER = re.compile(r"^#?\s*(\d{1,7})$")
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
PHONE_DIGITS = 8  # fewer digits is a reference number, not a phone
# A birth year beside a name: "Jan Peeters 1985", "(1985)", "°1985" (not 2060, a postcode).
YEAR = re.compile(r"(?<!\d)[°(]?(19\d\d|20[0-2]\d)\)?(?!\d)")
HOW = String(16)

# Why a search is done: the console's choices; the code (never free text) goes to the audit.
REASONS = ("current_call", "risk_assessment", "briefing", "follow_up", "other")
FOR_REFERENCE = re.compile(r"^NW-\d{4}-\d{6}$")

Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=32)]


class SearchQuery(Input):
    """What to look for, and why (the reason is audited)."""

    q: Query = Field(description="reference, phone, a person's full name (birth year) or address")
    reason: Code = Field(
        description="why the search is needed, kept in the audit trail: " + " | ".join(REASONS)
    )
    for_reference: Reference | None = Field(
        None, description="the incident the search is for (NW-YYYY-NNNNNN), kept in the audit"
    )


class SearchHit(Output):
    """An incident the query matched, without case data."""

    id: int
    reference: str
    received_at: dt.datetime
    priority: str
    status: str
    district: str | None
    restricted: bool
    matched_on: list[str] = Field(
        description="reference, caller_phone, phone, name_year, name, phonetic, address"
    )
    roles: list[str] = Field(description="roles of the matched persons on the incident")


class SearchResult(Output):
    """Matching incidents the viewer may see, newest first, at most LIMIT."""

    query_kind: str = Field(description="reference, phone, name, address or name_or_address")
    count: int
    more: bool = Field(description="more incidents match than are listed")
    items: list[SearchHit]


@dataclass
class Lookup:
    """What a query is compared with: each part a blind index or a canonical value."""

    kind: str
    reference: str | None = None
    incident_id: int | None = None
    caller_phone: str | None = None
    address: str | None = None
    person_keys: list[tuple[str, str]] = field(default_factory=list)
    birth_year: int | None = None


def classify(q: str) -> Lookup:
    """Turn a query into the keys it is compared by (reference, phone, or name and address)."""
    text = " ".join(q.split())
    folded = text.casefold()
    if match := REFERENCE.match(folded):
        year, number = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
        return Lookup("reference", reference=format_reference(year, number))
    if match := BARE_NUMBER.match(folded):
        return Lookup("reference", incident_id=int(match.group(1)))
    if PHONE.match(text) and sum(c.isdigit() for c in text) >= PHONE_DIGITS:
        phone = keys.person_keys(None, None, text)  # [(PHONE, blind index)], as intake keys it
        return Lookup("phone", caller_phone=phone[0][1] if phone else None, person_keys=phone)
    return _text_lookup(text)


def _text_lookup(text: str) -> Lookup:
    """A name (its year apart) unless digits other than a year say it is an address."""
    year_match = YEAR.search(text)
    year = int(year_match.group(1)) if year_match else None
    name = YEAR.sub(" ", text, count=1) if year_match else text
    address = location.canonical_index(text)
    if any(c.isdigit() for c in name) or not any(c.isalpha() for c in name):
        return Lookup("address", address=address)
    found = keys.person_keys(name, year, None)
    return Lookup("name_or_address", address=address, person_keys=found, birth_year=year)


def _how(name: str):
    return cast(literal_column(f"'{name}'"), HOW)  # a constant of ours, never user input


def _incident_matches(lookup: Lookup) -> Iterator[Select]:
    """Selects of (incident id, how, role) on the incident's own indexed columns."""
    own = (
        ("reference", Incident.reference, lookup.reference),
        ("reference", Incident.id, lookup.incident_id),
        ("caller_phone", Incident.caller_phone_index, lookup.caller_phone),
        ("address", Incident.address_index, lookup.address),
    )
    for how, column, value in own:
        if value is not None:
            yield select(
                Incident.id.label("incident_id"),
                _how(how).label("how"),
                cast(null(), HOW).label("role"),
            ).where(column == value)


def _person_matches(lookup: Lookup) -> Iterator[Select]:
    """A select of (incident id, key kind, role) over the persons' keys."""
    if not lookup.person_keys:
        return
    year = lookup.birth_year
    unknown_or_same = or_(Person.birth_year.is_(None), Person.birth_year == year)
    conditions = []
    for kind, value in lookup.person_keys:
        condition = and_(PersonKey.kind == kind, PersonKey.value == value)
        # A name with a year never lists a person whose known birth year is another one.
        if year is not None and kind in (keys.NAME, keys.PHONETIC):
            condition = and_(condition, unknown_or_same)
        conditions.append(condition)
    yield (
        select(
            Person.incident_id.label("incident_id"),
            cast(PersonKey.kind, HOW).label("how"),
            cast(Person.role, HOW).label("role"),
        )
        .select_from(PersonKey)
        .join(Person, Person.id == PersonKey.person_id)
        .where(or_(*conditions))
    )


SHOWN = (
    Incident.id,
    Incident.reference,
    Incident.received_at,
    Incident.priority,
    Incident.status,
    Incident.district,
    Incident.restricted,
    Incident.created_by_id,  # what `sees` reads for a restricted incident
    Incident.created_by_token_id,
)
STRENGTH = ("reference", "caller_phone", "phone", "name_year", "name", "phonetic", "address")


def _match_rows(
    actor: Actor, lookup: Lookup, offset: int
) -> list[tuple[Incident, str, str | None]]:
    """One page of (incident, how, role) rows, newest incident first (only plain columns)."""
    parts = [*_incident_matches(lookup), *_person_matches(lookup)]
    if not parts:
        return []
    found = union_all(*parts).subquery("found")
    rows = db.session.execute(
        select(Incident, found.c.how, found.c.role)
        .options(load_only(*SHOWN))
        .join(found, found.c.incident_id == Incident.id)
        .where(visible_to(actor))  # a hidden match costs what a miss costs: it is never read
        # how and role too: rows of one incident keep one order from page to page
        .order_by(Incident.received_at.desc(), Incident.id.desc(), found.c.how, found.c.role)
        .limit(PAGE)
        .offset(offset)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def find(actor: Actor, lookup: Lookup) -> tuple[list[SearchHit], bool]:
    """The incidents the lookup matches that the actor may see, newest first; and whether
    more than LIMIT do."""
    hits: dict[int, tuple[Incident, set[str], set[str]]] = {}
    hidden: set[int] = set()
    for round_ in range(MAX_ROUNDS):
        rows = _match_rows(actor, lookup, round_ * PAGE)
        for incident, how, role in rows:
            if incident.id in hidden:
                continue
            if incident.id not in hits:
                if len(hits) > LIMIT or not sees(actor, incident):
                    hidden.add(incident.id)  # past the limit, or not for this viewer
                    continue
                hits[incident.id] = (incident, set(), set())
            hits[incident.id][1].add(how)
            if role:
                hits[incident.id][2].add(role)
        if len(rows) < PAGE or len(hits) > LIMIT:
            break
    listed = list(hits.values())
    return [_hit(*entry) for entry in listed[:LIMIT]], len(listed) > LIMIT


def _hit(incident: Incident, matched: set[str], roles: set[str]) -> SearchHit:
    return SearchHit(
        id=incident.id,
        reference=incident.reference,
        received_at=incident.received_at,
        priority=str(incident.priority),
        status=str(incident.status),
        district=incident.district,
        restricted=bool(incident.restricted),
        matched_on=[how for how in STRENGTH if how in matched],
        roles=sorted(roles),
    )


def record_search(query: SearchQuery, kind: str, found: list[int]) -> None:
    """Audit a search by its kind and the incidents it listed, with the stated reason code (and
    the reference of the incident it is for)."""
    reason = " ".join(filter(None, (query.reason, query.for_reference)))
    audit.record("search", f"incident_by_{kind}", object_ids=found, reason=reason)


def _refused(query: SearchQuery) -> dict[str, Any]:
    """Field messages for what is typed or stated wrongly (none: the search may go)."""
    bad: dict[str, Any] = {}
    if not any(c.isalnum() for c in query.q):
        bad["q"] = _l("Type a reference, a phone number, a name or an address.")
    if query.reason not in REASONS:
        bad["reason"] = _l(
            "Choose a reason from the list: %(choices)s.", choices=", ".join(REASONS)
        )
    if query.for_reference and not FOR_REFERENCE.match(query.for_reference):
        bad["for_reference"] = _l("An incident reference such as NW-2026-000123.")
    return bad


def session_csrf(view: Any) -> Any:
    """Refuse a request made with a session cookie that lacks the page's CSRF token, even a GET
    (core.policies checks only changes); bearer tokens are never sent by a browser on its own."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authenticated = current_user.is_authenticated  # loads the session user, else the token's
        if g.get("api_token") is None and authenticated:
            check_same_origin()
            headers = current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
            token = next(filter(None, (request.headers.get(h) for h in headers)), None)
            try:
                validate_csrf(token)
            except ValidationError as exc:
                raise CSRFError(exc.args[0]) from None
        return view(*args, **kwargs)

    return wrapper


@api.get("/search")
# Before the limit: a forged search neither runs nor uses up the dispatcher's look-ups.
@session_csrf
# One bucket per user with the look-ups while a call is typed: a colleague cannot sweep the
# city's names and phones by spreading the sweep over routes (the audit shows who tried).
@per_user("lookup", "LOOKUP_RATE_LIMIT", "60 per minute")
@endpoint(
    "Search past incidents by reference, phone, name or address",
    BOARD,
    query=SearchQuery,
    response=SearchResult,
    tags=("incidents",),
)
def search_incidents(query: SearchQuery):
    """Incidents matching a reference, phone, a person's name or an address, that the caller
    may see; scoped tokens (telephony) are refused by the policy."""
    if bad := _refused(query):
        raise problem(422, "validation_error", _l("Some query parameters are not valid."), bad)
    lookup = classify(query.q)
    items, more = find(current_actor(), lookup)
    record_search(query, lookup.kind, [hit.id for hit in items])
    return SearchResult(query_kind=lookup.kind, count=len(items), more=more, items=items)
