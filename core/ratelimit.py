"""Per-user rate limits: one decorator for every route a person (not an address) may overuse.

Dispatchers share one address behind the police proxy, so the limit counts per user. The scope
names the bucket: every route declared with the same scope draws from one bucket per user (the
search and the look-ups while a call is typed share "lookup", so a sweep cannot spread itself
over several routes). The limit itself comes from the configuration when the request arrives
(tests and deployments tune it without a restart of the code that declared it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_login import current_user

from core.extensions import limiter


def per_user(scope: str, setting: str, default: str, **options: Any) -> Callable[[Any], Any]:
    """Limit a route to the configured `setting` (e.g. "60 per minute") per user, in one bucket
    shared by every route with this `scope`; `options` go to Flask-Limiter (e.g. `exempt_when`)."""

    def key() -> str:
        return f"{scope}:{current_user.get_id()}"

    return limiter.shared_limit(
        lambda: current_app.config.get(setting, default), scope, key_func=key, **options
    )
