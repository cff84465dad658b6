"""Handover notes: who may write them, writing and correcting (a new version), reading them.

Services flush; the route (or job) that called them commits once.

A note is written under a lock on each addressed organisation's row, and its `created_at` is
taken only once those locks are held. A packet builder takes the same lock before it reads the
notes of its window, so a note is either committed before the builder reads, or stamped after
the builder finished (and so falls into the next window): no note can slip between two packets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from accounts.actor import Actor
from accounts.models import Organisation, Role, User
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from dispatch import queries
from handover import events, settings, sharing
from handover.models import HandoverNote, note_target, packet_note
from handover.models import HandoverPacket as Packet
from handover.schemas import HandoverNoteCreate
from handover.window import packet_date_for
from triage import screening
from triage.models import Incident
from triage.service import add_timeline

POLICE_WRITERS = (Role.DISPATCHER, Role.SUPERVISOR)
# A later version of a note (one alias for the process: SQLAlchemy adapts an alias's columns once).
_LATER = aliased(HandoverNote, name="later")


class NoteError(DomainError):
    """A note that is well-formed but cannot be stored, naming the field."""


def on_assigned_unit(user: User, incident_id: int) -> bool:
    """Whether the user is on the crew of an assignment of the incident (dispatch's rule: the
    crew when it was assigned, while active and OFFICER_ACCESS_GRACE_H after)."""
    return queries.on_crew(user.id, incident_id)


def may_write(user: User, incident_id: int) -> bool:
    """Dispatchers and supervisors, and officers of a unit assigned to the incident."""
    role = Role(user.role)
    if role in POLICE_WRITERS:
        return True
    return role == Role.OFFICER and on_assigned_unit(user, incident_id)


def handover_partners() -> list[Organisation]:
    """Organisations that receive handover notes and packets, by name."""
    query = select(Organisation).where(Organisation.receives_handover.is_(True))
    return list(db.session.execute(query.order_by(Organisation.name)).scalars())


def resolve_organisations(slugs: list[str]) -> list[Organisation]:
    """The addressed partner organisations; unknown slugs or non-partners are a 422."""
    wanted = sorted(set(slugs))
    found = {o.slug: o for o in handover_partners() if o.slug in wanted}
    missing = [s for s in wanted if s not in found]
    if missing:
        raise NoteError(
            422,
            "validation_error",
            _l("Some fields are not valid."),
            {
                "organisations": _l(
                    "Unknown or not a handover partner: %(slugs)s.", slugs=", ".join(missing)
                )
            },
        )
    return [found[s] for s in wanted]


def lock_organisation(organisation_id: int) -> None:
    """Take the organisation row's write lock (a no-op UPDATE) until the transaction ends."""
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(receives_handover=Organisation.receives_handover)
        .execution_options(synchronize_session=False)
    )


def risk_snapshot(incident: Incident, risk_level: str | None) -> dict[str, Any]:
    """The latest result per instrument, the latest level (unless given) and the priority."""
    latest: dict[str, Any] = {}
    for a in screening.assessments(incident.id):  # oldest first: later ones win
        latest[a.instrument_id] = a
    ordered = sorted(latest.values(), key=lambda a: a.id)
    instruments = [
        {
            "instrument": a.instrument_id,
            "version": a.instrument_version,
            "level": a.level,
            "score": a.score,
            "unknown_count": a.unknown_count,
            "assessed_at": a.created_at.isoformat(),
        }
        for a in ordered
    ]
    level = risk_level or (ordered[-1].level if ordered else None)
    return {"level": level, "priority": str(incident.priority), "instruments": instruments}


def case_facts(incident: Incident) -> dict[str, Any]:
    """The incident's motives (codes) and whether its children are at risk, when the note is
    written: a discrimination motive must reach the partners, and so must a child in danger."""
    children = incident.children or {}
    return {"motives": list(incident.motives or []), "children_at_risk": children.get("at_risk")}


def note_content(body: HandoverNoteCreate, incident: Incident) -> dict[str, Any]:
    """The encrypted content of a note: everything but the sharing columns."""
    return {
        "summary": body.summary,
        "persons": [p.model_dump(mode="json") for p in body.persons],
        "children": body.children,
        **case_facts(incident),
        "risk": risk_snapshot(incident, body.risk_level),
        "actions": body.actions.model_dump(mode="json"),
        "follow_up": body.follow_up,
    }


def _share_problem(field: str, problem: str, outside: list[str]) -> Any:
    """sharing.check_share's problem with a field, said in the user's language."""
    if field == "consent":
        return _l("The legal basis “consent” needs the person's consent (yes).")
    if field == "organisations":
        return _l(
            "A 458ter case consultation is shared only with Veilig Huis and CAW, not with "
            "%(slugs)s.",
            slugs=", ".join(outside),
        )
    return problem


