"""Route-matrix rows for persons across incidents (method, path, {role or "anonymous": status});
see tests/handover/access_rows."""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


BOARD_404 = {"dispatcher": 404, "supervisor": 404}

ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/incidents/999999/person-candidates", only(BOARD_404)),
    # An empty body is refused before the person is looked up.
    ("POST", "/api/v1/persons/999999/links", only({"dispatcher": 422, "supervisor": 422})),
    # The guard answers before the body is read: a hidden person is a 404 whatever is sent.
    ("DELETE", "/api/v1/persons/999999/link", only(BOARD_404)),
    ("GET", "/api/v1/persons/999999/history", only(BOARD_404)),
]
PAGES: tuple[str, ...] = ()
