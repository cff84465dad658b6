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
    sound_muted: bool = Field(False, description="the console's alarm sound is off")


class SoundSetting(Input):
    """Switch this person's console alarm sound off or on."""

    muted: bool


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


class RoleGrantRead(Output):
    """A request on an account (new account, role, reset code) and its approval; the one-time
    code only in the answer to the approval, for the approver to hand over."""

    id: int
    kind: str
    user_id: int
    role: Role | None
    requested_by_id: int
    requested_at: dt.datetime
    approved_by_id: int | None
    approved_at: dt.datetime | None
    reset_code: str | None = None
    reset_expires_at: dt.datetime | None = None


class UserCreated(UserRead):
    """A new account: disabled until a second person approves `grant` (and gets its code)."""

    grant: RoleGrantRead


class RoleGrantList(Output):
    """Requests waiting for approval."""

    items: list[RoleGrantRead]
