"""The Socket.IO room names, in one place: who joins which room is decided in app/sockets.py."""

from __future__ import annotations

BOARD = "board"  # dispatchers and supervisors: the live console
SUPERVISORS = "supervisors"  # supervisors only: escalations meant for them


def board() -> tuple[str, ...]:
    """Rooms of dispatchers and supervisors."""
    return (BOARD,)


def organisation(organisation_id: int) -> str:
    """A partner organisation's social workers."""
    return f"org:{organisation_id}"


def officer(user_id: int) -> str:
    """One officer's own devices."""
    return f"officer:{user_id}"


def user(user_id: int) -> str:
    """Every live connection of one user (consoles, phone, tokens): joined on connect."""
    return f"user:{user_id}"
