"""Route-matrix rows for triage's person, search, trajectory, order and referral routes, one
module per feature (merged into tests/app/test_access.py)."""

from tests.triage.rows import orders, persons, referrals, search, trajectory

ROWS = [*persons.ROWS, *search.ROWS, *trajectory.ROWS, *orders.ROWS, *referrals.ROWS]
PAGES = (*persons.PAGES, *search.PAGES, *trajectory.PAGES, *orders.PAGES, *referrals.PAGES)
