"""Address candidates with fuzzy street matching over the shipped gazetteer (pure core).

A typed address ("Carnottstraat 45", "carnot str 45", "Lange Beeldekenstraat 20 2060") is
normalised (triage.gazetteer: abbreviations, accents, case, spacing), its street part is compared
with every shipped street name by rapidfuzz's normalised Indel similarity (0-100), and the best
streets come back as candidates with their centroid, postcode and district. A postcode in the
text keeps only streets of that postcode; a district or place name breaks ties.

Quality, decided here once: the offline data holds street centroids, never house positions, so
no candidate is ever "exact". A street candidate is "street"; the postcode and district named in
the text are offered after the streets as "postcode"/"district" candidates, so the dispatcher
can always pick the coarser but certain one. The single-result geocoder uses a fuzzy street
only when it is unambiguous (`unambiguous`): a strong score and no rival close to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from triage import addresses
from triage.gazetteer import (
    Entry,
    contains,
    data,
    find_postcode,
    match_area,
    normalise_address,
    streets,
)

MIN_SCORE = 75.0  # below this a street is not offered at all
SURE_SCORE = 88.0  # the single-result geocoder trusts a fuzzy street only from here ...
SURE_MARGIN = 6.0  # ... and only if the next different street scores this much lower
MIN_QUERY = 4  # shorter street text ("mei") is matched exactly or not at all
MAX_CANDIDATES = 10
# A street-type word that the text may leave out ("carnot 45" for "Carnotstraat 45").
_TYPES = ("steenweg", "straat", "plaats", "plein", "laan", "baan", "lei", "kaai", "vest", "weg")


@dataclass(frozen=True)
class Candidate:
    """One place the typed address may mean, with its score (0-100) and quality."""

    street: str | None
    house_number: str | None
    box: str | None
    postcode: str | None
    district: str | None
    locality: str | None
    lat: float
    lon: float
    score: float
    quality: str
    display: str


def street_query(tokens: Sequence[str]) -> str:
    """The street part of normalised tokens: the words before the first number, else all words
    that do not name a district or place."""
    head: list[str] = []
    for token in tokens:
        if not token.isalpha():
            break
        head.append(token)
    if head and len(head) < len(tokens):
        return " ".join(head)
    words = [t for t in tokens if t.isalpha()]
    area = match_area(words)
    if area is not None:  # "carnottstraat antwerpen": the city is not part of the street
        n = len(area.tokens)
        for i in range(len(words) - n, -1, -1):
            if tuple(words[i : i + n]) == area.tokens:
                words = words[:i] + words[i + n :]
                break
    return " ".join(words)


def _stem(name: str) -> str:
    """A street name without its street-type ending ("carnotstraat" -> "carnot")."""
    for kind in _TYPES:
        if name.endswith(kind) and len(name) > len(kind) + 2:
            return name[: -len(kind)]
    return name


def score(query: str, street: Entry) -> float:
    """How well the typed street part matches a shipped street, 0-100."""
    name = " ".join(street.tokens)
    full = fuzz.ratio(query, name)
    bare = fuzz.ratio(query, _stem(name)) - 4  # the type word left out: a little less sure
    return round(max(full, bare), 1)


def scored_streets(tokens: Sequence[str], postcode: str | None) -> list[tuple[float, Entry]]:
    """Streets scoring at least MIN_SCORE, best first; a district named in the text breaks ties."""
    query = street_query(tokens)
    if len(query.replace(" ", "")) < MIN_QUERY:
        return []
    area = match_area(tokens)
    pool = [s for s in streets() if postcode is None or s.postcode == postcode]
    found = []
    for street in pool:
        value = score(query, street)
        if value >= MIN_SCORE:
            bonus = 0.5 if area is not None and street.district == area.district else 0.0
            found.append((min(100.0, value + bonus), street))
    return sorted(found, key=lambda pair: (-pair[0], pair[1].name, pair[1].postcode or ""))


def unambiguous(found: list[tuple[float, Entry]], area: Entry | None = None) -> Entry | None:
    """The one street a fuzzy match is sure of, or None (weak, or a rival close behind).

    A district or place named in the text settles a tie between same-named streets, as it does
    for an exact name.
    """
    if area is not None and any(s.district == area.district for _, s in found):
        found = [(v, s) for v, s in found if s.district == area.district]
    if not found or found[0][0] < SURE_SCORE:
        return None
    best_score, best = found[0]
    rivals = [v for v, s in found[1:] if (s.name, s.postcode) != (best.name, best.postcode)]
    if rivals and best_score - rivals[0] < SURE_MARGIN:
        return None
    return best


def _street_candidate(text: str, value: float, street: Entry) -> Candidate:
    code = street.postcode or ""
    locality = street.locality or data()["postcodes"][code]["name"]
    found = addresses.house_number(text, street.name, normalise_address)
    number = found.number if found and found.number != code else None
    box = found.box if found and number else None
    label = f"{street.name} {number}" if number else street.name
    if number and box:
        label += f" bus {box}"
    return Candidate(
        street.name,
        number,
        box,
        code,
        street.district,
        locality,
        street.lat,
        street.lon,
        value,
        "street",
        f"{label}, {code} {locality}",
    )


def _area_candidates(tokens: Sequence[str], postcode: str | None) -> list[Candidate]:
    """The postcode and the district or place named in the text, as coarse candidates."""
    out = []
    if postcode is not None:
        info = data()["postcodes"][postcode]
        label = f"{postcode} {info['name']}"
        args = (postcode, info["district"], info["name"], info["lat"], info["lon"])
        out.append(Candidate(None, None, None, *args, 50.0, "postcode", label))
    area = match_area(tokens)
    if area is not None and (postcode is None or area.postcode in (None, postcode)):
        locality = area.name if area.kind == "place" else area.district
        out.append(
            Candidate(
                None,
                None,
                None,
                area.postcode,
                area.district,
                locality,
                area.lat,
                area.lon,
                40.0,
                "district",
                area.name,
            )
        )
    return out


def candidates(text: str, limit: int = 5) -> list[Candidate]:
    """Up to `limit` places the typed address may mean, best first; [] outside Antwerp."""
    limit = max(1, min(limit, MAX_CANDIDATES))
    tokens = normalise_address(text).split()
    postcode = find_postcode(tokens)
    if postcode is not None and postcode not in data()["postcodes"]:
        return []
    exact = [s for s in streets() if contains(tokens, s.tokens)]
    found = scored_streets(tokens, postcode)
    if not found and postcode is not None:  # a wrong postcode must not hide the street
        found = [(v - 10, s) for v, s in scored_streets(tokens, None) if v - 10 >= MIN_SCORE]
    ranked = [(100.0, s) for s in exact if postcode in (None, s.postcode)]
    ranked += [(v, s) for v, s in found if s not in {e for _, e in ranked}]
    out = [_street_candidate(text, v, s) for v, s in ranked]
    out += _area_candidates(tokens, postcode)
    return out[:limit]
