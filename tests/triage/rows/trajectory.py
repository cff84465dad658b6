"""Route-matrix rows for the risk trajectory (see tests/handover/access_rows)."""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/incidents/999999/trajectory", only({"dispatcher": 404, "supervisor": 404})),
    # Nothing typed yet is a question with no answer: 200 and an empty trajectory.
    ("POST", "/api/v1/trajectory/lookup", only({"dispatcher": 200, "supervisor": 200})),
]
PAGES: tuple[str, ...] = ()
