"""The shipped Antwerp gazetteer: address normalisation and the offline names and centroids.

Pure: no Flask, no database. `data/antwerp.json` holds postcodes, districts, places and the
curated streets (tools/build_antwerp_data.py); `data/antwerp_streets.json` adds streets built by
tools/build_antwerp_streets.py (see data/STREETS.md for sources, licences and coverage).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).resolve().parent / "data" / "antwerp.json"
STREETS_PATH = Path(__file__).resolve().parent / "data" / "antwerp_streets.json"


# --- normalisation -------------------------------------------------------------------------

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "ı": "i"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORDS = (  # abbreviation -> word; also Antwerp's other names
    {"str": "straat", "stw": "steenweg", "stwg": "steenweg", "stnwg": "steenweg", "ln": "laan"}
    | {"bn": "baan", "st": "sint", "gen": "generaal", "burg": "burgemeester", "kol": "kolonel"}
    | {"kon": "koning", "kard": "kardinaal", "antwerp": "antwerpen", "anvers": "antwerpen"}
)
_SUFFIXES = (("stwg", "steenweg"), ("str", "straat"), ("ln", "laan"))
# Street-type words written apart ("Vlaamse Kaai", "carnot str.") are glued to the name.
_GLUE = frozenset(
    {"straat", "laan", "steenweg", "lei", "plein", "plaats", "baan", "kaai", "vest", "dreef"}
    | {"weg", "dijk"}
)
_FILLER = frozenset({"nr", "belgie", "belgium", "belgique", "belgien"})
_COUNTRY_PREFIX = frozenset({"b", "be"})


def normalise_address(text: str) -> str:
    """Return a canonical, idempotent form of address text (the cache key material)."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    tokens = [_expand(t) for t in _NON_WORD.sub(" ", ascii_only).split()]
    tokens = _drop_country_prefix([t for t in tokens if t not in _FILLER])
    return " ".join(_glue_street_types(tokens))


def _expand(token: str) -> str:
    """Expand one abbreviated word ("str" -> "straat", "carnotstr" -> "carnotstraat")."""
    if token in _WORDS:
        return _WORDS[token]
    for short, full in _SUFFIXES:
        if token.isalpha() and len(token) > len(short) + 1 and token.endswith(short):
            return token[: -len(short)] + full
    return token


def _drop_country_prefix(tokens: list[str]) -> list[str]:
    """Drop "B"/"BE" in front of a postcode ("B-2060" -> "2060")."""
    kept: list[str] = []
    for token in reversed(tokens):
        if token in _COUNTRY_PREFIX and kept and is_postcode_like(kept[-1]):
            continue
        kept.append(token)
    return kept[::-1]


def _glue_street_types(tokens: list[str]) -> list[str]:
    """Join a separate street-type word to the name before it."""
    out: list[str] = []
    for token in tokens:
        if token in _GLUE and out and out[-1].isalpha():
            out[-1] += token
        else:
            out.append(token)
    return out


def is_postcode_like(token: str) -> bool:
    """Whether a token looks like a Belgian postcode (four digits)."""
    return len(token) == 4 and token.isdigit()


# --- shipped data --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A named thing the offline geocoder can match: street, place or district."""

    kind: str  # "street" | "place" | "district"
    name: str
    tokens: tuple[str, ...]
    lat: float
    lon: float
    district: str
    postcode: str | None = None
    locality: str | None = None


@functools.cache
def data() -> dict[str, Any]:
    """Load the shipped Antwerp data once."""
    with DATA_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def antwerp_postcodes() -> dict[str, dict]:
    """Return postcode -> {district, lat, lon, name} for every Antwerp postcode."""
    return {code: dict(info) for code, info in data()["postcodes"].items()}


def antwerp_districts() -> dict[str, dict]:
    """Return district -> {lat, lon} for every Antwerp district."""
    return {name: {"lat": d["lat"], "lon": d["lon"]} for name, d in data()["districts"].items()}


def entry(kind: str, name: str, alias: str, rec: dict[str, Any]) -> Entry:
    """Build one index entry from a JSON record."""
    tokens = tuple(normalise_address(alias).split())
    fields: dict[str, Any] = {key: rec.get(key) for key in ("lat", "lon", "postcode", "locality")}
    return Entry(kind, name, tokens, district=rec.get("district", name), **fields)


@functools.cache
def street_records() -> tuple[dict[str, Any], ...]:
    """The curated streets, then the built ones not already curated (same name and postcode)."""
    curated = list(data()["streets"])
    seen = {(s["name"], s["postcode"]) for s in curated}
    built = []
    if STREETS_PATH.exists():
        with STREETS_PATH.open(encoding="utf-8") as fh:
            built = json.load(fh)["streets"]
    return tuple(curated + [s for s in built if (s["name"], s["postcode"]) not in seen])


@functools.cache
def streets() -> tuple[Entry, ...]:
    """Index every shipped street by normalised name tokens."""
    return tuple(entry("street", s["name"], s["name"], s) for s in street_records())


@functools.cache
def areas() -> tuple[Entry, ...]:
    """Index places and districts; longest name first, "Antwerpen" (the city too) last."""
    entries = [
        entry(kind, name, alias, rec)
        for kind, key in (("place", "places"), ("district", "districts"))
        for name, rec in data()[key].items()
        for alias in [name, *rec["aliases"]]
    ]
    return tuple(sorted(entries, key=lambda e: (e.name == "Antwerpen", -len(e.tokens))))


def contains(tokens: Sequence[str], needle: tuple[str, ...]) -> bool:
    """Tell whether needle occurs as a contiguous run of tokens."""
    n = len(needle)
    return any(tuple(tokens[i : i + n]) == needle for i in range(len(tokens) - n + 1))


def find_postcode(tokens: Sequence[str]) -> str | None:
    """Return the last token that is a Belgian postcode (it follows the house number)."""
    known = data()["postcodes"].keys() | data()["other_postcodes"].keys()
    return next((t for t in reversed(tokens) if is_postcode_like(t) and t in known), None)


def match_area(tokens: Sequence[str]) -> Entry | None:
    """Find the most specific place or district named in the text."""
    return next((a for a in areas() if contains(tokens, a.tokens)), None)
