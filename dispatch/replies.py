"""The SMS conversation with units: the texts we send and the replies we parse.

Pure: no Flask, no database. Texts carry a call sign, incident reference, priority, address
and the reply codes, never names, risk answers or narrative. A reply counts only when, apart
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
REPLY_HINT = "Antwoord OK=ontvangen, ONDERWEG, TERPLAATSE, VRIJ (+ref)"

KEYWORDS: dict[str, str] = {
    "OK": "ack",
    "ACK": "ack",
    "ONDERWEG": "en_route",
    "ENROUTE": "en_route",
    "TERPLAATSE": "on_scene",
    "ONSCENE": "on_scene",
    "VRIJ": "clear",
    "CLEAR": "clear",
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
# What the confirmation SMS says was noted, per reply code. Officers' phones have no locale: SMS
# are Dutch, in GSM-7 characters only (no accents, no typographic quotes).
CONFIRMATIONS: dict[str, str] = {
    "ack": "ontvangst bevestigd",
    "en_route": "onderweg genoteerd",
    "on_scene": "ter plaatse genoteerd",
    "clear": "vrij genoteerd",
}
# Unit statuses as an SMS names them.
STATUS_WORDS: dict[str, str] = {
    "off_duty": "buiten dienst",
    "available": "vrij",
    "assigned": "toegewezen",
    "acknowledged": "ontvangst bevestigd",
    "en_route": "onderweg",
    "on_scene": "ter plaatse",
    "transporting": "in transport",
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


# --- Texts sent to units.


def _clean(value: object) -> str:
    return " ".join(str(value).split())


def _priority(priority: str | int) -> str:
    text = _clean(priority).upper()
    return f"P{text}" if text.isdigit() else text


def _fit(head: str, address: str, tail: str) -> str:
    """Shorten the address so that head + address + tail fits in MAX_SMS_CHARS."""
    room = MAX_SMS_CHARS - len(head) - len(tail)
    text = _clean(address) or "adres onbekend"
    if len(text) > room:
        text = text[: max(room - 3, 0)].rstrip() + "..."
    return (head + text + tail)[:MAX_SMS_CHARS]


def compose_assignment_sms(
    call_sign: str, reference: str, priority: str | int, address: str
) -> str:
    """Write the assignment SMS: call sign, reference, priority, address and reply codes."""
    head = f"NW {_clean(call_sign)}: {_priority(priority)} {_clean(reference)}, "
    return _fit(head, address, f". {REPLY_HINT}")


def compose_repage_sms(
    call_sign: str, reference: str, priority: str | int, address: str, page: int = 2
) -> str:
    """Write a repeated page; the page number keeps each repeat's text distinct."""
    head = f"HERHALING {page}: NW {_clean(call_sign)}: {_priority(priority)} {_clean(reference)}, "
    return _fit(head, address, f". {REPLY_HINT}")


def compose_welfare_sms(call_sign: str, reference: str) -> str:
    """Ask a unit on an incident to confirm it is safe by replying with its status."""
    ref = _clean(reference)
    return (
        f"NW {_clean(call_sign)}: controle {ref}. Alles in orde? "
        f"Antwoord TERPLAATSE of VRIJ {ref}. Geen antwoord = melding aan supervisor."
    )


def danger_words(text: str, words: tuple[str, ...]) -> list[str]:
    """The distress words (mes, wapen, versterking, couteau, knife …) a free text contains."""
    found = set(re.findall(r"\w+", text.casefold()))
    return [w for w in words if w.casefold() in found]


def compose_distress_sms(call_sign: str) -> str:
    """Tell a unit in distress that every console and the supervisor were alarmed."""
    return f"{_clean(call_sign)}: NOOD ontvangen. Alle consoles en de supervisor zijn gealarmeerd."


def compose_confirmation_sms(call_sign: str, code: str) -> str:
    """Confirm a reply that changed the unit's status, e.g. "NT-21: ontvangst bevestigd."."""
    return f"{_clean(call_sign)}: {CONFIRMATIONS[code]}."


def compose_refusal_sms(call_sign: str, current: str, requested: str) -> str:
    """Say that a reply asked for a status change the unit cannot make now."""
    now = STATUS_WORDS.get(current, _clean(current).replace("_", " "))
    asked = STATUS_WORDS.get(requested, _clean(requested).replace("_", " "))
    return (f"{_clean(call_sign)}: van {now} kan niet naar {asked}. Antwoord HELP voor de codes.")[
        :MAX_SMS_CHARS
    ]


def compose_help_sms() -> str:
    """Explain the reply codes."""
    return (
        "Nachtwacht-codes: OK=ontvangen, ONDERWEG, TERPLAATSE, VRIJ. Voeg de referentie toe "
        "(bv. NW-2026-000123) bij meer dan een opdracht. Andere tekst leest de dispatcher."
    )


def compose_unknown_sender_reply() -> str:
    """Politely tell an unknown number that only night-team replies are accepted here."""
    return "Dit nummer aanvaardt enkel antwoorden van de nachtploeg. Bij nood: bel 112. Dank u."
