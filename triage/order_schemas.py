"""Request and response schemas of the protective-order register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.schemas import Input, Output, PageInfo, PageQuery, Phone, ShortText

# Required texts are checked by the register (`order_register.check_order`), so that one answer
# names every missing or wrong field of the form at once, not the schema's first few.
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

# house_ban: the temporary house ban (law of 15 May 2012), ordered by the public prosecutor for
# at most 14 days from its notice; house_ban_extension: the family court's extension of it (at
# most 3 months); court_order: another court's no-contact or residence order (e.g. a condition
# of a release, or a criminal or family court's ruling), as long as the court says.
OrderKind = Literal["house_ban", "house_ban_extension", "court_order"]
KINDS: tuple[str, ...] = OrderKind.__args__  # type: ignore[attr-defined]


class OrderPersonIn(Input):
    """Someone an order names: the name, and the birth year and phone when the order gives them."""

    name: Text = Field("", description="required")
    birth_year: int | None = Field(None, ge=1900, le=2100)
    phone: Phone | None = None


class OrderCreate(Input):
    """A house ban or court order as the supervisor registers it.

    Times without a time zone are read as Brussels time (what a form's date and time say).
    """

    kind: OrderKind
    subject: OrderPersonIn = Field(default_factory=OrderPersonIn, description="who must stay away")
    protected_persons: list[OrderPersonIn] = Field(
        default_factory=list, max_length=20, description="whom the subject must stay away from"
    )
    address: str | None = Field(None, max_length=300, description="the protected home")
    valid_from: dt.datetime | None = Field(None, description="required")
    valid_to: dt.datetime | None = Field(None, description="required")
    issuing_authority: Text = Field("", description="required")
    order_reference: str | None = Field(None, max_length=100)
    restricted: bool = Field(
        False,
        description="details for supervisors only (a colleague is involved, say); the order "
        "still raises the flags for every dispatcher",
    )


class OrderRevoke(Input):
    """Why an order is lifted before its end."""

    reason: ShortText


class OrderQuery(PageQuery):
    """`?include=expired` lists ended and revoked orders too."""

    include: Literal["expired"] | None = None
    per_page: int = Field(200, ge=1, le=500)


class OrderPersonRead(Output):
    """Someone an order names (the birth year and phone for supervisors only)."""

    name: str | None
    birth_year: int | None = None
    phone: str | None = None


class OrderRead(Output):
    """One order of the register.

    A restricted order reaches a dispatcher only through an incident it flags, and then without
    names, address or reference (`subject.name` null, `protected_persons` empty).
    """

    id: int
    kind: str
    status: str = Field(description="active, upcoming, expired or revoked")
    restricted: bool
    subject: OrderPersonRead
    protected_persons: list[OrderPersonRead]
    address: str | None
    valid_from: dt.datetime
    valid_to: dt.datetime
    issuing_authority: str
    order_reference: str | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime


class FlaggedIncident(Output):
    """An open incident whose order flags changed with the register."""

    id: int
    reference: str
    flags: list[str]


class OrderChanged(OrderRead):
    """An order just registered or revoked, and the open incidents re-checked against it."""

    incidents: list[FlaggedIncident] = Field(
        default_factory=list, description="open incidents (that you may see) whose flags changed"
    )


class OrderList(Output):
    """A page of the register, newest first."""

    items: list[OrderRead]
    page: PageInfo


class IncidentOrder(OrderRead):
    """An order in force that touches an incident, and how."""

    matched_on: list[str] = Field(
        description="address, protected_person, subject and/or subject_as_suspect"
    )
    possible_breach: bool


class IncidentOrderList(Output):
    """The orders in force for one incident."""

    items: list[IncidentOrder]
