"""Route-matrix rows (method, path, {role or "anonymous": status}); see tests/handover/access_rows.

The matrix sends no body with PUT, so the board's roles get 400 (not JSON) there; `dash` stands
for the `<kind>` path segment (test_access replaces untyped parameters with it).
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/incidents/999999/referrals", only({"dispatcher": 404, "supervisor": 404})),
    (
        "PUT",
        "/api/v1/incidents/999999/referrals/dash",
        only({"dispatcher": 422, "supervisor": 422}),
    ),
]
PAGES: tuple[str, ...] = ()
