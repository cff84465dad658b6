"""Route-matrix rows (method, path, {role or "anonymous": status}); see tests/handover/access_rows.

The protective-order register: dispatchers and supervisors read, only supervisors write.
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


BOARD_READ = {"dispatcher": 200, "supervisor": 200}

ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/protective-orders", only(BOARD_READ)),
    ("POST", "/api/v1/protective-orders", only({"supervisor": 422})),
    ("POST", "/api/v1/protective-orders/999999/revoke", only({"supervisor": 422})),
    (
        "GET",
        "/api/v1/incidents/999999/protective-orders",
        only({"dispatcher": 404, "supervisor": 404}),
    ),
    ("GET", "/protective-orders", only(BOARD_READ, anonymous=302)),
]
PAGES: tuple[str, ...] = ("/protective-orders",)
