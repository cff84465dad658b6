"""The canonical address key: one household, however its address was typed (pure core).

"Lange Beeldekensstraat 20", "Lange Beeldekensstraat 20, 2060 Antwerpen" and "Lange
Beeldekensstraat. 20 Antwerpen" are one door, so they get one key: the street in one written
form (case, accents, abbreviations such as `str.`/`stwg`/`ln`, spacing), the house number, the
box and the postcode. Repeat matching, duplicate warnings, search and the protective-order
register compare the key's blind index (`triage.location.canonical_index`), never the text.

The street is the geocoder's official name when it matched one (or the structured street a form
or an integration sent), else the street words of the typed text. The postcode is the one
known (typed, or the geocoder's), else the one the shipped street list gives the street when
it lies in a single Antwerp postcode, else the one of a place or one-postcode district named in
the text. A street name found under two postcodes (Turnhoutsebaan, 2100 and 2140) stays apart
per postcode once the postcode is known.

A different house number or box is a different key on purpose: a box is a different flat, so a
different household, and a repeat pattern or a house ban belongs to a household, not to the
building it shares with its neighbours.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from triage import addresses
from triage.fuzzy import street_query
from triage.gazetteer import (
    data,
    find_postcode,
    match_area,
    normalise_address,
    street_records,
)

# Flemish street-name abbreviations the gazetteer's normalisation leaves alone (it already
# expands str, stw, stwg, ln, bn, st, gen, burg, kol, kon, kard).
_WORDS = {
    "pl": "plein",
    "pln": "plein",
    "plts": "plaats",
    "dr": "dokter",
    "prof": "professor",
    "mgr": "monseigneur",
    "pr": "prins",
    "kapt": "kapitein",
    "lt": "luitenant",
    "ir": "ingenieur",
    "gebr": "gebroeders",
    "olv": "onzelievevrouw",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
}
_SUFFIXES = (("stw", "steenweg"), ("pl", "plein"), ("plts", "plaats"), ("bn", "baan"))
_PHRASES = ((("o", "l"), ("onze", "lieve")),)  # "O.L.Vrouwstraat"
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")


@dataclass(frozen=True)
class AddressKey:
    """A household's address in one form: street, house number, box, postcode."""

    street: str
    number: str | None
    box: str | None
    postcode: str | None

    def text(self) -> str:
        """The key as one string (what is encrypted and blind-indexed)."""
        return "|".join((self.street, self.number or "", self.box or "", self.postcode or ""))


def street_key(street: str | None) -> str | None:
    """A street name in one written form: "Carnot str" and "Carnotstraat" -> "carnotstraat"."""
    if not street:
        return None
    tokens = [_expand(t) for t in normalise_address(street).split()]
    tokens = _phrases(tokens)
    # Spacing and hyphens never tell two streets apart ("Sint-Jansplein", "St Jans plein").
    joined = "".join(t for t in tokens if t)
    return joined or None


def _expand(token: str) -> str:
    if token in _WORDS:
        return _WORDS[token]
    for short, full in _SUFFIXES:
        if token.isalpha() and len(token) > len(short) + 2 and token.endswith(short):
            return token[: -len(short)] + full
    return token


def _phrases(tokens: list[str]) -> list[str]:
    for short, full in _PHRASES:
        n = len(short)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i : i + n]) == short:
                tokens = [*tokens[:i], *full, *tokens[i + n :]]
    return tokens


def number_key(value: str | None) -> str | None:
    """A house number or box in one form: upper case, no spaces, no leading zeros."""
    if not value:
        return None
    plain = re.sub(r"\s+", "", value).upper().strip(".,/-")
    return _LEADING_ZEROS.sub("", plain) or None


@functools.cache
def _street_postcodes() -> dict[str, tuple[tuple[str, str], ...]]:
    """Street key -> the (postcode, district) pairs the shipped street list has it under."""
    found: dict[str, set[tuple[str, str]]] = {}
    for record in street_records():
        key = street_key(record["name"])
        if key and record.get("postcode"):
            found.setdefault(key, set()).add((record["postcode"], record.get("district") or ""))
    return {key: tuple(sorted(pairs)) for key, pairs in found.items()}


@functools.cache
def _district_postcodes() -> dict[str, tuple[str, ...]]:
    codes: dict[str, list[str]] = {}
    for code, info in data()["postcodes"].items():
        codes.setdefault(info["district"], []).append(code)
    return {district: tuple(sorted(c)) for district, c in codes.items()}


def _area_postcode(tokens: Sequence[str]) -> str | None:
    """The postcode of a place, or of a one-postcode district, named in the text."""
    area = match_area(tokens)
    if area is None:
        return None
    if area.postcode:
        return area.postcode
    codes = _district_postcodes().get(area.district, ())
    return codes[0] if len(codes) == 1 else None


def fill_postcode(street: str, tokens: Sequence[str]) -> str | None:
    """The postcode of a street typed without one: the shipped street list's single postcode
    (a district named in the text picks among several), else a place or district named."""
    pairs = _street_postcodes().get(street, ())
    if len(pairs) > 1 and (area := match_area(tokens)) is not None:
        pairs = tuple(p for p in pairs if p[1] == area.district)
    if len(pairs) == 1:
        return pairs[0][0]
    if pairs:
        return None  # the street lies in several postcodes and the text does not say which
    return _area_postcode(tokens)


def _typed_street(tokens: list[str]) -> str | None:
    """The street words of the typed text, without a place or district named before them."""
    words = street_query(tokens).split()
    # "Antwerpen, Foostraat 5"; but "Kiel 5" is a street named like its neighbourhood.
    while (area := match_area(words)) is not None and _starts(words, area.tokens):
        if len(words) == len(area.tokens):
            break
        words = words[len(area.tokens) :]
    return street_key(" ".join(words))


def _starts(words: Sequence[str], prefix: Sequence[str]) -> bool:
    return tuple(words[: len(prefix)]) == tuple(prefix)


def build(
    text: str | None,
    *,
    street: str | None = None,
    number: str | None = None,
    box: str | None = None,
    postcode: str | None = None,
) -> AddressKey | None:
    """The key of an address from its typed text and the structured parts known, or None.

    `street`: the official name (geocoder or form); `number`/`box`: structured ones; `postcode`:
    the known one. Without any street words there is no key: a postcode or a district alone is
    thousands of households.
    """
    tokens = normalise_address(text).split() if text else []
    key = street_key(street) if street else _typed_street(tokens)
    if not key:
        return None
    if number is None and text:
        # After the official street when it is in the text (a number typed before it is a
        # name's or a floor's); without a street, the first number that is no postcode.
        found = addresses.house_number(text, street, normalise_address)
        number, box = (found.number, box or found.box) if found else (None, box)
    code = postcode or find_postcode(tokens) or fill_postcode(key, tokens)
    number = number_key(number)
    if number is not None and number == code:
        number = None  # "Carnotstraat, 2060": the postcode is no house number
    return AddressKey(key, number, number_key(box) if number else None, code)


def canonical_key(
    text: str | None,
    *,
    street: str | None = None,
    number: str | None = None,
    box: str | None = None,
    postcode: str | None = None,
) -> str | None:
    """The key string of an address (`build(...).text()`), or None."""
    found = build(text, street=street, number=number, box=box, postcode=postcode)
    return found.text() if found else None
