"""Route-matrix rows for the AML ingest (merged into tests/app/test_access.py).

Only telephony's token with scope `aml` may post a caller's location: every role, and the
`intake` token (the matrix's default for it), is refused (403). The matrix's empty JSON body is
not an AML message, so the `aml` token gets a field error (422: `v`, the HTTPS form's version).
"""

ROLES = ("dispatcher", "officer", "supervisor", "social_worker", "admin")
AML_TOKEN = "aml_token"  # tests/app/test_access.py's caller with scope `aml`

ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("POST", "/api/v1/aml", {"anonymous": 401, **dict.fromkeys(ROLES, 403), AML_TOKEN: 422}),
]
PAGES: tuple[str, ...] = ()
