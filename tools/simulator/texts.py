"""Dutch text for the simulated night: synthetic names, caller narratives, handover summaries.

Pure data and small builders over a seeded `random.Random`. Names are common first names and
surnames drawn independently, so a person is a combination, never somebody real. Narratives are
written in the register of a dispatcher's notes taken while the caller is on the line.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

# background → (victim languages with weights, female first names, male first names,
#               female surnames, male surnames)
Background = tuple[
    dict[str, int], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]
]
_FLEMISH = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
    "De Smet", "Verbruggen", "Van Dyck", "Hermans", "Michiels", "Vermeulen", "Van Looy",
    "De Backer", "Smets", "Verhaegen", "Van Hove",
)  # fmt: skip
_MAGHREB = (
    "Benali", "El Idrissi", "Azzouzi", "Bouzid", "Ait Ouali", "Chakir", "El Khatib", "Haddouchi",
)  # fmt: skip
_TURKISH = ("Yılmaz", "Demir", "Kaya", "Çelik", "Şahin", "Öztürk", "Aydın")
BACKGROUNDS: dict[str, Background] = {
    "flemish": (
        {"nl": 1},
        ("Sofie", "Els", "Katrien", "Lien", "Nathalie", "Joke", "Evelien", "Griet", "Marieke"),
        ("Kevin", "Bart", "Tom", "Dirk", "Steven", "Koen", "Jens", "Wim", "Geert", "Jonas"),
        _FLEMISH,
        _FLEMISH,
    ),
    "maghreb": (
        {"nl": 5, "ar": 3, "fr": 2},
        ("Fatima", "Samira", "Nadia", "Yasmina", "Khadija", "Imane", "Salma", "Hanane"),
        ("Mohamed", "Karim", "Rachid", "Hamza", "Bilal", "Mehdi", "Nordin", "Ilias"),
        _MAGHREB,
        _MAGHREB,
    ),
    "turkish": (
        {"nl": 5, "tr": 5},
        ("Elif", "Ayşe", "Zeynep", "Emine", "Derya", "Büşra"),
        ("Mehmet", "Murat", "Emre", "Hakan", "Serkan", "Burak"),
        _TURKISH,
        _TURKISH,
    ),
    "polish": (
        {"pl": 7, "nl": 3},
        ("Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Ewa"),
        ("Piotr", "Tomasz", "Marcin", "Paweł", "Krzysztof"),
        ("Kowalska", "Nowak", "Wiśniewska", "Wójcik", "Kamińska"),
        ("Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamiński"),
    ),
    "francophone": (
        {"fr": 8, "nl": 2},
        ("Amélie", "Céline", "Aurélie", "Julie", "Sandrine"),
        ("Julien", "Olivier", "Sébastien", "Nicolas", "Fabrice"),
        ("Dubois", "Lambert", "Dupont", "Lejeune", "Renard"),
        ("Dubois", "Lambert", "Dupont", "Lejeune", "Renard"),
    ),
    "anglophone": (
        {"en": 8, "nl": 2},
        ("Grace", "Blessing", "Abena", "Chloe"),
        ("Daniel", "Emmanuel", "Kwame", "Samuel"),
        ("Mensah", "Owusu", "Adeyemi", "Boateng"),
        ("Mensah", "Owusu", "Adeyemi", "Boateng"),
    ),
    "eastern": (
        {"ru": 6, "nl": 4},
        ("Olga", "Natalia", "Irina", "Svetlana"),
        ("Sergej", "Dmitri", "Andrej", "Oleg"),
        ("Ivanova", "Petrova", "Smirnova", "Volkova"),
        ("Ivanov", "Petrov", "Smirnov", "Volkov"),
    ),
    "hispanic": (
        {"es": 6, "nl": 4},
        ("Lucía", "María", "Carmen", "Paula"),
        ("Javier", "Carlos", "Alejandro", "Diego"),
        ("García", "Fernández", "López", "Martínez"),
        ("García", "Fernández", "López", "Martínez"),
    ),
}
BACKGROUND_WEIGHTS = {
    "flemish": 44, "maghreb": 22, "turkish": 9, "polish": 7, "francophone": 6,
    "anglophone": 5, "eastern": 4, "hispanic": 3,
}  # fmt: skip


def pick(rng: random.Random, weights: dict[str, int | float]) -> str:
    """One key of `weights`, drawn with its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def person_name(rng: random.Random, background: str, female: bool) -> str:
    """A synthetic full name from the background's first names and surnames."""
    _, women, men, women_last, men_last = BACKGROUNDS[background]
    first = rng.choice(women if female else men)
    return f"{first} {rng.choice(women_last if female else men_last)}"


