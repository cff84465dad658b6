"""The protective-order register's API and page: supervisors write, dispatchers read.

A dispatcher reads names and addresses, never birth years or phones (intake matches on the
order's keys, not on what the dispatcher reads), and nothing of a restricted order but that it
flags a call. Every answer that names an order's persons is audited (`list` with the order
ids); the incident's own orders are reached through the incident guard, so a restricted
incident stays hidden.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from accounts.models import Role
from core import audit
from core.api import api, endpoint
from core.policies import BOARD, allow, protect
from core.schemas import PageInfo
from triage import order_register, orders
from triage.access import current_actor, incident_or_404, sees
from triage.models import Incident, ProtectiveOrder
from triage.order_schemas import (
    KINDS,
    FlaggedIncident,
    IncidentOrder,
    IncidentOrderList,
    OrderChanged,
    OrderCreate,
    OrderList,
    OrderPersonRead,
    OrderQuery,
    OrderRead,
    OrderRevoke,
)

bp = Blueprint("orders", __name__)
SUPERVISOR = allow(Role.SUPERVISOR)


def is_supervisor() -> bool:
    """Whether the caller reads orders in full (birth years, phones, restricted orders)."""
    user = current_actor().user
    return user is not None and Role(user.role) == Role.SUPERVISOR


def _person(person: dict, full: bool) -> OrderPersonRead:
    """Someone an order names; a dispatcher gets the name only (the register matches on keys)."""
    if full:
        return OrderPersonRead.model_validate(person)
    return OrderPersonRead(name=person.get("name"))


def _named(order: ProtectiveOrder, full: bool) -> dict:
    """Who and where: nothing of a restricted order for a dispatcher ("ask the supervisor")."""
    if order.restricted and not full:
        return {
            "subject": OrderPersonRead(name=None),
            "protected_persons": [],
            "address": None,
            "order_reference": None,
        }
    subject = {
        "name": order.subject_name,
        "birth_year": order.subject_birth_year,
        "phone": order.subject_phone,
    }
    return {
        "subject": _person(subject, full),
        "protected_persons": [_person(p, full) for p in order.protected_persons],
        "address": order.address_text,
        "order_reference": order.order_reference,
    }


def order_data(order: ProtectiveOrder, full: bool) -> dict:
    """An order's fields as its read schemas take them, in full for a supervisor (the caller
    audits the read)."""
    return {
        "id": order.id,
        "kind": order.kind,
        "status": order_register.status_of(order),
        "restricted": order.restricted,
        "valid_from": order.valid_from,
        "valid_to": order.valid_to,
        "issuing_authority": order.issuing_authority,
        "revoked_at": order.revoked_at,
        "created_at": order.created_at,
    } | _named(order, full)


def changed_read(order: ProtectiveOrder, incidents: list[Incident]) -> OrderChanged:
    """The order and the re-checked incidents the supervisor may see."""
    actor = current_actor()
    seen = [
        FlaggedIncident(id=i.id, reference=i.reference, flags=list(i.flags))
        for i in incidents
        if sees(actor, i)
    ]
    return OrderChanged.model_validate(order_data(order, full=True) | {"incidents": seen})


@api.get("/protective-orders")
@endpoint(
    "The register of house bans and court orders",
    BOARD,
    query=OrderQuery,
    response=OrderList,
    tags=("protective-orders",),
)
def list_protective_orders(query: OrderQuery):
    """Orders in force or still to come (`?include=expired`: all), newest first; audited.
    Restricted orders are listed for supervisors only."""
    full = is_supervisor()
    rows, total = order_register.list_orders(
        query.include == "expired", query.page, query.per_page, with_restricted=full
    )
    audit.record("list", "protective_order", object_ids=[o.id for o in rows])
    return OrderList(
        items=[OrderRead.model_validate(order_data(o, full)) for o in rows],
        page=PageInfo(page=query.page, per_page=query.per_page, total=total),
    )


@api.post("/protective-orders")
@endpoint(
    "Register a house ban or court order",
    SUPERVISOR,
    body=OrderCreate,
    response=OrderChanged,
    status=201,
    errors=(403,),
    tags=("protective-orders",),
)
def create_protective_order(body: OrderCreate):
    """Register an order; the open incidents it touches are flagged at once."""
    order, incidents = order_register.register_order(body, current_actor())
    return changed_read(order, incidents)


@api.post("/protective-orders/<int:order_id>/revoke")
@endpoint(
    "Revoke a house ban or court order",
    SUPERVISOR,
    body=OrderRevoke,
    response=OrderChanged,
    errors=(403, 404, 409),
    tags=("protective-orders",),
)
def revoke_protective_order(order_id: int, body: OrderRevoke):
    """Lift an order before its end (a reason is required); its incidents are re-checked."""
    order, incidents = order_register.revoke_order(order_id, body.reason, current_actor())
    return changed_read(order, incidents)


@api.get("/incidents/<int:incident_id>/protective-orders")
@endpoint(
    "The orders in force for an incident",
    BOARD,
    response=IncidentOrderList,
    errors=(404,),
    tags=("protective-orders", "incidents"),
)
def incident_protective_orders(incident_id: int):
    """The orders that flag the incident now, with what matched and whether it may be breached
    (a restricted one without names for a dispatcher: the flags hold all the same)."""
    incident = incident_or_404(incident_id)
    check = orders.flags_for(incident)
    found = order_register.orders_by_id(check.order_ids)
    audit.record("list", "protective_order", object_ids=[o.id for o in found])
    full = is_supervisor()
    return IncidentOrderList(
        items=[
            IncidentOrder.model_validate(
                order_data(o, full)
                | {
                    "matched_on": list(check.matched_on.get(o.id, ())),
                    "possible_breach": o.id in check.breached,
                }
            )
            for o in found
        ]
    )


@bp.get("/protective-orders")
@protect(BOARD)
def register_page():
    """The register: the orders, and for the supervisor the form to add or revoke one."""
    return render_template(
        "triage/orders.html",
        kinds=KINDS,
        is_supervisor=is_supervisor(),
    )