def _check(body: HandoverNoteCreate, correcting: bool) -> list[Organisation]:
    if not body.organisations:
        if correcting:  # withdrawn consent, or the wrong incident: the partners lose it
            return []
        raise NoteError(
            422,
            "validation_error",
            _l("Name at least one organisation."),
            {"organisations": _l("Name at least one organisation.")},
        )
    organisations = resolve_organisations(body.organisations)
    kinds = {o.slug: str(o.kind) for o in organisations}
    problems = sharing.check_share(body.legal_basis, body.consent, kinds)
    if problems:
        outside = sorted(s for s, k in kinds.items() if k not in sharing.CASE_CONSULTATION_KINDS)
        fields = {field: _share_problem(field, problems[field], outside) for field in problems}
        raise NoteError(422, "validation_error", _l("The legal basis does not allow this."), fields)
    return organisations


def write_note(
    incident: Incident,
    body: HandoverNoteCreate,
    actor: Actor,
    now: dt.datetime | None = None,
    previous: HandoverNote | None = None,
) -> HandoverNote:
    """Store a note (or a correction of `previous`); timeline, audit and live push follow."""
    organisations = _check(body, correcting=previous is not None)
    former = list(previous.organisations) if previous else []
    # The former addressees too: a packet builder then sees the correction or none of it.
    for org_id in sorted({o.id for o in organisations + former}):  # one order: no deadlocks
        lock_organisation(org_id)
    readers = [o for o in former if previous is not None and readable_by(previous, o)]
    note = HandoverNote(
        incident_id=incident.id,
        author_id=actor.user.id if actor.user else None,
        version=previous.version + 1 if previous else 1,
        supersedes_id=previous.id if previous else None,
        content=note_content(body, incident),
        legal_basis=body.legal_basis,
        consent=body.consent,
        urgent=body.urgent,
        created_at=now or clock.now(),  # stamped after the locks: see the module docstring
        organisations=organisations,
    )
    db.session.add(note)
    db.session.flush()
    _record(note, incident, actor, organisations)
    _withdraw(note, incident.reference, readers)
    return note


def _record(
    note: HandoverNote, incident: Incident, actor: Actor, organisations: list[Organisation]
) -> None:
    slugs = sorted(o.slug for o in organisations)
    kind = "handover.note_corrected" if note.supersedes_id else "handover.note"
    data = {
        "note_id": note.id,
        "version": note.version,
        "supersedes_id": note.supersedes_id,
        "organisations": slugs,
        "legal_basis": str(note.legal_basis),
        "urgent": bool(note.urgent),
    }
    add_timeline(incident.id, kind, actor, data=data)
    audit.record("update" if note.supersedes_id else "create", "handover_note", note.id)
    events.note_written(note, incident.reference, organisations)


def _withdraw(note: HandoverNote, reference: str, readers: list[Organisation]) -> None:
    """Tell each organisation that could read the corrected version and cannot read this one
    which of the earlier versions (those addressed to it) it no longer has."""
    if not readers:  # a first version, or no former reader: nobody to tell
        return
    earlier = [db.session.get(HandoverNote, i) for i in version_ids(note)[:-1]]
    for org in readers:
        if not readable_by(note, org):
            ids = [v.id for v in earlier if v is not None and addressed_to(v, org)]
            events.note_withdrawn(ids, reference, org)


def successor_id(note: HandoverNote) -> int | None:
    """The id of the version that corrects this one, if any."""
    query = select(HandoverNote.id).where(HandoverNote.supersedes_id == note.id)
    return db.session.execute(query).scalar_one_or_none()


def correct_note(
    note: HandoverNote, body: HandoverNoteCreate, actor: Actor, now: dt.datetime | None = None
) -> HandoverNote:
    """Write the next version of a note; only the latest version can be corrected (else 409)."""
    newer = successor_id(note)
    if newer is not None:
        raise NoteError(
            409,
            "conflict",
            _l("This version was already corrected; correct the latest version."),
            {"note_id": _l("Superseded by %(id)s.", id=newer)},
        )
    incident = db.session.get(Incident, note.incident_id)
    assert incident is not None
    try:
        return write_note(incident, body, actor, now, previous=note)
    except IntegrityError:  # a concurrent correction won the unique supersedes_id
        raise NoteError(
            409, "conflict", _l("This version was corrected at the same time; correct the latest.")
        ) from None


def notes_of_incident(incident_id: int) -> list[HandoverNote]:
    """Every version of every note on the incident, oldest first."""
    query = select(HandoverNote).where(HandoverNote.incident_id == incident_id)
    return list(db.session.execute(query.order_by(HandoverNote.id)).scalars())


