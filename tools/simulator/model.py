"""The simulator's plain data: a planned call, its persons, screens, steps and handover note."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone named on the call."""

    role: str
    name: str | None
    age: int | None
    language: str | None = None


@dataclass(frozen=True)
class Screen:
    """Answers to one risk instrument, with an optional professional judgement."""

    instrument: str
    answers: tuple[tuple[str, str], ...]
    judgement: tuple[str, str] | None = None

    def body(self) -> dict[str, Any]:
        """The request body of `POST /incidents/<id>/assessments`."""
        body: dict[str, Any] = {"instrument": self.instrument, "answers": dict(self.answers)}
        if self.judgement:
            body["judgement"] = {"level": self.judgement[0], "reason": self.judgement[1]}
        return body


@dataclass(frozen=True)
class Note:
    """A handover note for partner organisations, with its legal basis."""

    summary: str
    persons: tuple[Person, ...]
    children: str | None
    actions: tuple[tuple[str, bool], ...]
    consent: str
    legal_basis: str
    organisations: tuple[str, ...]
    urgent: bool
    follow_up: str

    def body(self) -> dict[str, Any]:
        """The request body of `POST /incidents/<id>/handover-notes`."""
        return {
            "summary": self.summary,
            "persons": [{"role": p.role, "name": p.name, "age": p.age} for p in self.persons],
            "children": self.children,
            "actions": dict(self.actions),
            "consent": self.consent,
            "legal_basis": self.legal_basis,
            "organisations": list(self.organisations),
            "urgent": self.urgent,
            "follow_up": self.follow_up,
        }


@dataclass(frozen=True)
class Step:
    """One action after the intake, `after_s` simulated seconds after the previous one.

    action: "screen" (detail = instrument id), "assign", "reply" (detail = SMS text, "{ref}"
    stands for the incident reference), "note" or "close" (detail = disposition).
    """

    action: str
    after_s: float
    detail: str = ""


@dataclass(frozen=True)
class Call:
    """One planned call and everything that follows it."""

    index: int
    at_s: float
    kind: str
    address: str
    district: str
    caller_phone: str
    persons: tuple[Person, ...]
    victim_female: bool
    relation: str
    children_present: bool | None
    flags: tuple[str, ...]
    narrative: str
    requested_skills: tuple[str, ...]
    screens: tuple[Screen, ...]
    steps: tuple[Step, ...]
    expected_priority: str
    disposition: str
    note: Note | None = field(default=None)

    def intake_body(self) -> dict[str, Any]:
        """The request body of `POST /incidents`: always an exercise (training stays training:
        never in a packet, the weekly list or the statistics; `demo night --clean` removes it)."""
        return {
            "exercise": True,
            "address": self.address,
            "caller_phone": self.caller_phone,
            "persons": [{k: v for k, v in vars(p).items() if v is not None} for p in self.persons],
            "children_present": self.children_present,
            "flags": list(self.flags),
            "narrative": self.narrative,
            "requested_skills": list(self.requested_skills),
        }

    def screen(self, instrument: str) -> Screen:
        """The planned answers to one instrument."""
        return next(s for s in self.screens if s.instrument == instrument)
