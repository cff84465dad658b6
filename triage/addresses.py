"""The address a unit is sent: street, house number, box and postcode, nothing typed around them.

Pure functions. The street is an official street name: the geocoder's match, or the structured
`street` field an integration or the form sends. Words typed into the address box are never sent
as a street (a name typed before or instead of the street would reach a phone that may be lost);
without an official street the unit is sent the postcode and district, and reads the rest on its
page. The house number and box are read right after the matched street in the typed text.
Access instructions ("bellen bij Vandenbroucke") belong in the incident's access-notes field,
which the assigned crew read; they never go out by SMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# "12", "12A", "12 bus 3", "12 bte 3", "12/3", "12 b3", "12-14".
_HOUSE = re.compile(
    r"(?<![\d/])(?P<number>\d{1,4}[a-zA-Z]?(?:-\d{1,4}[a-zA-Z]?)?)(?![\d])"
    r"(?:[\s,]*(?:/|\b(?:bus|bte|boîte|b)\.?)\s*(?P<box>\d[0-9a-zA-Z]{0,5}|[a-zA-Z]\d{0,4})\b)?",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[^\s,;()\[\]]+")
# "2e verdieping", "3de verd.": a floor, not a house number.
_FLOOR = re.compile(r"\s*(?:e|de|ste)?\s*(?:verdieping|verd\b|etage|étage)", re.IGNORECASE)


# Words of access instructions, never of a street name: "bellen bij", "p/a", "achterdeur", "code".
_INSTRUCTIONS = frozenset(
    [
        "bij",
        "bellen",
        "bel",
        "aanbellen",
        "via",
        "achter",
        "achterdeur",
        "voordeur",
        "code",
        "c/o",
        "p/a",
        "t.a.v.",
        "tav",
        "fam",
        "fam.",
        "familie",
        "huize",
        "bewoner",
        "slachtoffer",
        "dader",
        "verdieping",
    ]
)


def reads_as_instructions(street: str) -> bool:
    """Whether text given as a street holds words of instructions or of a household."""
    words = street.casefold().split()
    return any(w in _INSTRUCTIONS or w.strip(",.") in _INSTRUCTIONS for w in words)


@dataclass(frozen=True)
class HouseNumber:
    """A house number and its box (bus), as typed."""

    number: str
    box: str | None = None


def house_number(
    text: str | None,
    street: str | None = None,
    normalise: Callable[[str], str] = str.casefold,
) -> HouseNumber | None:
    """The house number (and box) typed right after the street, or None.

    `normalise` makes typed words comparable with the street's ("Carnotstr." and "Carnotstraat").
    Without a street, or when the street is not found in the text, the first number that is not
    a floor ("2e verdieping") and not a leading postcode is taken.
    """
    if not text:
        return None
    plain = _ASIDE.sub(lambda m: " " * len(m.group()), text)
    start = _after_street(plain, street, normalise) if street else None
    if start is not None:
        match = _HOUSE.match(plain, start) or _HOUSE.match(plain, _skip_space(plain, start))
        return _found(match) if match and not _is_floor(plain, match) else None
    for match in _HOUSE.finditer(plain):
        if _is_floor(plain, match):
            continue
        before = plain[: match.start()].strip()
        if len(match.group("number")) == 4 and not before:
            continue  # a leading postcode, not a house number
        return _found(match)
    return None


def _after_street(plain: str, street: str, normalise: Callable[[str], str]) -> int | None:
    """Where the typed text goes on after the street's last word, if it is there."""
    last = normalise(street.split()[-1]) if street.split() else ""
    for word in _WORD.finditer(plain):
        if last and normalise(word.group()) == last:
            return word.end()
    return None


def _skip_space(plain: str, start: int) -> int:
    while start < len(plain) and plain[start] in " \t,":
        start += 1
    return start


def _is_floor(plain: str, match: re.Match[str]) -> bool:
    return bool(_FLOOR.match(plain, match.end("number")))


def _found(match: re.Match[str]) -> HouseNumber:
    box = (match.group("box") or "").upper() or None
    return HouseNumber(match.group("number").upper(), box)


def sms_line(
    street: str | None,
    number: str | None,
    box: str | None,
    postcode: str | None,
    district: str | None,
) -> str:
    """One line for the assignment SMS: "Kiel 5 bus 3, 2020"; without a street, the area."""
    if street:
        line = street if not number else f"{street} {number}"
        if number and box:
            line += f" bus {box}"
        return f"{line}, {postcode}" if postcode else line
    return " ".join(p for p in (postcode, district) if p) or "locatie op console"
