"""Route-matrix rows for the aml routes (merged into tests/app/test_access.py)."""

ROWS: list[tuple[str, str, dict[str, int]]] = []
PAGES: tuple[str, ...] = ()
