"""Background data for `bench_search.py`: a year of incidents bulk-loaded with COPY.

Incidents spread over the last 365 days; canonical address indexes over a city's worth of homes
with repeat addresses (a few homes see dozens of calls, most one or two); caller phones with
repeat callers; one to three persons per incident (victim, suspect, sometimes a child) drawn from
a pool of people who come back, with their PersonKey rows (phone, name, name+year, Double
Metaphone) computed by `triage.keys` exactly as intake computes them; some of the people who
come back linked into person records, as dispatchers link them. Case columns hold real
ciphertext (one value encrypted once: the load measures tables, not Fernet).

Nothing in the background shares a key with the probe incidents the benchmark searches for, so
both databases give the same answers and the ratio is the cost of the larger tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text

from tools import bulkload

_FIRST = (
    "Jan Marie Sofie Tom Kevin Sarah Lotte Bram Wout Eline Nina Lars Jens Lisa Emma Noah "
    "Liam Mohamed Fatima Yasmina Karim Nadia Samir Ayoub Imane Hamza Mehmet Ayse Emre Zeynep "
    "Elif Piotr Anna Katarzyna Tomasz Agnieszka Luca Giulia Ana Joao Ines Olena Andrii Kofi "
    "Ama Pieter Griet Mieke Luc Dirk Hilde Rik Els Koen Veerle Bart Ilse Stijn An Ruben Jana "
    "Seppe"
)
FIRST = _FIRST.split()
_STEMS = (
    "Maes Jans Wout Claes Goos Wyn Aert Hendrick Merten Willem Jacob Smet Dierick Verhaeg "
    "Lemm Baert Bogaert Cool Dewael Geert Hermans Huysman Lambrecht Moens Nys Raes Segers "
    "Stevens Thys Wauter Cuyper Brouck Bulck Damme Eyck Heyde Linden Velde Wijngaerd Vos Mol "
    "Beke"
)
STEMS = _STEMS.split()
SUFFIXES = ("", "s", "ens", "aert", "mans", "ckx", "e")
PARTICLES = ("", "", "", "Van ", "De ", "Vanden", "Van der ", "Ver")
_FAMILIES = (
    "El Amrani|El Idrissi|Benali|Bouzid|Ait Taleb|Ouahbi|Yilmaz|Kaya|Demir|Sahin|Celik|"
    "Ozturk|Nowak|Kowalski|Wisniewski|Rossi|Ferrari|Silva|Santos|Kovalenko|Shevchenko|Mensah|"
    "Owusu"
)
FAMILIES = _FAMILIES.split("|")
PRIORITIES = ("P1", "P2", "P2", "P3", "P3", "P3", "P4")
DISTRICTS = ("Antwerpen", "Berchem", "Borgerhout", "Deurne", "Ekeren", "Hoboken", "Merksem")


@dataclass(frozen=True)
class Shape:
    """How much of what: counts and the skew of repeats."""

    incidents: int
    homes: int  # distinct canonical addresses
    callers: int  # distinct caller phones
    people: int  # distinct persons who may come back
    seed: int = 19


def shape_for(incidents: int) -> Shape:
    """Proportions of a year of domestic-violence calls in a large city."""
    return Shape(
        incidents, homes=incidents * 2 // 5, callers=incidents * 3 // 5, people=incidents // 2
    )


def surname(rng: random.Random) -> str:
    """A Flemish-looking or an immigrant family's surname."""
    if rng.random() < 0.3:
        return rng.choice(FAMILIES)
    return rng.choice(PARTICLES) + rng.choice(STEMS) + rng.choice(SUFFIXES)


def zipf_weights(n: int, skew: float) -> list[float]:
    """Rank weights 1/r^skew: a few addresses, callers and people come back often."""
    return [1.0 / (r**skew) for r in range(1, n + 1)]


Person = tuple[int | None, list[tuple[str, str]]]  # birth year, PersonKey rows (kind, value)


def people(shape: Shape, rng: random.Random, avoid: set[str]) -> list[Person]:
    """People who may come back: birth year and keys, none sharing a key with `avoid`."""
    from triage import keys

    # Double Metaphone is a pure function of a word, and the generated names share few words:
    # remembered while drawing, it costs a tenth (the keys are intake's; the cache goes after,
    # so the measured searches code their names as production does).
    coder = getattr(keys, "doublemetaphone", None)
    if coder is not None:
        keys.doublemetaphone = functools.lru_cache(maxsize=None)(coder)
    pool: list[Person] = []
    try:
        while len(pool) < shape.people:
            name = f"{rng.choice(FIRST)} {surname(rng)}"
            year = rng.randint(1950, 2008) if rng.random() < 0.5 else None
            phone = f"+32 47{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.4 else None
            found = keys.person_keys(name, year, phone)
            if not avoid.intersection(value for _, value in found):
                pool.append((year, found))
    finally:
        if coder is not None:
            keys.doublemetaphone = coder
    return pool


def blind(values: Iterator[str], purpose: str) -> list[str]:
    """Blind indexes of generated values, as intake stores them."""
    from core import crypto

    return [crypto.blind_index(v, purpose=purpose) or "" for v in values]


