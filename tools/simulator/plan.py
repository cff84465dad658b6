"""Planning a synthetic night of family-crisis calls: pure, deterministic for a seed.

`plan_night(seed, calls)` returns the calls with everything the HTTP driver needs: when each
arrives (simulated seconds after the start), where (a street of the offline Antwerp data the
geocoder knows), who is involved (synthetic names), the caller's story in Dutch, the answers to
the risk screens, what the unit replies by SMS and when, how the incident is closed and the
handover note. No Flask, no database, no network.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from typing import Any

from tools.simulator import answers as ans
from tools.simulator import texts
from tools.simulator.model import Call, Note, Person, Screen, Step
from triage import scoring
from triage.geocoding import DATA_PATH
from triage.instruments import Instrument, load_instruments

MEAN_GAP_S = 120.0  # a busy stretch of the night: a call every two minutes on average
KINDS = {"acute": 28, "high": 24, "medium": 24, "standard": 24}
CALLERS = {"victim": 40, "neighbour": 30, "family": 12, "child": 8, "passerby": 10}
DISPOSITIONS = {
    "acute": {"arrest": 35, "house_ban": 25, "victim_to_shelter": 15, "medical_care": 15,
              "resolved_on_scene": 10},
    "high": {"house_ban": 30, "referred_to_services": 30, "victim_to_shelter": 20, "arrest": 20},
    "medium": {"referred_to_services": 45, "resolved_on_scene": 35, "no_offence": 20},
    "standard": {"resolved_on_scene": 40, "referred_to_services": 25, "no_offence": 20,
                 "no_contact": 10, "cancelled": 5},
    "hung_up": {"no_contact": 60, "cancelled": 40},
}  # fmt: skip
NO_NOTE = frozenset({"no_contact", "cancelled", "no_offence"})


@functools.cache
def instruments() -> dict[str, Instrument]:
    """The shipped risk instruments (the ones the server loads by default)."""
    return load_instruments()


@functools.cache
def streets() -> tuple[dict[str, Any], ...]:
    """The Antwerp streets the offline geocoder knows, with postcode and district."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    names = {code: rec["name"] for code, rec in data["postcodes"].items()}
    return tuple(
        {**s, "locality": s.get("locality") or names[s["postcode"]]} for s in data["streets"]
    )


def plan_night(seed: int, calls: int) -> list[Call]:
    """Plan `calls` calls arriving over a night; the same seed gives the same night."""
    rng = random.Random(seed)
    planned: list[Call] = []
    at = rng.uniform(0, 20)
    for index in range(calls):
        repeat_of = _repeat_of(rng, planned)
        planned.append(_plan_call(rng, index, round(at, 1), repeat_of))
        at += rng.expovariate(1 / MEAN_GAP_S)
    return planned


def _repeat_of(rng: random.Random, planned: list[Call]) -> Call | None:
    """Now and then a second call from an address already called from tonight."""
    if len(planned) < 5 or rng.random() >= 0.08:
        return None
    return rng.choice(planned[: len(planned) - 2])


@dataclass(frozen=True)
class _Household:
    persons: tuple[Person, ...]
    female: bool
    relation: str


def _plan_call(rng: random.Random, index: int, at: float, repeat_of: Call | None) -> Call:
    kind, caller = texts.pick(rng, KINDS), texts.pick(rng, CALLERS)
    hung_up = kind == "standard" and rng.random() < 0.3
    if repeat_of is not None:  # the same household calls again
        house = _Household(repeat_of.persons, repeat_of.victim_female, repeat_of.relation)
    else:
        house = _household(rng, caller)
    address, district = _location(rng, repeat_of)
    children = any(p.role == "child" for p in house.persons)
    screens = _screens(rng, kind, caller, hung_up, children)
    yes_danger = [k for k, v in screens[0].answers if v == "yes"]
    dash = next((s.answers for s in screens if s.instrument == "dash"), ())
    story = texts.narrative(
        rng, caller, yes_danger, ans.history(rng, dash, caller), house.female, house.relation,
        repeat=repeat_of is not None, hung_up=hung_up,
    )  # fmt: skip
    disposition = texts.pick(rng, DISPOSITIONS["hung_up" if hung_up else kind])
    priority = expected_priority(screens)
    note = _note(rng, kind, priority, district, house, disposition)
    return Call(
        index=index, at_s=at, kind=kind, address=address, district=district,
        caller_phone=repeat_of.caller_phone if repeat_of else _phone(rng),
        persons=house.persons, victim_female=house.female, relation=house.relation,
        children_present=children if caller != "passerby" else None,
        flags=tuple(yes_danger[:1]) if yes_danger and rng.random() < 0.6 else (),
        narrative=story, requested_skills=_skills(rng, kind, children),
        screens=tuple(screens), steps=_steps(rng, kind, screens, note is not None),
        expected_priority=priority, disposition=disposition, note=note,
    )  # fmt: skip


