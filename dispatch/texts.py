"""The SMS texts the system sends to units, in each unit's language (nl, fr or en).

Texts carry a call sign, incident reference, priority, address, officer-safety codes and the
reply codes, never names, risk answers or narrative. They come from the same Babel catalogue as
the pages (English msgids; `app/translations/<lang>`), read here without Flask so a scheduler
job or a webhook writes the same words as a request would. Officers' phones get GSM-7 text
(one SMS part is 160 characters, UCS-2 only 70): characters outside it are folded.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from babel.support import NullTranslations, Translations

from dispatch.replies import MAX_SMS_CHARS

CATALOGUES = Path(__file__).resolve().parents[1] / "app" / "translations"
LANGUAGES = ("nl", "fr", "en")
DEFAULT = "nl"
# The GSM 03.38 basic character set.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
FOLD = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "«": '"', "»": '"'}

# Officer-safety codes, as short capitals (triage.safety's flags).
SAFETY_CODES = {
    "weapon": "WEAPON",
    "suspect_present": "SUSPECT ON SCENE",
    "children": "CHILDREN",
    "intoxicated_aggressive": "INTOXICATED AND AGGRESSIVE",
    "order_in_force": "ORDER IN FORCE",
    "possible_breach": "POSSIBLE BREACH",
}
CONFIRMATIONS = {
    "ack": "%(call_sign)s: receipt confirmed.",
    "en_route": "%(call_sign)s: en route noted.",
    "on_scene": "%(call_sign)s: on scene noted.",
    "clear": "%(call_sign)s: clear noted.",
}
STATUS_WORDS = {
    "off_duty": "off duty",
    "available": "clear",
    "assigned": "assigned",
    "acknowledged": "acknowledged",
    "en_route": "en route",
    "on_scene": "on scene",
    "transporting": "transporting",
}
REPLY_HINT = "Reply OK=received, ONDERWEG, TERPLAATSE, VRIJ (+ref). NOOD=danger"


@functools.cache
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(CATALOGUES), [lang], domain="messages")


def t(lang: str | None, msgid: str, **params: object) -> str:
    """The msgid in the unit's language (Dutch when unset or unknown), folded to GSM-7."""
    lang = lang if lang in LANGUAGES else DEFAULT
    text = _catalogue(lang).gettext(msgid)
    return gsm7(text % params if params else text)


def gsm7(text: str) -> str:
    """Fold characters outside GSM-7 (ê → e, ’ → ') so the SMS stays one 160-character part."""
    out = []
    for c in text:
        if c in GSM7:
            out.append(c)
            continue
        c = FOLD.get(c, c)
        base = "".join(b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b))
        out.append(base if base and all(b in GSM7 for b in base) else "?")
    return "".join(out)


def _clean(value: object) -> str:
    return " ".join(str(value).split())


def _priority(priority: str | int) -> str:
    text = _clean(priority).upper()
    return f"P{text}" if text.isdigit() else text


def _fit(head: str, address: str, tail: str, lang: str | None) -> str:
    """Shorten the address so that head + address + tail fits in MAX_SMS_CHARS."""
    room = MAX_SMS_CHARS - len(head) - len(tail)
    text = gsm7(_clean(address)) or t(lang, "address unknown")
    if len(text) > room:
        text = text[: max(room - 3, 0)].rstrip() + "..."
    return (head + text + tail)[:MAX_SMS_CHARS]


def danger_line(lang: str | None, flags: list[str] | tuple[str, ...], prior: int = 0) -> str:
    """ "GEVAAR: WAPEN, KINDEREN. " for the flags that may travel by SMS (empty when none)."""
    codes = [t(lang, SAFETY_CODES[f]) for f in flags if f in SAFETY_CODES]
    if "prior_incidents" in flags and prior:
        codes.append(t(lang, "%(n)sX BEFORE AT ADDRESS", n=prior))
    return t(lang, "DANGER: %(codes)s. ", codes=", ".join(codes)) if codes else ""


def compose_assignment_sms(
    call_sign: str,
    reference: str,
    priority: str | int,
    address: str,
    *,
    lang: str | None = DEFAULT,
    danger: str = "",
) -> str:
    """Write the assignment SMS: call sign, priority, reference, danger codes, address, codes."""
    head = f"NW {_clean(call_sign)}: {_priority(priority)} {_clean(reference)}. {danger}"
    return _fit(head, address, ". " + t(lang, REPLY_HINT), lang)


