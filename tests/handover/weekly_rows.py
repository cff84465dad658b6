"""Route-matrix rows for the weekly triage-table list's pages (merged into
tests/app/test_access.py). Form posts without a session have no CSRF token: 400 before the
policy; 999999 names no list, so the roles the policy lets in get 404."""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")


def _only(allowed: dict[str, int], anonymous: int = 302) -> dict[str, int]:
    """Every role 403 except the ones given."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, 403), **allowed}


READERS_404 = {"social_worker": 404, "supervisor": 404}
ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/triage-lists", _only({"social_worker": 200, "supervisor": 200})),
    ("GET", "/triage-lists/999999", _only(READERS_404)),
    ("GET", "/triage-lists/999999/print", _only(READERS_404)),
    ("POST", "/triage-lists/999999/acknowledge", _only({"social_worker": 404}, anonymous=400)),
    ("POST", "/triage-lists/999999/entries", _only({"supervisor": 404}, anonymous=400)),
    (
        "POST",
        "/triage-lists/999999/entries/999999/remove",
        _only({"supervisor": 404}, anonymous=400),
    ),
    ("POST", "/triage-lists/999999/send", _only({"supervisor": 404}, anonymous=400)),
]
PAGES: tuple[str, ...] = tuple(path for _, path, _ in ROWS)
