"""Route-matrix rows for the statistics API (merged into tests/app/test_access.py).

Supervisors reach it (200 for today's figures); every other role, and a telephony token with
scope `intake` (the matrix's default), gets 403.
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/statistics", only({"supervisor": 200})),
]
PAGES: tuple[str, ...] = ()
