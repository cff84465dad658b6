"""Route-matrix rows for the CAP export (merged into tests/app/test_access.py).

The board (dispatcher, supervisor) reaches it and gets 404 for an incident that does not exist;
every other role, and a telephony token with scope `intake` (the matrix's default), gets 403.
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/incidents/999999/cap", only({"dispatcher": 404, "supervisor": 404})),
]
PAGES: tuple[str, ...] = ()
