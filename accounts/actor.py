"""Who is acting: a user (maybe through a token), a unit by SMS, or the system."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import ApiToken, User


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (maybe through a token), or the system."""

    user: User | None
    token: ApiToken | None
    source: str  # where the action came from: console, api, sms, system (TimelineSource)
    name: str | None = None  # e.g. "unit NT-11" for SMS replies

    @property
    def label(self) -> str:
        """How the timeline names the actor."""
        if self.name:
            return self.name
        if self.user is None:
            return "system"
        return (
            f"{self.user.username} (token {self.token.name})" if self.token else self.user.username
        )
