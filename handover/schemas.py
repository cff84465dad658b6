"""Request and response schemas of the handover API (they also produce the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from core.schemas import Input, LongText, Output, ShortText, Slug
from handover.models import Consent, LegalBasis

HandoverPersonRole = Literal["victim", "suspect", "child", "witness", "caller", "other"]
# Copied from the incident when the note is written (handover.service.case_facts).
MOTIVES_DOC = "the incident's motive codes when the note was written (triage's motive list)"
CHILDREN_AT_RISK_DOC = "whether the incident's children were at risk when the note was written"


class HandoverPerson(Input):
    """A person in the note and their part in the incident."""

    role: HandoverPersonRole
    name: str | None = Field(None, max_length=200)
    age: int | None = Field(None, ge=0, le=120)
    remarks: str | None = Field(None, max_length=1000)


class HandoverActions(Input):
    """What the night team did."""

    arrest: bool = False
    house_ban_requested: bool = False
    shelter: bool = False
    medical: bool = False
    other: str | None = Field(None, max_length=1000)


class HandoverNoteCreate(Input):
    """A handover note (or a correction: a new version with the same fields)."""

    summary: LongText = Field(min_length=1, max_length=4000)
    persons: list[HandoverPerson] = Field(default_factory=list, max_length=20)
    children: LongText | None = Field(None, max_length=4000)
    risk_level: ShortText | None = None
    actions: HandoverActions = Field(default_factory=HandoverActions)
    consent: Consent
    legal_basis: LegalBasis
    organisations: list[Slug] = Field(
        max_length=10,
        description="at least one for a new note; a correction with none withdraws it from all",
    )
    urgent: bool = False
    follow_up: LongText | None = Field(None, max_length=4000)


class InstrumentResult(Output):
    """The latest result of one risk instrument when the note was written."""

    instrument: str
    version: str | None = None
    level: str | None = None
    score: float | None = None
    unknown_count: int | None = None
    assessed_at: dt.datetime | None = None


class HandoverRisk(Output):
    """Risk level, incident priority and instrument results at writing time."""

    level: str | None = None
    priority: str | None = None
    instruments: list[InstrumentResult] = Field(default_factory=list)


class HandoverNoteRead(Output):
    """A note as the police side reads it: everything, with its place in the version history."""

    id: int
    incident_id: int
    reference: str
    version: int
    supersedes_id: int | None
    superseded_by_id: int | None
    author: str | None
    created_at: dt.datetime
    packet_date: dt.date
    legal_basis: LegalBasis
    consent: Consent
    urgent: bool
    organisations: list[str]
    summary: str
    persons: list[HandoverPerson]
    children: str | None
    children_at_risk: bool | None = Field(None, description=CHILDREN_AT_RISK_DOC)
    motives: list[str] = Field(default_factory=list, description=MOTIVES_DOC)
    risk: HandoverRisk
    actions: HandoverActions
    follow_up: str | None


class HandoverNoteList(Output):
    """Every version of every note on an incident, oldest first."""

    items: list[HandoverNoteRead]


class SharedNoteRead(Output):
    """A note as a partner organisation reads it: only what its legal basis allows."""

    id: int
    reference: str
    incident_date: dt.date
    version: int
    supersedes_id: int | None
    created_at: dt.datetime
    legal_basis: LegalBasis
    urgent: bool
    summary: str | None
    risk_level: str | None
    priority: str | None
    consent: Consent | None
    persons: list[HandoverPerson] | None
    children: str | None
    children_at_risk: bool | None = Field(None, description=CHILDREN_AT_RISK_DOC)
    motives: list[str] | None = Field(None, description=MOTIVES_DOC)
    instruments: list[InstrumentResult] | None
    actions: HandoverActions | None
    follow_up: str | None
    withheld: list[str]
    # In a packet: the version the packet carried (not `id` when it was corrected since).
    packet_note_id: int | None = None


class WithdrawnNoteRead(Output):
    """A note a packet carried that a correction took away from the organisation: no content."""

    id: int
    reference: str


class SharedNoteList(Output):
    """Urgent notes for the reader's organisation that no packet has carried yet."""

    items: list[SharedNoteRead]


class HandoverPacketQuery(Input):
    """`?date=YYYY-MM-DD` (default: the last 14 handover dates)."""

    date: dt.date | None = None


class HandoverPacketSummary(Output):
    """A packet without its content: who it is for, which window, whether it was picked up."""

    id: int
    organisation: str
    handover_date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    created_at: dt.datetime
    note_count: int
    urgent_count: int
    withdrawn_count: int
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    reminded_at: dt.datetime | None


class HandoverPacketList(Output):
    """Packets, newest first."""

    items: list[HandoverPacketSummary]


class HandoverPacketRead(HandoverPacketSummary):
    """A packet with the latest version of each note its organisation may still read, and the
    notes withdrawn from it since."""

    notes: list[SharedNoteRead]
    withdrawn: list[WithdrawnNoteRead]
