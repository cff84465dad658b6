"""Shared pydantic building blocks for request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # fits an INTEGER column on every backend
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()./-]{6,24}$")]


class Input(BaseModel):
    """Request bodies: unknown fields are refused, strings are bounded."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class Output(BaseModel):
    """Response bodies, built from ORM objects or dicts."""

    model_config = ConfigDict(from_attributes=True)


class PageQuery(Input):
    """`?page=&per_page=` for list endpoints."""

    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


class PageInfo(Output):
    """Where a page sits in the whole list."""

    page: int
    per_page: int
    total: int