def language(rng: random.Random, background: str) -> str:
    """The language the victim prefers to speak."""
    return pick(rng, BACKGROUNDS[background][0])


# --- Caller narratives -------------------------------------------------------------------------

RELATIONS = {  # relation → (as seen from a female victim, from a male victim)
    "partner": ("haar partner", "zijn partner"),
    "ex_partner": ("haar ex-partner", "zijn ex-partner"),
    "son": ("haar zoon", "zijn zoon"),
    "brother": ("haar broer", "zijn broer"),
}
CALLER_OPENINGS = {
    "victim": (
        "Slachtoffer belt zelf{whisper}.",
        "{Victim} belt zelf, praat gehaast{whisper}.",
        "Slachtoffer belt zelf vanuit de badkamer{whisper}.",
    ),
    "neighbour": (
        "Melder is buurvrouw, hoort al een tijd geroep en gestommel bij de buren.",
        "Buurman belt: hevige ruzie in het appartement boven hem, iemand roept om hulp.",
        "Melder woont ernaast, hoort slaan tegen de muur en iemand die 'stop' roept.",
    ),
    "child": (
        "Dochter (15) belt, stil, vanuit haar kamer.",
        "Zoon (13) belt, erg overstuur, ouders maken ruzie.",
    ),
    "family": (
        "Zus van het slachtoffer belt, kreeg een paniekerig berichtje.",
        "Moeder van het slachtoffer belt, kreeg net een telefoontje in tranen.",
    ),
    "passerby": (
        "Voorbijganger belt: ruzie op straat voor de deur, man duwt {victim} tegen de gevel.",
    ),
}
DANGER = {
    "suspect_present": "Pleger ({rel}) is nog in de woning.",
    "weapon": "Volgens melder heeft hij een mes in de hand gehad.",
    "injury_needs_care": "Slachtoffer bloedt aan het hoofd, ambulance wellicht nodig.",
    "children_in_danger": "Kinderen zijn in de woning en huilen.",
    "strangulation": "Hij zou {obj} bij de keel gegrepen hebben.",
    "threat_to_kill": "Hij dreigde letterlijk {obj} 'af te maken'.",
    "cannot_talk_safely": "Beller kan niet vrijuit praten, antwoordt enkel ja of nee.",
    "fire_threat": "Dreigt de woning in brand te steken.",
    "intoxicated_aggressive": "Pleger is zwaar onder invloed en blijft agressief.",
    "suicide_threat_now": "Pleger dreigt zichzelf iets aan te doen.",
}
HISTORY = {
    "recent_separation": "Koppel is sinds enkele weken uit elkaar.",
    "stalking_harassment": "{Subj} wordt al dagen gevolgd en krijgt tientallen berichten.",
    "child_contact_conflict": "Ruzie ontstond bij het terugbrengen van de kinderen.",
    "abuse_more_frequent": "Volgens melder gebeurt dit steeds vaker.",
    "abuser_substance_or_mental_health": "Hij drinkt al de hele avond.",
    "controlling_jealous": "Hij controleert {poss} gsm en laat {obj} niet alleen buiten.",
    "breach_of_orders": "Hij mag volgens {obj} niet in de woning komen (huisverbod).",
    "financial_dependence": "{Subj} heeft geen eigen inkomen en kan nergens heen.",
}
OVERHEARD = frozenset({"abuse_more_frequent", "abuser_substance_or_mental_health"})
CALM = (
    "Pleger is vertrokken voor de politie er is, richting onbekend.",
    "Ruzie lijkt gaan liggen, maar slachtoffer is erg bang dat hij terugkomt.",
    "Slachtoffer zit bij een buurvrouw, pleger zou thuis zijn.",
    "Situatie is rustig, slachtoffer wil dat er iemand langskomt.",
)
HUNG_UP = (
    "Lijn viel weg na enkele seconden, terugbellen lukt niet. Op de achtergrond geroep gehoord.",
    "Beller hing op zonder adres te bevestigen; locatie via AML van het toestel.",
)
CLOSINGS = (
    "Melder blijft bereikbaar op dit nummer.",
    "Adres bevestigd met melder.",
    "Bel aan bij de achterdeur, voordeur is op slot.",
    "Appartement op de derde verdieping, bel werkt niet.",
    "",
)
REPEAT_OPENING = "Tweede melding vannacht op dit adres."


