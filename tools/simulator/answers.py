"""Plausible answer mixes for the risk screens, the unit's SMS replies and the sharing basis.

Pure helpers of `tools.simulator.plan`. Answers hang together: a strangulation reported during
the call is a "yes" on the DASH and LAP items about it too; "unknown" is used where a caller
would not know; yes-counts land in the band the call's kind stands for.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from tools.simulator import texts

if TYPE_CHECKING:
    from tools.simulator.model import Step

Answers = tuple[tuple[str, str], ...]

IMMEDIATE = {  # how often each immediate-danger sign is the one(s) reported in an acute call
    "suspect_present": 6, "weapon": 2.5, "injury_needs_care": 3, "children_in_danger": 2.5,
    "strangulation": 1.5, "threat_to_kill": 2, "cannot_talk_safely": 1.5, "fire_threat": 0.3,
    "intoxicated_aggressive": 3.5, "suicide_threat_now": 0.5,
}  # fmt: skip
DASH = {  # relative frequency of a "yes" on each DASH topic
    "current_injury": 3.5, "victim_very_afraid": 6, "fears_further_harm": 4.5, "isolated": 3.5,
    "depressed_or_suicidal": 2.5, "recent_separation": 4, "child_contact_conflict": 2.5,
    "stalking_harassment": 2.5, "pregnancy_or_new_baby": 0.8, "abuse_more_frequent": 4.5,
    "abuse_getting_worse": 4.5, "controlling_jealous": 6, "weapon_use": 1.5,
    "threats_to_kill": 2, "strangulation": 2, "sexual_abuse": 1.2, "others_threaten_victim": 0.8,
    "abuser_hurt_others": 1.5, "animal_cruelty": 0.6, "financial_dependence": 3,
    "abuser_substance_or_mental_health": 5, "abuser_suicide_threats": 1.5,
    "breach_of_orders": 1, "abuser_criminal_history": 2.5,
}  # fmt: skip
BANDS = {"high": (14, 18), "medium": (10, 13), "standard": (2, 9)}
DASH_BAND = {
    "acute": {"high": 5, "medium": 3.5, "standard": 1.5},
    "high": {"high": 1},
    "medium": {"medium": 1},
    "standard": {"standard": 1},
}
SAME_TOPIC = {  # immediate-danger sign → the DASH topic it answers too
    "weapon": "weapon_use", "strangulation": "strangulation", "threat_to_kill": "threats_to_kill",
    "injury_needs_care": "current_injury", "intoxicated_aggressive":
    "abuser_substance_or_mental_health", "suicide_threat_now": "abuser_suicide_threats",
}  # fmt: skip
LAP_FROM = {  # LAP item → (DASH topic or immediate sign it follows, else its own base rate)
    "weapon_used_or_threatened": ("weapon_use", 0.0), "threatened_to_kill": ("threats_to_kill", 0),
    "believes_may_be_killed": ("fears_further_harm", 0), "gun_access": ("", 0.05),
    "choking": ("strangulation", 0), "controlling_jealous": ("controlling_jealous", 0),
    "separated_after_cohabiting": ("recent_separation", 0), "abuser_unemployed": ("", 0.35),
    "abuser_attempted_suicide": ("abuser_suicide_threats", 0), "child_not_abusers": ("", 0.2),
    "stalking_messages": ("stalking_harassment", 0),
}  # fmt: skip
JUDGEMENT_REASON = (
    "Professioneel oordeel: slachtoffer is zeer angstig, durft niet vrijuit te spreken en het "
    "geweld escaleert snel."
)
REPLY_WORDS = {  # code → ways units write it (the server folds case, spaces and accents)
    "ack": ("OK", "ok", "Ok {ref}", "ACK"),
    "en_route": ("ONDERWEG", "onderweg", "Onderweg {ref}"),
    "on_scene": ("TER PLAATSE", "ter plaatse", "Terplaatse {ref}", "TERPLAATSE"),
    "clear": ("VRIJ", "vrij", "Vrij {ref}", "VRIJ."),
}


def weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """k distinct keys, each drawn with its weight (Efraimidis–Spirakis)."""
    keyed = sorted(weights, key=lambda item: rng.random() ** (1 / weights[item]), reverse=True)
    return keyed[:k]


def immediate(rng: random.Random, kind: str, caller: str, children: bool) -> Answers:
    """Immediate-danger answers: 1–3 signs in an acute call, none otherwise."""
    signs = {k: w for k, w in IMMEDIATE.items() if children or k != "children_in_danger"}
    yes = (
        set(weighted_sample(rng, signs, rng.choice([1, 1, 2, 2, 3]))) if kind == "acute" else set()
    )
    unsure = 3 if caller in ("neighbour", "passerby") else 1
    unknown = set(rng.sample(sorted(set(signs) - yes), rng.randint(0, unsure)))
    return tuple(
        (item, "yes" if item in yes else "unknown" if item in unknown else "no")
        for item in IMMEDIATE
    )


def dash(rng: random.Random, kind: str, danger: Answers) -> Answers:
    """DASH answers whose yes-count falls in the band of the call's kind."""
    low, high = BANDS[texts.pick(rng, DASH_BAND[kind])]
    forced = {SAME_TOPIC[k] for k, v in danger if v == "yes" and k in SAME_TOPIC}
    count = max(rng.randint(low, high), len(forced))
    rest = {k: w for k, w in DASH.items() if k not in forced}
    yes = forced | set(weighted_sample(rng, rest, count - len(forced)))
    unknown = set(rng.sample(sorted(set(DASH) - yes), rng.randint(0, 3)))
    return tuple((item, "yes" if item in yes else "unknown" if item in unknown else "no")
                 for item in DASH)  # fmt: skip


