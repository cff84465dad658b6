"""Access policies checked server-side on every route and socket event, roles and CSRF.

Every view declares a `Policy`; a test walks `app.url_map` and fails on any view without one.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, same_origin
from werkzeug.exceptions import Forbidden, Unauthorized

from config import ConfigError, origin_of
from core.db import in_transaction
from core.extensions import csrf, login_manager
from core.i18n import lazy_gettext as _l


class Role(enum.StrEnum):
    """What a user does on the night; every route and socket event checks it."""

    DISPATCHER = "dispatcher"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    SOCIAL_WORKER = "social_worker"
    ADMIN = "admin"


@dataclass(frozen=True)
class Policy:
    """Who may use a route: nobody logged in (`public`), any user, or the listed roles.

    `scopes` names the token scopes that may also call it (a scoped token reaches nothing else);
    `webhook` marks routes that authenticate by signature instead of a user.
    """

    name: str
    roles: frozenset[Role] | None = None
    public: bool = False
    scopes: frozenset[str] = frozenset()
    webhook: bool = False


def allow(*roles: Role, scopes: tuple[str, ...] = ()) -> Policy:
    """Policy for the listed roles (and optionally token scopes)."""
    name = "+".join(sorted(str(r) for r in roles))
    return Policy(name=name, roles=frozenset(roles), scopes=frozenset(scopes))


PUBLIC = Policy(name="public", public=True)
AUTHENTICATED = Policy(name="authenticated")
WEBHOOK = Policy(name="twilio-signature", public=True, webhook=True)
ADMIN = allow(Role.ADMIN)
BOARD = allow(Role.DISPATCHER, Role.SUPERVISOR)


def is_allowed(user: Any, policy: Policy, token: Any | None) -> bool:
    """Whether a logged-in user (maybe via a token) passes the policy's role and scope rules."""
    if token is not None and token.scopes:
        return bool(policy.scopes & set(token.scopes))
    if policy.roles is None:
        return True
    return Role(user.role) in policy.roles


def enforce(policy: Policy) -> None:
    """Abort with 401/403 unless the current request passes the policy."""
    if policy.public:
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_l("Log in or send an API token."))
    if not is_allowed(current_user, policy, g.get("api_token")):
        raise Forbidden(_l("Your role may not do this."))


def protect(policy: Policy) -> Callable:
    """Decorator for page views: enforce the policy, record it for the route matrix, and be the
    edge: the view's work commits once it returns and rolls back if it raises."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not policy.public and not current_user.is_authenticated:
                return login_manager.unauthorized()
            enforce(policy)
            return in_transaction(view, *args, **kwargs)

        wrapper.access_policy = policy  # type: ignore[attr-defined]
        return wrapper

    return decorate


def csrf_check() -> None:
    """Require a CSRF token on state-changing requests made with a session cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    view = request.endpoint and request.url_rule and _view_policy()
    if view is not None and view.webhook:
        return
    authenticated = current_user.is_authenticated  # loads the session user, else the token's
    if g.get("api_token") is not None:
        return  # authenticated by a bearer token, which browsers never send on their own
    if request.path.startswith("/api/") and not authenticated:
        return  # nothing to forge without a session; the policy answers 401
    check_same_origin()
    csrf.protect()


def check_same_origin() -> None:
    """Over https, a Referer or Origin that is sent must name this site.

    Flask-WTF's own https check (WTF_CSRF_SSL_STRICT) refuses a POST without a Referer, and our
    pages send none (`Referrer-Policy: no-referrer`, so browsers also send `Origin: null`). So
    that check is off. This one only refuses a request that names a foreign or downgraded
    origin; an attacker can always send none, so the protection against forged requests is
    the session-bound CSRF token and the SameSite=Lax cookie, as on plain http.
    """
    if not request.is_secure:
        return
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value and value != "null" and not origin_allowed(value):
            raise CSRFError(_l("This request comes from another site."))


def origin_allowed(url: str) -> bool:
    """Whether a page at `url` is this site: one of ALLOWED_ORIGINS (the list Socket.IO's
    handshake checks, see config.allowed_origins) or the address this request came to."""
    from flask import current_app

    try:
        origin = origin_of(url)
    except ConfigError:
        return False
    return origin in current_app.config["ALLOWED_ORIGINS"] or same_origin(url, request.host_url)


def _view_policy() -> Policy | None:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "access_policy", None)


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


def init_security(app: Flask) -> None:
    """Register CSRF, token bookkeeping and security headers."""
    app.before_request(csrf_check)

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if request.path.startswith("/api/") or (
            response.mimetype == "text/html" and current_user.is_authenticated
        ):
            response.headers.setdefault("Cache-Control", "no-store")  # case data stays off disks
        if app.config["CONFIG"].ENV_NAME == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
