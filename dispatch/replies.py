"""The SMS replies from units: what their words mean (the texts we send are `dispatch.texts`).

Pure: no Flask, no database. A reply counts only when, apart
from an incident reference, punctuation, spacing, case and accents, it is exactly one keyword;
anything else gets code None so the caller shows the raw text to a dispatcher instead of
guessing a unit status.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from triage.models import format_reference

# Keywords as written without spaces or punctuation ("TER PLAATSE" squashes to "TERPLAATSE").
MAX_SMS_CHARS = 320

KEYWORDS: dict[str, str] = {
    "OK": "ack",
    "ACK": "ack",
    "ONDERWEG": "en_route",
    "ENROUTE": "en_route",
    "TERPLAATSE": "on_scene",
    "ONSCENE": "on_scene",
    "VRIJ": "clear",
    "CLEAR": "clear",
    "SURPLACE": "on_scene",
    "LIBRE": "clear",
    "HELP": "help",
    "NOOD": "distress",
    "SOS": "distress",
}
DISTRESS = ("NOOD", "SOS")

REPLY_STATUS: dict[str, str] = {
    "ack": "acknowledged",
    "en_route": "en_route",
    "on_scene": "on_scene",
    "clear": "available",
}

# NW-2026-000123, nw 2026 123, nw2026000123: "NW", a four-digit year, a sequence number.
_REFERENCE = re.compile(r"(?<![A-Z0-9])NW[^A-Z0-9?]{0,3}(\d{4})[^A-Z0-9?]{0,3}(\d{1,6})(?!\d)")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class Reply:
    """A parsed SMS reply: a code (None when unparseable), a normalised reference, the text."""

    code: str | None
    reference: str | None
    raw: str


def normalise(text: str) -> str:
    """Upper-case the text and fold accents and compatibility forms (ĳ → IJ, Ｏ → O)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def parse_reply(text: str) -> Reply:
    """Read a reply code and an optional incident reference from an SMS text."""
    upper = normalise(text)
    match = _REFERENCE.search(upper)
    reference = format_reference(match.group(1), match.group(2)) if match else None
    rest = _REFERENCE.sub(" ", upper) if match else upper
    return Reply(code=_code(rest), reference=reference, raw=text)


def _code(rest: str) -> str | None:
    words = rest.split()
    if words and _NOT_ALNUM.sub("", words[0]) in DISTRESS:
        return "distress"  # NOOD or SOS first, whatever follows ("SOS mes in huis")
    squashed = _NOT_ALNUM.sub("", rest)
    if squashed in KEYWORDS:
        return KEYWORDS[squashed]
    if not squashed and "?" in rest:
        return "help"
    return None


def reply_status(code: str | None) -> str | None:
    """The unit status a reply code moves to (None for help or unparseable replies)."""
    return REPLY_STATUS.get(code) if code else None


def danger_words(text: str, words: tuple[str, ...]) -> list[str]:
    """The distress words (mes, wapen, versterking, couteau, knife …) a free text contains."""
    found = set(re.findall(r"\w+", text.casefold()))
    return [w for w in words if w.casefold() in found]
