"""Route-matrix rows for the statistics API and pages (merged into tests/app/test_access.py).

Supervisors reach them (200 for last night's figures); every other role, and a telephony token
with scope `intake` (the matrix's default), gets 403. The pages send an anonymous visitor to the
login form (302), as every page does.
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/statistics", only({"supervisor": 200})),
    ("GET", "/statistics", only({"supervisor": 200}, anonymous=302)),
    ("GET", "/statistics.csv", only({"supervisor": 200}, anonymous=302)),
    ("GET", "/statistics/print", only({"supervisor": 200}, anonymous=302)),
]
PAGES: tuple[str, ...] = ("/statistics", "/statistics.csv", "/statistics/print")