def packet_date(note: HandoverNote) -> dt.date:
    """The handover date of the packet that carries (or will carry) this note."""
    return packet_date_for(note.created_at, settings.handover_time(), settings.zone())


def addressed_to(note: HandoverNote, organisation: Organisation) -> bool:
    """Whether the note is addressed to the organisation and its basis lets it be shared."""
    if organisation.id not in {o.id for o in note.organisations}:
        return False
    return sharing.may_share(note.legal_basis, note.consent, str(organisation.kind))


def version_ids(note: HandoverNote) -> list[int]:
    """The ids of every version of the note's chain, oldest first (the last is the latest)."""
    query = select(HandoverNote.id, HandoverNote.supersedes_id).where(
        HandoverNote.incident_id == note.incident_id
    )
    before: dict[int, int | None] = {row.id: row.supersedes_id for row in db.session.execute(query)}
    after = {previous: id_ for id_, previous in before.items() if previous is not None}
    first = note.id
    while (earlier := before.get(first)) is not None:
        first = earlier
    ids = [first]
    while ids[-1] in after:
        ids.append(after[ids[-1]])
    return ids


def latest_version(note: HandoverNote) -> HandoverNote:
    """The version of the note's chain that no other corrects."""
    latest = db.session.get(HandoverNote, version_ids(note)[-1])
    assert latest is not None
    return latest


def _addressed_run(ids: list[int], organisation: Organisation) -> list[HandoverNote]:
    """The latest versions, newest first, up to the first one not addressed to the organisation."""
    run: list[HandoverNote] = []
    for id_ in reversed(ids):
        version = db.session.get(HandoverNote, id_)
        if version is None or not addressed_to(version, organisation):
            break
        run.append(version)
    return run


def in_packet_of(note_ids: list[int], organisation_id: int) -> bool:
    """Whether a packet of the organisation carries one of the notes."""
    query = (
        select(packet_note.c.note_id)
        .join(Packet, Packet.id == packet_note.c.packet_id)
        .where(packet_note.c.note_id.in_(note_ids), Packet.organisation_id == organisation_id)
    )
    return bool(note_ids) and db.session.execute(query.limit(1)).first() is not None


def readable_by(note: HandoverNote, organisation: Organisation) -> bool:
    """Whether the organisation may read this version now (see "Corrections" in `sharing`).

    Only the latest version, only while it is addressed to the organisation with a basis that
    allows it, and only once the organisation got the note: a version urgent or carried by
    one of its packets since the note was last (re)addressed to it.
    """
    ids = version_ids(note)
    if ids[-1] != note.id:
        return False
    run = _addressed_run(ids, organisation)
    if not run:
        return False
    return any(v.urgent for v in run) or in_packet_of([v.id for v in run], organisation.id)


def pending_urgent(organisation: Organisation, now: dt.datetime) -> list[HandoverNote]:
    """Urgent latest versions addressed to the organisation that no packet of it carries yet."""
    packed = exists().where(
        packet_note.c.note_id == HandoverNote.id,
        packet_note.c.packet_id == Packet.id,
        Packet.organisation_id == organisation.id,
    )
    corrected = exists().where(_LATER.supersedes_id == HandoverNote.id)
    since = now - dt.timedelta(days=settings.catchup_days() + 1)
    query = (
        select(HandoverNote)
        .join(note_target, note_target.c.note_id == HandoverNote.id)
        .where(
            note_target.c.organisation_id == organisation.id,
            HandoverNote.urgent.is_(True),
            HandoverNote.created_at >= since,
            ~packed,
            ~corrected,
        )
        .order_by(HandoverNote.created_at.desc(), HandoverNote.id.desc())
    )
    notes = db.session.execute(query).scalars().all()
    return [n for n in notes if addressed_to(n, organisation)]


def latest_versions_query(start: dt.datetime, end: dt.datetime, organisation_id: int):
    """Notes to the organisation written in [start, end), not corrected before `end`, and not
    about an exercise incident."""
    corrected = exists().where(_LATER.supersedes_id == HandoverNote.id, _LATER.created_at < end)
    # Training stays training: notes on an exercise incident never reach a partner's packet.
    exercise = exists().where(Incident.id == HandoverNote.incident_id, Incident.exercise.is_(True))
    return (
        select(HandoverNote)
        .join(note_target, note_target.c.note_id == HandoverNote.id)
        .where(
            note_target.c.organisation_id == organisation_id,
            HandoverNote.created_at >= start,
            HandoverNote.created_at < end,
            ~corrected,
            ~exercise,
        )
        .order_by(HandoverNote.created_at, HandoverNote.id)
    )
