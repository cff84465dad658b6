"""Extension singletons, bound to the app in create_app with init_app."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from core.db import db

socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
# With Redis down, rate limits are counted in memory instead of failing every login with a 500.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True)
babel = Babel()


def select_locale() -> str:
    """Dutch by default; `?lang=en` or the session's choice switches to English."""
    from flask import has_request_context, session

    if not has_request_context():
        return "nl"  # a job or CLI command: the default language
    lang = request.args.get("lang")
    if lang in ("nl", "en"):
        session["lang"] = lang
    return session.get("lang", "nl")


__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "socketio"]
