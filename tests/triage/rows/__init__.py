"""Route-matrix rows for triage's person, search, trajectory, order and referral routes and the
standards' routes (AML, EIDO, CAP), one module per feature (merged into tests/app/test_access)."""

from tests.triage.rows import (
    aml,
    cap,
    eido,
    orders,
    persons,
    referrals,
    search,
    statistics,
    trajectory,
)

FEATURES = (persons, search, trajectory, orders, referrals, aml, eido, cap, statistics)
ROWS = [row for feature in FEATURES for row in feature.ROWS]
PAGES = tuple(page for feature in FEATURES for page in feature.PAGES)
