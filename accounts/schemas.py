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
    """A new user: no password (the answer carries a one-time reset code for the first login);
    a supervisor or admin role waits for a second person's approval."""

    username: ShortText = Field(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Role
    organisation: Slug | None = None
    display_name: str = Field("", max_length=200)


class UserUpdate(Input):
    """Changes to a user (never a password: issue a reset code); a supervisor or admin role
    waits for a second person's approval."""

    display_name: str | None = Field(None, max_length=200)
    role: Role | None = None
    organisation: Slug | None = None
    active: bool | None = None


class UserCreated(UserRead):
    """A new user, with the one-time code for the first login (shown once)."""

    reset_code: str
    reset_expires_at: dt.datetime
    pending_role: Role | None = Field(None, description="waiting for a second person's approval")


class ResetCodeRead(Output):
    """A one-time code: the user logs in with it once and chooses a new password."""

    reset_code: str
    reset_expires_at: dt.datetime


class RoleGrantRead(Output):
    """A supervisor or admin role waiting for approval."""

    id: int
    user_id: int
    role: Role
    requested_by_id: int
    requested_at: dt.datetime
    approved_by_id: int | None
    approved_at: dt.datetime | None


class RoleGrantList(Output):
    """Role grants waiting for approval."""

    items: list[RoleGrantRead]
