"""Route-matrix rows for the handover routes (merged into tests/app/test_access.py).

JSON bodies are empty, so callers the policy lets through get 422 (validation) or 404 (no such
object); the matrix's social worker belongs to caw-antwerpen.
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def _only(allowed: dict[str, int], anonymous: int = 401) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


WRITE = {"dispatcher": 422, "officer": 422, "supervisor": 422}
READ_404 = {"dispatcher": 404, "officer": 404, "supervisor": 404}

ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("POST", "/api/v1/incidents/999999/handover-notes", _only(WRITE)),
    ("GET", "/api/v1/incidents/999999/handover-notes", _only(READ_404)),
    ("GET", "/api/v1/handover-notes/999999", _only(READ_404)),
    ("POST", "/api/v1/handover-notes/999999/versions", _only(WRITE)),
    ("GET", "/api/v1/partner-notes", _only({"social_worker": 200})),
    ("GET", "/api/v1/partner-notes/999999", _only({"social_worker": 404})),
    ("GET", "/api/v1/handover-packets", _only({"social_worker": 200, "supervisor": 200})),
    ("GET", "/api/v1/handover-packets/999999", _only({"social_worker": 404})),
    ("POST", "/api/v1/handover-packets/999999/acknowledge", _only({"social_worker": 404})),
    ("GET", "/handover", _only({"social_worker": 200}, anonymous=302)),
    ("GET", "/handover/packets/999999", _only({"social_worker": 404}, anonymous=302)),
    ("GET", "/handover/packets/999999/print", _only({"social_worker": 404}, anonymous=302)),
    ("GET", "/incidents/999999/note", _only(READ_404, anonymous=302)),
    # A form post without a session has no CSRF token: refused before the policy (400).
    ("POST", "/incidents/999999/note", _only(READ_404, anonymous=400)),
]
PAGES: tuple[str, ...] = (
    "/handover",
    "/handover/packets/999999",
    "/handover/packets/999999/print",
    "/incidents/999999/note",
)
