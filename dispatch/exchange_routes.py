"""The emergency services' standards at the edge: NENA EIDO export and import, OASIS CAP 1.2."""

from __future__ import annotations
