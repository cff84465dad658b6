"""The keys a person is found by, without storing what they say: blind indexes of the phone,
the name (with the birth year when known) and a phonetic code of the name.

Names are normalised first (case, accents, punctuation; Dutch and Arabic particles joined to
the word after them, so "Van den Broucke" and "Vandenbroucke" are one word; word order ignored,
so "Peeters Jan" is "Jan Peeters"). The phonetic code is Double Metaphone (the `Metaphone`
package) of each word, primary and alternate, after a few Dutch spellings that sound alike are
folded (ij/y, gh/g, ck/k, kx/ks, a final sch/sche): `bench/phonetic_names.py` compares it with
jellyfish's Metaphone, Soundex and NYSIIS on Flemish and Dutch surnames. Double Metaphone alone
matches Dijkstra/Dykstra, Huysmans/Huijsmans, Geerts/Gheerts, Thys/Thijs and Aerts/Aarts where
Metaphone does not; the folds add Segers/Seghers, Meyers/Meijers, Hendrickx/Hendricks and
Van den Bossche/Vandenbosch; none of them joins Schepens/Schepers or Peeters/Pauwels, which
Soundex and NYSIIS (Mertens/Martin, Willems/Wellens) do.

A key proposes a candidate; only a dispatcher links two persons (triage.persons).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from metaphone import doublemetaphone

from core import crypto
from core.phones import normalise_phone

PHONE = "phone"
NAME = "name"  # the normalised name alone
NAME_YEAR = "name_year"  # the normalised name and the birth year
PHONETIC = "phonetic"  # Double Metaphone codes of the name's words
KINDS = (PHONE, NAME, NAME_YEAR, PHONETIC)

# Written apart or together in Flemish, Dutch, French and Arabic names.
PARTICLES = frozenset(
    ["van", "vande", "vander", "de", "den", "der", "ter", "ten", "te", "t", "'t", "vd", "v/d"]
    + ["le", "la", "du", "des", "d", "el", "al", "ben", "abu", "von", "di", "da", "dos"]
)
_NOT_LETTER = re.compile(r"[^a-z0-9' /]+")
MAX_PHONETIC = 4  # primary and alternate codes combine; a few variants are enough


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_words(name: str | None) -> list[str]:
    """The name's words, folded, with particles joined to the word after them, sorted."""
    if not name:
        return []
    words = [w.strip("'") for w in _NOT_LETTER.sub(" ", _fold(name).replace("-", " ")).split()]
    joined: list[str] = []
    pending = ""
    for word in words:
        if not word:
            continue
        if word in PARTICLES:
            pending += word.replace("/", "").replace("'", "")
            continue
        joined.append(pending + word.replace("'", "").replace("/", ""))
        pending = ""
    if pending:
        joined.append(pending)
    return sorted(w for w in joined if w)


def normalise_name(name: str | None) -> str | None:
    """One comparable form of a name ("jan peeters"), or None."""
    words = name_words(name)
    return " ".join(words) if words else None


# Dutch spellings of one sound, folded before coding (Double Metaphone reads English rules:
# it codes "ij" as J and "gh" as silent, and keeps the k of "kx").
_DUTCH_FOLDS = (
    (re.compile(r"ij"), "y"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"kx"), "ks"),
    (re.compile(r"sche?$"), "s"),  # Bossche, Bosch: a final "s"
)


def dutch_fold(word: str) -> str:
    """A name word with Dutch spellings of one sound made one (before phonetic coding)."""
    for pattern, replacement in _DUTCH_FOLDS:
        word = pattern.sub(replacement, word)
    return word


def word_codes(word: str) -> list[str]:
    """A word's Double Metaphone codes (primary, then the alternate if any) after folding."""
    primary, alternate = doublemetaphone(dutch_fold(word))
    return [c for c in dict.fromkeys((primary, alternate)) if c]


def phonetic_codes(name: str | None) -> list[str]:
    """Double Metaphone codes of the whole name: each word's primary or alternate code."""
    options = []
    for word in name_words(name):
        if codes := word_codes(word):
            options.append(codes)
    if not options:
        return []
    seen: list[str] = []
    for combo in itertools.product(*options):
        code = " ".join(sorted(combo))
        if code not in seen:
            seen.append(code)
        if len(seen) >= MAX_PHONETIC:
            break
    return seen


def person_keys(
    name: str | None, birth_year: int | None, phone: str | None
) -> list[tuple[str, str]]:
    """(kind, blind index) pairs a person is found by."""
    keys: list[tuple[str, str | None]] = []
    if phone and (normalised_phone := normalise_phone(phone)):
        keys.append((PHONE, crypto.blind_index(normalised_phone, purpose="phone")))
    if normalised := normalise_name(name):
        keys.append((NAME, crypto.blind_index(normalised, purpose="name")))
        if birth_year:
            keys.append(
                (NAME_YEAR, crypto.blind_index(f"{normalised}|{birth_year}", purpose="name"))
            )
        keys.extend(
            (PHONETIC, crypto.blind_index(code, purpose="phonetic"))
            for code in phonetic_codes(name)
        )
    return [(kind, value) for kind, value in keys if value]
