"""Route-matrix rows for the eido routes (merged into tests/app/test_access.py).

The export is the board's (a missing incident: 404); a received EIDO is taken from the board or
a token with scope `eido` (not a matrix caller), an empty one refused by the schema (422).
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/incidents/999999/eido", only({"dispatcher": 404, "supervisor": 404})),
    ("POST", "/api/v1/eido", only({"dispatcher": 422, "supervisor": 422})),
]
PAGES: tuple[str, ...] = ()