def _fill(text: str, female: bool, relation: str) -> str:
    """Put the relation and the victim's pronouns into a template."""
    words = {
        "{rel}": RELATIONS[relation][0 if female else 1],
        "{obj}": "haar" if female else "hem",
        "{poss}": "haar" if female else "zijn",
        "{Subj}": "Ze" if female else "Hij",
        "{Victim}": "Vrouw" if female else "Man",
        "{victim}": "vrouw" if female else "man",
    }
    for placeholder, word in words.items():
        text = text.replace(placeholder, word)
    return text


def narrative(
    rng: random.Random,
    caller: str,
    danger: Sequence[str],
    history: Sequence[str],
    female: bool,
    relation: str,
    *,
    repeat: bool = False,
    hung_up: bool = False,
) -> str:
    """A dispatcher's notes of the call, telling what the answers say."""
    whisper = ", fluistert" if "cannot_talk_safely" in danger else ""
    parts = [REPEAT_OPENING] if repeat else []
    parts.append(rng.choice(CALLER_OPENINGS[caller]).replace("{whisper}", whisper))
    if hung_up:
        return " ".join([*parts, rng.choice(HUNG_UP)])
    parts += [DANGER[item] for item in danger]
    parts += [HISTORY[item] for item in history[:2]]
    if not danger:
        parts.append(rng.choice(CALM))
    parts.append(rng.choice(CLOSINGS))
    return _fill(" ".join(p for p in parts if p), female, relation)


# --- Handover notes -----------------------------------------------------------------------------

OUTCOMES = {
    "arrest": "Pleger bestuurlijk aangehouden en overgebracht.",
    "house_ban": "Tijdelijk huisverbod aangevraagd bij het parket, pleger verliet de woning.",
    "victim_to_shelter": "Slachtoffer (met kinderen) naar de vluchtopvang gebracht.",
    "medical_care": "Slachtoffer verzorgd door ambulance, naar spoed voor nazicht.",
    "referred_to_services": "Partijen gescheiden gehoord, doorverwezen naar hulpverlening.",
    "resolved_on_scene": "Situatie ter plaatse gekalmeerd, afspraken gemaakt met beide partijen.",
    "no_offence": "Verbale ruzie, geen misdrijf vastgesteld.",
    "no_contact": "Niemand aangetroffen op het adres.",
    "cancelled": "Melder belde terug: niet meer nodig.",
}
FOLLOW_UPS = {
    "consent": "Slachtoffer gaat akkoord met contact; graag bellen in de voormiddag.",
    "case_consultation_458ter": "Aanmelden voor casusoverleg; veiligheidsplan opmaken.",
    "report_458bis": "Ernstig en dreigend gevaar gemeld; parket is op de hoogte.",
}


def summary(district: str, relation: str, female: bool, disposition: str, high_risk: bool) -> str:
    """The note's summary: what happened and what the night team did."""
    who = "vrouw" if female else "man"
    rel = RELATIONS[relation][0 if female else 1]
    risk = " Hoog risico volgens de screening." if high_risk else ""
    return (
        f"Interventie {district}: intrafamiliaal geweld, {who} als slachtoffer, pleger is {rel}."
        f" {OUTCOMES[disposition]}{risk}"
    )


def children_text(ages: Sequence[int]) -> str | None:
    """What the note says about the children present."""
    if not ages:
        return None
    listed = " en ".join(str(a) for a in ages)
    return f"{len(ages)} kind(eren) aanwezig ({listed} jaar); opgevangen door familie."