def _screens(
    rng: random.Random, kind: str, caller: str, hung_up: bool, children: bool
) -> list[Screen]:
    """Immediate danger always; DASH unless the caller hung up; LAP on scene for some."""
    danger = ans.immediate(rng, kind, caller, children)
    screens = [Screen("immediate-danger", danger)]
    dash = None if hung_up else ans.dash(rng, kind, danger)
    if dash is not None:
        screens.append(Screen("dash", dash, ans.judgement(rng, kind)))
    if kind in ("acute", "high") and rng.random() < 0.6:
        screens.append(Screen("lap", ans.lap(rng, dash or (), danger)))
    return screens


def _household(rng: random.Random, caller: str) -> _Household:
    """Victim first, then the suspect and any children (synthetic names)."""
    background = texts.pick(rng, texts.BACKGROUND_WEIGHTS)
    female = rng.random() < 0.85
    age = rng.randint(19, 67) if female else rng.randint(20, 78)
    victim = Person(
        "victim", texts.person_name(rng, background, female), age, texts.language(rng, background)
    )
    if female:
        relation = texts.pick(rng, {"partner": 55, "ex_partner": 30, "son": 10 if age > 40 else 0})
    else:  # men on the receiving end here: an adult son or a brother
        relation = "son" if age > 45 else "brother"
    suspect_age = age + rng.randint(-6, 8)
    if relation == "son":
        suspect_age = age - rng.randint(20, 30)
    suspect = Person("suspect", texts.person_name(rng, background, False), max(17, suspect_age))
    n_kids = rng.choices([0, 1, 2, 3], weights=[40, 25, 25, 10])[0] if age < 45 else 0
    if caller == "child" and relation in ("partner", "ex_partner"):
        n_kids = max(n_kids, 1)
    kids = tuple(Person("child", None, rng.randint(1, min(15, age - 17))) for _ in range(n_kids))
    return _Household((victim, suspect, *kids), female, relation)


def _location(rng: random.Random, repeat_of: Call | None) -> tuple[str, str]:
    """An address on a known street (or the earlier call's), and its district."""
    if repeat_of is not None:
        return repeat_of.address, repeat_of.district
    street = rng.choice(streets())
    number = rng.randint(1, 180)
    box = f" bus {rng.randint(1, 12)}" if rng.random() < 0.25 else ""
    address = f"{street['name']} {number}{box}, {street['postcode']} {street['locality']}"
    return address, street["district"]


def _phone(rng: random.Random) -> str:
    """A Belgian mobile number (synthetic)."""
    return f"+32 4{rng.choice('6789')}{rng.randint(0, 9)} {rng.randint(10, 99)} " + (
        f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
    )


def _skills(rng: random.Random, kind: str, children: bool) -> tuple[str, ...]:
    """Skills the dispatcher asks for: a female officer, child interviewing, shelter transport."""
    wanted = []
    if rng.random() < 0.12:
        wanted.append("female_officer")
    if children and kind == "acute" and rng.random() < 0.4:
        wanted.append("child_interviewing")
    if kind in ("acute", "high") and rng.random() < 0.15:
        wanted.append("shelter_transport")
    return tuple(wanted)


def expected_priority(screens: list[Screen] | tuple[Screen, ...]) -> str:
    """The priority the screens give a new incident (P3 to start with; raised, never lowered)."""
    found = ["P3"]
    for screen in screens:
        inst = instruments()[screen.instrument]
        result = scoring.score(inst, dict(screen.answers))
        if screen.judgement:
            result = scoring.apply_judgement(inst, result, *screen.judgement)
        found.append(scoring.level_priority(inst, result.level))
    return scoring.combine_priority(*found)


def _steps(rng: random.Random, kind: str, screens: list[Screen], note: bool) -> tuple[Step, ...]:
    """What happens after the intake, in simulated seconds; acute calls are sent at once."""
    ids = [s.instrument for s in screens]
    steps = [Step("screen", rng.uniform(15, 40), "immediate-danger")]
    dash = [Step("screen", rng.uniform(50, 140), "dash")] if "dash" in ids else []
    assign = [Step("assign", rng.uniform(5, 25))]
    steps += assign + dash if kind == "acute" else dash + assign
    steps += ans.replies(rng, kind, "lap" in ids)
    if note:
        steps.append(Step("note", rng.uniform(30, 120)))
    steps.append(Step("close", rng.uniform(10, 60)))
    return tuple(steps)


def _note(
    rng: random.Random,
    kind: str,
    priority: str,
    district: str,
    house: _Household,
    disposition: str,
) -> Note | None:
    """The handover note, when there is something to hand over and a basis to share it."""
    if disposition in NO_NOTE:
        return None
    share = ans.sharing(rng, kind)
    if share is None:
        return None
    consent, basis, organisations = share
    high_risk = priority in ("P1", "P2")
    ages = [p.age for p in house.persons if p.role == "child" and p.age]
    return Note(
        summary=texts.summary(district, house.relation, house.female, disposition, high_risk),
        persons=tuple(Person(p.role, p.name, p.age) for p in house.persons),
        children=texts.children_text(ages),
        actions=ans.actions(disposition),
        consent=consent,
        legal_basis=basis,
        organisations=organisations,
        urgent=kind == "acute" and bool(ages),
        follow_up=texts.FOLLOW_UPS[basis],
    )