def compose_repage_sms(
    call_sign: str,
    reference: str,
    priority: str | int,
    address: str,
    page: int = 2,
    *,
    lang: str | None = DEFAULT,
    danger: str = "",
) -> str:
    """Write a repeated page; the page number keeps each repeat's text distinct."""
    again = t(lang, "REPEAT %(page)s", page=page)
    head = f"{again}: NW {_clean(call_sign)}: {_priority(priority)} {_clean(reference)}. {danger}"
    return _fit(head, address, ". " + t(lang, REPLY_HINT), lang)


def compose_welfare_sms(
    call_sign: str, reference: str, grace_min: int = 5, *, lang: str | None = DEFAULT
) -> str:
    """Ask a unit on scene whether it is safe, and say what silence leads to."""
    return t(
        lang,
        "NW %(call_sign)s: check %(ref)s. All well? Reply OK %(ref)s within %(min)s min. "
        "No answer = alarm to the supervisor. In danger: NOOD.",
        call_sign=_clean(call_sign),
        ref=_clean(reference),
        min=grace_min,
    )[:MAX_SMS_CHARS]


def compose_release_sms(call_sign: str, reference: str, *, lang: str | None = DEFAULT) -> str:
    """Tell a unit it was taken off an incident."""
    return t(
        lang,
        "NW %(call_sign)s: released from %(ref)s. No further action needed.",
        call_sign=_clean(call_sign),
        ref=_clean(reference),
    )


def compose_safety_update_sms(
    call_sign: str, reference: str, danger: str, *, lang: str | None = DEFAULT
) -> str:
    """Tell a unit on its way of a danger learnt after it was sent."""
    return t(
        lang,
        "NW %(call_sign)s: %(ref)s NEW %(danger)s",
        call_sign=_clean(call_sign),
        ref=_clean(reference),
        danger=danger.strip(),
    )[:MAX_SMS_CHARS]


def compose_distress_sms(call_sign: str, *, lang: str | None = DEFAULT) -> str:
    """Tell a unit in distress that every console and the supervisor were alarmed."""
    return t(
        lang,
        "%(call_sign)s: NOOD received. Every console and the supervisor are alarmed.",
        call_sign=_clean(call_sign),
    )


def compose_confirmation_sms(call_sign: str, code: str, *, lang: str | None = DEFAULT) -> str:
    """Confirm a reply that changed the unit's status, e.g. "NT-21: ontvangst bevestigd."."""
    return t(lang, CONFIRMATIONS[code], call_sign=_clean(call_sign))


def compose_check_in_sms(call_sign: str, *, lang: str | None = DEFAULT) -> str:
    """Confirm a check-in while on scene (the welfare timer starts again)."""
    return t(lang, "%(call_sign)s: all well noted.", call_sign=_clean(call_sign))


def compose_forwarded_sms(call_sign: str, *, lang: str | None = DEFAULT) -> str:
    """Say that a free text went to the dispatchers."""
    return t(lang, "%(call_sign)s: message passed to the dispatcher.", call_sign=_clean(call_sign))


def compose_refusal_sms(
    call_sign: str, current: str, requested: str, *, lang: str | None = DEFAULT
) -> str:
    """Say that a reply asked for a status change the unit cannot make now."""
    now = t(lang, STATUS_WORDS[current]) if current in STATUS_WORDS else _clean(current)
    asked = t(lang, STATUS_WORDS[requested]) if requested in STATUS_WORDS else _clean(requested)
    return t(
        lang,
        "%(call_sign)s: cannot go from %(now)s to %(asked)s. Reply HELP for the codes.",
        call_sign=_clean(call_sign),
        now=now.replace("_", " "),
        asked=asked.replace("_", " "),
    )[:MAX_SMS_CHARS]


def compose_help_sms(*, lang: str | None = DEFAULT) -> str:
    """Explain the reply codes."""
    return t(
        lang,
        "Nachtwacht codes: OK=received, ONDERWEG, TERPLAATSE, VRIJ, NOOD=danger. Add the "
        "reference (e.g. NW-2026-000123) with more than one assignment. Other text goes to the "
        "dispatcher.",
    )


def compose_unknown_sender_reply() -> str:
    """Politely tell an unknown number that only night-team replies are accepted here."""
    return t(
        DEFAULT, "This number only accepts replies from the night team. In an emergency: call 112."
    )