def judgement(rng: random.Random, kind: str) -> tuple[str, str] | None:
    """Now and then the dispatcher raises a medium DASH to high, with the reason."""
    if kind == "medium" and rng.random() < 0.12:
        return ("high", JUDGEMENT_REASON)
    return None


def lap(rng: random.Random, dash_answers: Answers, danger: Answers) -> Answers:
    """The officer's lethality screen on scene, consistent with what was said on the phone."""
    said = {k for k, v in (*dash_answers, *danger) if v == "yes"}
    if "weapon" in said:
        said.add("weapon_use")
    out = []
    for item, (topic, rate) in LAP_FROM.items():
        yes = topic in said if topic else rng.random() < rate
        out.append((item, "yes" if yes else "no"))
    return tuple(out)


def history(rng: random.Random, dash_answers: Answers, caller: str) -> list[str]:
    """DASH topics the caller mentions in the story: what a neighbour could know, at most two."""
    told = [k for k, v in dash_answers if v == "yes" and k in texts.HISTORY]
    if caller in ("neighbour", "passerby"):
        told = [k for k in told if k in texts.OVERHEARD]
    rng.shuffle(told)
    return told[:2]


def replies(rng: random.Random, kind: str, lap_screen: bool) -> list[Step]:
    """The unit's SMS replies (and the on-scene LAP screen) in simulated seconds."""
    from tools.simulator.model import Step

    word = lambda code: rng.choice(REPLY_WORDS[code])  # noqa: E731
    steps = [Step("reply", rng.uniform(15, 60), word("ack"))]
    if rng.random() < 0.9:  # some crews go straight from OK to TER PLAATSE
        steps.append(Step("reply", rng.uniform(10, 40), word("en_route")))
    steps.append(Step("reply", rng.uniform(120, 420), word("on_scene")))
    scene = rng.uniform(240, 720)
    if lap_screen:
        lap_after = rng.uniform(60, 180)
        steps.append(Step("screen", lap_after, "lap"))
        scene -= lap_after
    steps.append(Step("reply", scene, word("clear")))
    return steps


def sharing(rng: random.Random, kind: str) -> tuple[str, str, tuple[str, ...]] | None:
    """(consent, legal basis, organisations) for the note; None when there is no basis."""
    if kind in ("acute", "high"):
        roll = rng.random()
        if roll < 0.6:
            orgs = ("caw-antwerpen", "veilig-huis-antwerpen") if rng.random() < 0.8 else (
                "veilig-huis-antwerpen",)  # fmt: skip
            return (rng.choice(["no", "not_asked", "yes"]), "case_consultation_458ter", orgs)
        if roll < 0.9:
            return ("yes", "consent", ("caw-antwerpen", "slachtofferhulp-antwerpen"))
        return ("not_asked", "report_458bis", ("veilig-huis-antwerpen",))
    if rng.random() < 0.65:
        return ("yes", "consent", (rng.choice(["caw-antwerpen", "slachtofferhulp-antwerpen"]),))
    return None


def actions(disposition: str) -> tuple[tuple[str, bool], ...]:
    """What the night team did, as the note's action flags."""
    return (
        ("arrest", disposition == "arrest"),
        ("house_ban_requested", disposition == "house_ban"),
        ("shelter", disposition == "victim_to_shelter"),
        ("medical", disposition == "medical_care"),
    )
