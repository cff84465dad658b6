"""Extension singletons, bound to the app in create_app with init_app."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO as FlaskSocketIO
from flask_wtf.csrf import CSRFProtect

from app.db import db


class SocketIO(FlaskSocketIO):
    """Flask-SocketIO whose Redis message queue heals consoles after an outage (app.realtime)."""

    def init_app(self, app, **kwargs):
        """Bind to the app; a redis:// message queue gets the healing manager."""
        url = kwargs.get("message_queue")
        if url and url.startswith(("redis://", "rediss://")) and "client_manager" not in kwargs:
            from app.realtime import HealingRedisManager

            channel = kwargs.pop("channel", "flask-socketio")
            kwargs["client_manager"] = HealingRedisManager(
                url, channel=channel, write_only=app is None
            )
        super().init_app(app, **kwargs)


migrate = Migrate()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
# With Redis down, rate limits are counted in memory instead of failing every login with a 500.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True)
babel = Babel()


def select_locale() -> str:
    """Dutch by default; `?lang=en` or the session's choice switches to English."""
    from flask import session

    lang = request.args.get("lang")
    if lang in ("nl", "en"):
        session["lang"] = lang
    return session.get("lang", "nl")


__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "socketio"]
