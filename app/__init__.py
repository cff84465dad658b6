"""The application shell: `create_app` binds extensions and registers the domain packages."""

from __future__ import annotations

import logging

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import BaseConfig, get_config
from core import clock
from core.api import DepthLimitedJSON
from core.policies import PUBLIC, protect

MAX_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    """`<int:...>` in URLs: a non-negative id that fits an INTEGER column (else 404, not 500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: BaseConfig | None = None) -> Flask:
    """Build the Flask app for the given (or environment-selected) configuration."""
    config = config or get_config()
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = DatabaseId  # ids beyond the database's range are 404s
    app.config.from_object(config)
    app.config["CONFIG"] = config
    app.json = DepthLimitedJSON(app)  # deeply nested bodies are a 400, not a RecursionError
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from app import models  # noqa: F401 - the whole domain's tables

    clock.init_app(app)
    init_crypto(app)
    init_extensions(app)
    init_proxy(app)
    register_blueprints(app)
    register_cli(app)
    register_jobs(app)
    link_domains(app)
    return app


def init_crypto(app: Flask) -> None:
    """Install the field-encryption and blind-index keys."""
    from core import crypto

    crypto.configure(app.config["FIELD_ENCRYPTION_KEYS"], app.config["BLIND_INDEX_KEY"])


def init_proxy(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto/-Host from the TRUSTED_PROXIES proxies in front (nginx)."""
    trusted = app.config.get("TRUSTED_PROXIES") or 0
    if trusted > 0:
        # Outermost, so Socket.IO, the rate limiter and the audit all see the client's address.
        # Every proxy appends to X-Forwarded-For; nginx (the last one) sets scheme and host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=1, x_host=1)


def init_extensions(app: Flask) -> None:
    """Bind the extension singletons."""
    from flask_babel import get_locale

    from accounts import login as accounts_login
    from app.labels import init_labels
    from core import realtime
    from core.db import db
    from core.errors import register_error_handlers
    from core.extensions import (
        babel,
        csrf,
        limiter,
        login_manager,
        select_locale,
    )
    from core.policies import init_security

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    init_labels(app)
    realtime.init_app(app)
    init_security(app)
    accounts_login.init_app(app)
    register_error_handlers(app)


def register_blueprints(app: Flask) -> None:
    """Register the shell's and the domain packages' routes and socket handlers."""
    from accounts import routes as auth_routes
    from app import health, sockets
    from core.api import api, openapi  # noqa: F401 - openapi registers /openapi.json
    from core.audit import routes as audit_routes  # noqa: F401 - API views
    from dispatch import (  # noqa: F401 - API views
        board,
        cap_routes,
        eido_routes,
        escalation,
        officer,
        pages,
        sms,
        webhooks,
    )
    from dispatch import routes as dispatch_routes  # noqa: F401 - registers API views
    from handover import routes as handover_routes
    from handover.weekly import routes as weekly_routes
    from stats import pages as stats_pages
    from stats import routes as stats_routes  # noqa: F401 - registers API views
    from triage import (  # noqa: F401 - registers API views
        aml_routes,
        duplicates,
        lifecycle,
        order_routes,
        person_routes,
        referrals,
        search,
        trajectory,
    )
    from triage import routes as triage_routes
    from triage.location import init_geocoder
    from triage.safety import check_sms_flags
    from triage.screening import init_instruments

    app.register_blueprint(health.bp)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(officer.bp)
    app.register_blueprint(officer.api)
    app.register_blueprint(triage_routes.bp)
    app.register_blueprint(order_routes.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(handover_routes.bp)
    app.register_blueprint(weekly_routes.bp)
    app.register_blueprint(stats_pages.bp)
    init_geocoder(app)
    init_instruments(app)
    check_sms_flags(app.config["SMS_SAFETY_FLAGS"])  # a typo would keep a danger out of every SMS
    app.register_blueprint(api)
    sockets.register_handlers(app)


@protect(PUBLIC)
def favicon():
    """The app's icon for browsers that ask for /favicon.ico (pages link /static/favicon.svg)."""
    return current_app.send_static_file("favicon.svg")


def link_domains(app: Flask) -> None:
    """Let a lower domain ask a higher one: triage's assignment questions, answered by dispatch."""
    from dispatch import queries

    queries.register(app)


def register_jobs(app: Flask) -> None:
    """The scheduler's jobs, all in one list: nothing registers itself by being imported."""
    from app import retention
    from core import jobs
    from core.audit.cli import write_anchor
    from dispatch import escalation, sms
    from handover import jobs as handover_jobs
    from handover.weekly import jobs as weekly_jobs
    from stats import jobs as stats_jobs

    jobs.register(app, "escalation-scan", 15, escalation.scan)
    jobs.register(app, "sms.deliver_due", 5, sms.deliver_due)
    jobs.register(app, "sms.reconcile_sending", 60, sms.reconcile_sending)
    jobs.register(app, "handover", 60, handover_jobs.tick)
    jobs.register(app, "triage-list", 60, weekly_jobs.tick)
    jobs.register(app, "statistics", 3600, stats_jobs.keep_settled)
    jobs.register(app, "retention", 3600, retention.daily_job)
    jobs.register(app, "audit-anchor", 300, lambda app: write_anchor(app.config))


def register_cli(app: Flask) -> None:
    """Attach the CLI command groups."""
    from accounts import cli as auth_cli
    from app.cli import register_migrations
    from app.retention import retention_cli
    from core.audit.cli import audit_cli
    from core.jobs import scheduler_cli
    from core.keys import keys_cli
    from handover.cli import handover_cli
    from stats.jobs import stats_cli
    from tools import demo

    register_migrations(app)  # `flask db`
    auth_cli.register_cli(app)
    demo.register_cli(app)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(handover_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(retention_cli)
