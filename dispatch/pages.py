"""Server-rendered shell pages: each role lands on its own page."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Organisation, Role, User
from core.db import db
from core.policies import ADMIN, AUTHENTICATED, BOARD, allow, protect
from dispatch import officer
from dispatch.board import load_board
from dispatch.models import Unit
from triage.access import current_actor
from triage.events import summaries
from triage.service import BASE_PRIORITY

bp = Blueprint("pages", __name__)

LANDING = {
    Role.DISPATCHER: "pages.console",
    Role.SUPERVISOR: "pages.console",
    Role.ADMIN: "pages.admin",
    Role.OFFICER: "pages.my_unit",
    Role.SOCIAL_WORKER: "handover.packets_page",
}


@bp.get("/")
@protect(AUTHENTICATED)
def home():
    """Send each role to its page."""
    return redirect(url_for(LANDING[Role(current_user.role)]))


@bp.get("/console")
@protect(BOARD)
def console():
    """The dispatcher's live console; the page re-reads `/api/v1/board` on every (re)connect."""
    board = load_board()
    rows = summaries(board.incidents)
    references = {i.id: i.reference for i in board.incidents}
    return render_template(
        "console.html",
        units=board.units,
        current=board.current,
        queue=rows,
        references=references,
        map_tile_url=current_app.config.get("MAP_TILE_URL") or "",
        base_priority=str(BASE_PRIORITY),
        late_after_s=current_app.config["LATE_AFTER_S"],
        is_supervisor=Role(current_user.role) == Role.SUPERVISOR,
    )


@bp.get("/admin")
@protect(ADMIN)
def admin():
    """Administration overview: users, units and organisations (no case content)."""
    users = db.session.execute(select(User).order_by(User.role, User.username)).scalars().all()
    units = db.session.execute(select(Unit).order_by(Unit.call_sign)).unique().scalars().all()
    orgs = db.session.execute(select(Organisation).order_by(Organisation.slug)).scalars().all()
    return render_template("admin.html", users=users, units=units, orgs=orgs)


@bp.get("/unit")
@protect(allow(Role.OFFICER))
def my_unit():
    """An officer's phone page: their unit, its status and their crew's assignments."""
    view = officer.current_view(current_actor())
    return officer.render_page(view, url_for("officer_api.my_assignment"))


@bp.get("/morning")
@protect(allow(Role.SOCIAL_WORKER))
def morning():
    """A social worker's morning page for their own organisation."""
    return redirect(url_for("handover.packets_page"))
