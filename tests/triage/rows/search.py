"""Route-matrix rows for the search of past incidents (merged into tests/app/test_access.py).

A GET without `q` and `reason` is a field error for the board (422); every other role, and a
telephony token with scope `intake` (the matrix's default for it), is refused (403).
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/search", only({"dispatcher": 422, "supervisor": 422})),
]
PAGES: tuple[str, ...] = ()