NULL = "\\N"  # COPY's text format; none of our values holds a tab, newline or backslash


_INCIDENT_COLUMNS = (
    "id reference status priority received_at closed_at address_text address_normalised "
    "address_index address_key postcode district location_quality caller_phone "
    "caller_phone_index narrative flags requested_skills restricted legal_hold created_at "
    "updated_at"
)
INCIDENT_COLUMNS = _INCIDENT_COLUMNS.split()
COLUMNS = {
    "person_record": ("id", "created_at"),
    "incident": tuple(INCIDENT_COLUMNS),
    "person": (
        "id",
        "incident_id",
        "role",
        "name",
        "phone",
        "phone_index",
        "birth_year",
        "record_id",
    ),
    "person_key": ("id", "person_id", "kind", "value"),
}


@dataclass
class Plan:
    """The rows to load as COPY text, per table in load order (the same seed, the same data)."""

    rows: dict[str, list[str]]
    next_person: int
    next_key: int


def draw(shape: Shape, bases: dict[str, int], now: dt.datetime, avoid: set[str]) -> Plan:
    """Every row of the background, ids after `bases` (the highest id of each table)."""
    from core import clock, crypto
    from triage.models import format_reference

    rng = random.Random(shape.seed)
    secret = crypto.encrypt("Benchmarkstraat 1, 2000 Antwerpen")  # one ciphertext for all
    homes = blind(
        (f"benchmarkstraat {r}|{r % 97}||2000" for r in range(shape.homes)), "address_key"
    )
    phones = [
        p for p in blind((f"+3231{r:07d}" for r in range(shape.callers)), "phone") if p not in avoid
    ]
    home_of = rng.choices(range(shape.homes), zipf_weights(shape.homes, 0.7), k=shape.incidents)
    caller_of = rng.choices(range(len(phones)), zipf_weights(len(phones), 0.6), k=shape.incidents)
    pool = people(shape, rng, avoid)
    person_of = rng.choices(range(len(pool)), zipf_weights(len(pool), 0.6), k=shape.incidents * 2)
    linked = sorted(set(person_of[: shape.incidents // 10]))  # people a dispatcher linked
    records = {p: bases["person_record"] + i + 1 for i, p in enumerate(linked)}
    plan = Plan({t: [] for t in COLUMNS}, bases["person"] + 1, bases["person_key"] + 1)
    plan.rows["person_record"] = [f"{r}\t{now.isoformat()}\n" for r in records.values()]
    zone = clock.zone()
    for n in range(shape.incidents):
        iid = bases["incident"] + 1 + n
        received = now - dt.timedelta(seconds=rng.uniform(3600, 365 * 86400))
        phone = phones[caller_of[n]] if rng.random() < 0.7 else None
        at, closed = received.isoformat(), (received + dt.timedelta(hours=2)).isoformat()
        plan.rows["incident"].append(
            f"{iid}\t{format_reference(received.astimezone(zone).year, iid)}\tclosed\t"
            f"{rng.choice(PRIORITIES)}\t{at}\t{closed}\t{secret}\t{secret}\t{homes[home_of[n]]}\t"
            f"{secret}\t2000\t{rng.choice(DISTRICTS)}\tstreet\t{secret if phone else NULL}\t"
            f"{phone or NULL}\t{secret}\t[]\t[]\t{'t' if rng.random() < 0.01 else 'f'}\tf\t"
            f"{at}\t{at}\n"
        )  # the columns of INCIDENT_COLUMNS, in COPY's text format
        roles = ["victim", "suspect"] + (["child"] if rng.random() < 0.1 else [])
        for slot, role in enumerate(roles):
            who = person_of[2 * n + slot] if slot < 2 else rng.randrange(len(pool))
            _person(plan, iid, role, pool[who], records.get(who) if slot < 2 else None, secret)
    return plan


def _person(plan: Plan, incident_id: int, role: str, who: Person, record, secret: str) -> None:
    pid, (year, found) = plan.next_person, who
    plan.next_person += 1
    phone = next((v for k, v in found if k == "phone"), None)
    plan.rows["person"].append(
        f"{pid}\t{incident_id}\t{role}\t{secret}\t{secret if phone else NULL}\t{phone or NULL}"
        f"\t{year or NULL}\t{record or NULL}\n"
    )
    keyed = plan.rows["person_key"]
    for kind, value in found:  # the most rows of all: written directly
        keyed.append(f"{plan.next_key}\t{pid}\t{kind}\t{value}\n")
        plan.next_key += 1


def highest_ids(engine) -> dict[str, int]:
    """The highest id in each table the background goes into."""
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar_one()
            for t in COLUMNS
        }


def load(engine, plan: Plan) -> dict[str, int]:
    """COPY the plan in (tools.bulkload: secondary indexes rebuilt after, foreign-key triggers
    off, the rows being consistent by construction), then move the sequences on and ANALYZE."""
    with bulkload.bulk_cursor(engine, COLUMNS) as cur:
        for table, rows in plan.rows.items():
            bulkload.copy_text(cur, table, COLUMNS[table], rows)
    bulkload.finish(engine, COLUMNS)
    return {table: len(rows) for table, rows in plan.rows.items()}
