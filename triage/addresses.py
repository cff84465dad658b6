"""The address a unit is sent: street, house number, box and postcode, nothing typed around them.

Pure functions. The street is the geocoder's (an official street name) when it matched one;
otherwise the words typed before the house number, if they read like a street name (no
brackets, no digits, none of the words access instructions are made of). The house number and
box come from the typed text. Access instructions ("bellen bij Vandenbroucke") belong in the
incident's own access-notes field, which the assigned crew read on their page; they never go
out by SMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "12", "12A", "12 bus 3", "12 bte 3", "12/3", "12 b3", "12-14": the first number after a word.
_HOUSE = re.compile(
    r"(?<![\d/])(?P<number>\d{1,4}[a-zA-Z]?(?:-\d{1,4}[a-zA-Z]?)?)(?![\d])"
    r"(?:[\s,]*(?:/|\b(?:bus|bte|boîte|b)\.?)\s*(?P<box>\d[0-9a-zA-Z]{0,5}|[a-zA-Z]\d{0,4})\b)?",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b[1-9]\d{3}\b")
_STREET_WORD = re.compile(r"^[^\W\d_][\w'.-]*$")
# Words of instructions, not of street names: "bellen bij", "p/a", "achterdeur", "code".
_NOT_STREET = {
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
    "ten",
    "huize",
    "t.a.v.",
    "tav",
    "naam",
    "bewoner",
    "slachtoffer",
    "dader",
}
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@dataclass(frozen=True)
class HouseNumber:
    """A house number and its box (bus), as typed, and the words typed before it."""

    number: str
    box: str | None = None
    before: str = ""


def typed_street(text: str | None, postcode: str | None = None) -> str | None:
    """The words before the house number when they read like a street name, else None."""
    found = house_number(text, postcode)
    words = found.before.replace(",", " ").split() if found else []
    if not 1 <= len(words) <= 6 or any(w.casefold() in _NOT_STREET for w in words):
        return None
    if postcode and words[0] == postcode:
        words = words[1:]
    if not words or not all(_STREET_WORD.match(w) for w in words):
        return None
    return " ".join(words)


def house_number(text: str | None, postcode: str | None = None) -> HouseNumber | None:
    """The house number (and box) in typed address text, or None.

    Text in brackets is skipped, and so is a four-digit number that is the address's postcode
    ("Kiel 5 bus 3, 2020 Antwerpen" → 5, box 3).
    """
    if not text:
        return None
    plain = _ASIDE.sub(" ", text)
    for match in _HOUSE.finditer(plain):
        number = match.group("number")
        if postcode and number == postcode:
            continue
        if _POSTCODE.fullmatch(number) and not plain[: match.start()].strip():
            continue  # a leading postcode, not a house number
        box = (match.group("box") or "").upper() or None
        return HouseNumber(number.upper(), box, plain[: match.start()].strip())
    return None


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
