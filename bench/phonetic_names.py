"""Which phonetic code finds Flemish and Dutch surnames spelt two ways, and keeps apart the ones
that only look alike? Issue 19 asks before the person keys (triage.keys) settle on one.

Run from the repository root: ``python bench/phonetic_names.py [--json]`` (needs `jellyfish`,
a development dependency; the app itself uses only `Metaphone`'s Double Metaphone).

Every name goes through `triage.keys.name_words` first (case, accents, particles joined: "Van
den Broucke" is "vandenbroucke"), so each algorithm sees what the keys see. A pair is a hit
when the two codes are equal; for Double Metaphone when the names share a code (primary or
alternate), which is how the keys match. "DM+fold" is what triage.keys stores: Double
Metaphone after the Dutch folds (ij/y, gh/g, ck/k, kx/ks, a final sch/sche).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jellyfish  # noqa: E402 - after the path set-up above
from metaphone import doublemetaphone  # noqa: E402

from triage.keys import name_words, phonetic_codes  # noqa: E402

# The same family name as typed by different people on different nights.
SHOULD_MATCH = [
    ("Peeters", "Peters"),
    ("Vandenbroucke", "Van den Broucke"),
    ("Dijkstra", "Dykstra"),
    ("Huysmans", "Huijsmans"),
    ("Geerts", "Gheerts"),
    ("Thys", "Thijs"),
    ("Aerts", "Aarts"),
    ("De Smet", "Desmet"),
    ("Van der Linden", "Vanderlinden"),
    ("Claes", "Claeys"),
    ("Wouters", "Wauters"),
    ("Maes", "Maas"),
    ("Goossens", "Gossens"),
    ("Janssens", "Jansens"),
    ("Jacobs", "Jacops"),
    ("Hermans", "Heremans"),
    ("Verhaegen", "Verhagen"),
    ("Declercq", "De Clerck"),
    ("Deckers", "Dekkers"),
    ("Segers", "Seghers"),
    ("Vercauteren", "Vercouteren"),
    ("Goethals", "Goetals"),
    ("Verbeeck", "Verbeek"),
    ("Hendrickx", "Hendricks"),
    ("Vervoort", "Vervoordt"),
    ("Desmedt", "De Smet"),
    ("Heylen", "Heijlen"),
    ("Meyers", "Meijers"),
    ("Van den Bossche", "Vandenbosch"),
    ("Nijs", "Nys"),
    ("Coppens", "Koppens"),
    ("Cuypers", "Kuipers"),
    ("D'Hondt", "Dhondt"),
    ("Mohammed", "Mohamed"),
    ("El Amrani", "Elamrani"),
    ("Yılmaz", "Yilmaz"),
]
# Different families whose names look or sound near: a match would offer a stranger.
SHOULD_NOT = [
    ("Peeters", "Pauwels"),
    ("Schepens", "Schepers"),
    ("Mertens", "Martin"),
    ("Janssens", "Jacobs"),
    ("Willems", "Wellens"),
    ("Vermeulen", "Vermeiren"),
    ("Verhoeven", "Verhaegen"),
    ("Dubois", "Dupont"),
    ("Lambert", "Lambrechts"),
    ("Maes", "Mees"),
    ("Wouters", "Walters"),
    ("Goossens", "Geens"),
    ("Hermans", "Heymans"),
    ("Claes", "Claessens"),
    ("Smet", "Smets"),
    ("Bosmans", "Boonen"),
]


def joined(name: str) -> str:
    """The name as the keys see it, one string."""
    return " ".join(name_words(name))


def plain_dm(name: str) -> set[str]:
    """Double Metaphone of the normalised name without the Dutch folds."""
    return {code for code in doublemetaphone(joined(name)) if code}


ALGORITHMS: dict[str, Callable[[str], set[str]]] = {
    "metaphone": lambda name: {jellyfish.metaphone(joined(name))},
    "soundex": lambda name: {jellyfish.soundex(joined(name))},
    "nysiis": lambda name: {jellyfish.nysiis(joined(name))},
    "double_metaphone": plain_dm,
    "dm+fold (keys)": lambda name: set(phonetic_codes(name)),
}


def compare(pairs: list[tuple[str, str]]) -> list[dict]:
    """Each pair with, per algorithm, whether its codes meet."""
    rows = []
    for a, b in pairs:
        hits = {name: bool(code(a) & code(b)) for name, code in ALGORITHMS.items()}
        rows.append({"a": a, "b": b, "hits": hits})
    return rows


def table(title: str, rows: list[dict]) -> list[str]:
    """The rows as a text table: + for a hit, . for a miss."""
    names = list(ALGORITHMS)
    lines = [title, f"{'':36}" + "".join(f"{n[:16]:>17}" for n in names)]
    for row in rows:
        marks = "".join(f"{'+' if row['hits'][n] else '.':>17}" for n in names)
        lines.append(f"{row['a'] + ' / ' + row['b']:36}{marks}")
    return lines


def summary(match: list[dict], apart: list[dict]) -> dict[str, dict[str, int]]:
    """Per algorithm: hits among the should-match pairs, false hits among the others."""
    return {
        name: {
            "hits": sum(r["hits"][name] for r in match),
            "of": len(match),
            "false_hits": sum(r["hits"][name] for r in apart),
            "of_different": len(apart),
        }
        for name in ALGORITHMS
    }


def main() -> None:
    """Print the comparison (or its JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    match, apart = compare(SHOULD_MATCH), compare(SHOULD_NOT)
    totals = summary(match, apart)
    if args.json:
        print(json.dumps({"should_match": match, "should_not": apart, "totals": totals}, indent=1))
        return
    lines = table("Should match (+ = found)", match) + [""]
    lines += table("Should not match (+ = a stranger offered)", apart) + ["", "Totals"]
    for name, t in totals.items():
        lines.append(
            f"  {name:18} hits {t['hits']:>2}/{t['of']}   false hits "
            f"{t['false_hits']:>2}/{t['of_different']}"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
