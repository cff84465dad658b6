"""Handover pages: a social worker's packets, one packet (and its print view), the phone form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import audit, clock
from core.api import not_found
from core.db import db
from core.policies import protect
from handover import access, forms, serialise, service, settings
from handover.access import PARTNER, WRITERS
from handover.labels import ACTIONS, LABELS, PERSON_ROLES, motive_names
from handover.models import HandoverNote
from handover.window import latest_handover_date
from triage.access import current_actor
from triage.models import Incident

bp = Blueprint("handover", __name__)
LIST_DAYS = 14


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "hl": LABELS,
        "handover_time": settings.handover_time().strftime("%H:%M"),
        "motive_names": motive_names,
    }


@bp.get("/handover")
@protect(PARTNER)
def packets_page():
    """A social worker's packets of the last two weeks and urgent notes not yet packed."""
    org = access.own_organisation()
    latest = latest_handover_date(clock.now(), settings.handover_time(), settings.zone())
    since = latest - dt.timedelta(days=LIST_DAYS - 1)
    rows = serialise.packets_of(org.id, since=since) if org else []
    urgent = access.pending_urgent_notes()
    audit.record("list", "handover_packet", object_ids=[p.id for p in rows])
    if urgent:
        audit.record("list", "handover_note", object_ids=[n.id for n in urgent])
    return render_template(
        "handover/packets.html",
        organisation=org,
        packets=[serialise.packet_summary(p, serialise.packet_notes(p)) for p in rows],
        urgent=[serialise.shared_note_read(n) for n in urgent],
    )


def _packet_page(packet_id: int, action: str, template: str):
    packet = access.packet_for_partner(packet_id)
    entries = serialise.packet_notes(packet)
    shown = [n.id for n in serialise.shown(entries)]
    audit.record(action, "handover_packet", packet.id, object_ids=shown)
    read = serialise.packet_read(packet, entries)
    return render_template(template, packet=read, organisation=packet.organisation)


@bp.get("/handover/packets/<int:packet_id>")
@protect(PARTNER)
def packet_page(packet_id: int):
    """One packet of my organisation, with an acknowledge button."""
    return _packet_page(packet_id, "view", "handover/packet.html")


@bp.get("/handover/packets/<int:packet_id>/print")
@protect(PARTNER)
def packet_print(packet_id: int):
    """A packet as clean, printable HTML."""
    return _packet_page(packet_id, "print", "handover/print.html")


def _correcting(incident: Incident) -> HandoverNote | None:
    raw = request.values.get("correct", "")
    if not raw.isdigit():
        return None
    note = access.note_for_writer(int(raw))
    if note.incident_id != incident.id:
        raise not_found("handover note")
    return note


def _render_form(incident: Incident, previous, values, problems, status=200):
    audit.read("incident", incident.id)  # the form shows its risk level and its notes
    notes = service.notes_of_incident(incident.id)
    latest = {n.id for n in notes} - {n.supersedes_id for n in notes}
    return (
        render_template(
            "handover/note_form.html",
            incident=incident,
            previous=previous,
            values=values,
            problems=problems,
            partners=service.handover_partners(),
            risk=service.risk_snapshot(incident, None),
            facts=service.case_facts(incident),
            notes=[n for n in notes if n.id in latest],
            person_rows=forms.PERSON_ROWS,
            roles=PERSON_ROLES,
            actions=ACTIONS,
        ),
        status,
    )


@bp.route("/incidents/<int:incident_id>/note", methods=["GET", "POST"])
@protect(WRITERS)
def note_page(incident_id: int):
    """The phone form for a handover note (or a correction with `?correct=<note id>`)."""
    incident = access.incident_for_writer(incident_id)
    previous = _correcting(incident)
    if request.method == "POST":
        return _submit(incident, previous)
    values = forms.values_from_note(previous) if previous else forms.values_from_incident(incident)
    audit.record("view", "handover_note" if previous else "incident", (previous or incident).id)
    return _render_form(incident, previous, values, {})


def _submit(incident: Incident, previous: HandoverNote | None):
    values = forms.body_from_form(request.form)
    body, problems = forms.validate(values)
    if body is None:
        return _render_form(incident, previous, values, forms.messages(problems), 422)
    actor = current_actor()
    try:
        if previous is not None:
            note = service.correct_note(previous, body, actor)
        else:
            note = service.write_note(incident, body, actor)
    except service.NoteError as exc:
        db.session.rollback()
        if exc.status == 409:
            flash(
                _("This note was corrected in the meantime; correct the latest version."), "error"
            )
            return redirect(url_for("handover.note_page", incident_id=incident.id))
        return _render_form(incident, previous, values, forms.messages(exc.fields), exc.status)
    day = service.packet_date(note).strftime("%d/%m/%Y")
    flash(_("Note saved (version %(version)s); it goes in the packet of %(day)s.",
            version=note.version, day=day), "info")  # fmt: skip
    return redirect(url_for("handover.note_page", incident_id=incident.id))
