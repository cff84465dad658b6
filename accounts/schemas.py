"""API schemas for users and organisations."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from accounts.models import OrganisationKind, Role
from core.schemas import Input, Output, PageInfo, ShortText, Slug


class MeRead(Output):
    """Who the caller is."""

    username: str
    role: Role
    organisation: str | None = Field(description="Organisation slug")


class OrganisationRead(Output):
    """An organisation."""

    id: int
    slug: str
    name: str
    kind: OrganisationKind
    receives_handover: bool


class OrganisationList(Output):
    """All organisations."""

    items: list[OrganisationRead]


class OrganisationCreate(Input):
    """A new organisation."""

    slug: Slug
    name: ShortText
    kind: OrganisationKind
    receives_handover: bool = False


class UserRead(Output):
    """A user as an administrator sees it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    organisation: str | None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class UserList(Output):
    """A page of users."""

    items: list[UserRead]
    page: PageInfo


class UserCreate(Input):
    """A new user."""

    username: ShortText = Field(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: Role
    organisation: Slug | None = None
    display_name: str = Field("", max_length=200)


class UserUpdate(Input):
    """Changes to a user; a new password revokes their sessions."""

    display_name: str | None = Field(None, max_length=200)
    role: Role | None = None
    organisation: Slug | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=200)
