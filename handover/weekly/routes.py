"""The weekly triage-table list's pages (the blueprint `bp`, registered by the app).

The pages live in `handover.weekly.pages`; the list has no JSON API of its own.
"""

from __future__ import annotations

from handover.weekly.pages import bp

__all__ = ["bp"]
