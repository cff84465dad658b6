"""The weekly list's pages: the lists, one list (and its print view), the social worker's
acknowledgement, and a supervisor's additions, removals and early send (forms, no script)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit, clock
from core.policies import protect
from handover.access import own_organisation
from handover.labels import LABELS
from handover.weekly import access, build, service, settings, views
from handover.weekly.access import PARTNER, READERS, SUPERVISORS
from handover.weekly.labels import REASON_LABELS
from handover.weekly.models import TriageList
from triage.access import current_actor

bp = Blueprint("weekly", __name__)
LIST_WEEKS = 8


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "hl": LABELS,
        "reason_labels": REASON_LABELS,
        "build_time": settings.build_time().strftime("%H:%M"),
        "send_time": settings.send_time().strftime("%H:%M"),
    }


@bp.get("/triage-lists")
@protect(READERS)
def lists_page():
    """The lists of the last weeks: a social worker's organisation's sent ones; every
    organisation's, drafts included, for a supervisor."""
    supervisor = access.is_supervisor()
    org = None if supervisor else own_organisation()
    since = clock.now().astimezone(clock.zone()).date() - dt.timedelta(weeks=LIST_WEEKS)
    rows = (
        service.lists_of(None if supervisor else org.id, since, sent_only=not supervisor)
        if supervisor or org is not None
        else []
    )
    audit.record("list", "triage_list", object_ids=[r.id for r in rows])
    heads = [views.summary(r, service.shown_entries(r, supervisor)) for r in rows]
    return render_template(
        "weekly/lists.html", lists=heads, organisation=org, supervisor=supervisor
    )


def _render(row: TriageList, action: str, template: str, problems=None, values=None, status=200):
    supervisor = access.is_supervisor()
    if not supervisor and action in ("view", "print"):  # printing it is picking it up
        service.pick_up(row, current_user.id, clock.now())
    shown = service.shown_entries(row, supervisor)
    audit.record(action, "triage_list", row.id, object_ids=[e.incident_id for e in shown])
    actor = current_actor()
    return (
        render_template(
            template,
            head=views.summary(row, shown),
            cases=[views.case_row(e, actor) for e in shown],
            supervisor=supervisor,
            editable=supervisor and row.sent_at is None and action == "view",
            problems=problems or {},
            values=values or {},
        ),
        status,
    )


@bp.get("/triage-lists/<int:list_id>")
@protect(READERS)
def list_page(list_id: int):
    """One list; a supervisor may change a draft, a social worker acknowledges a sent one."""
    return _render(access.list_for_reader(list_id), "view", "weekly/list.html")


@bp.get("/triage-lists/<int:list_id>/print")
@protect(READERS)
def list_print(list_id: int):
    """A list as clean, printable HTML for the triage table."""
    return _render(access.list_for_reader(list_id), "print", "weekly/print.html")


@bp.post("/triage-lists/<int:list_id>/acknowledge")
@protect(PARTNER)
def acknowledge(list_id: int):
    """Record who of the organisation acknowledged the list, and when (the first one counts)."""
    row = access.list_for_partner(list_id)
    if service.acknowledge(row, current_user.id, clock.now()):
        flash(_("List acknowledged."), "info")
    return redirect(url_for("weekly.list_page", list_id=row.id))


def _refused(row: TriageList, exc: service.ListError, values: dict[str, str]):
    if exc.status == 422:
        problems = {k: str(v) for k, v in exc.fields.items()}
        return _render(row, "view", "weekly/list.html", problems, values, 422)
    flash(str(exc.message), "error")
    return redirect(url_for("weekly.list_page", list_id=row.id))


@bp.post("/triage-lists/<int:list_id>/entries")
@protect(SUPERVISORS)
def add_case(list_id: int):
    """A supervisor adds a case (by its reference) to a draft, with a reason."""
    row = access.list_for_supervisor(list_id)
    values = {k: request.form.get(k, "") for k in ("reference", "reason")}
    try:
        service.add_case(row, values["reference"], values["reason"], current_actor(), clock.now())
    except service.ListError as exc:
        return _refused(row, exc, values)
    flash(_("Case added to the list."), "info")
    return redirect(url_for("weekly.list_page", list_id=row.id))


@bp.post("/triage-lists/<int:list_id>/entries/<int:entry_id>/remove")
@protect(SUPERVISORS)
def remove_case(list_id: int, entry_id: int):
    """A supervisor takes a case off a draft, with a reason."""
    row = access.list_for_supervisor(list_id)
    values = {"remove_reason": request.form.get("reason", ""), "entry_id": str(entry_id)}
    try:
        service.remove_case(row, entry_id, values["remove_reason"], current_actor(), clock.now())
    except service.ListError as exc:
        if exc.status == 422:
            exc.fields = {"remove_reason": exc.fields.get("reason")}
        return _refused(row, exc, values)
    flash(_("Case removed from the list."), "info")
    return redirect(url_for("weekly.list_page", list_id=row.id))


@bp.post("/triage-lists/<int:list_id>/send")
@protect(SUPERVISORS)
def send(list_id: int):
    """A supervisor sends a draft now, before its send time."""
    row = access.list_for_supervisor(list_id)
    if build.send_now(row, current_user.id, clock.now()):
        flash(_("List sent to %(organisation)s.", organisation=row.organisation.name), "info")
    else:
        flash(_("This list was already sent."), "error")
    return redirect(url_for("weekly.list_page", list_id=row.id))
