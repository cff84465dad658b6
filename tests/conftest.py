"""Shared fixtures: the app on SQLite and (with TEST_DATABASE_URL) PostgreSQL, clients, factories.

Tests that need a service skip with a reason when it is absent, and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from accounts import service as accounts
from accounts.models import Role, User
from app import create_app
from config import TestingConfig
from core import clock as core_clock
from core.audit import GENESIS_HASH, AuditHead
from core.db import Base, db
from core.extensions import limiter

PASSWORD = "correct-horse-battery"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, reason: str) -> None:
    """Skip when a service is missing; under CI=true its absence is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL for a backend, or skip/fail when PostgreSQL is not configured."""
    if backend == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL", "")
        require_service(bool(url), "PostgreSQL tests need TEST_DATABASE_URL")
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_app(url: str, **overrides: object) -> Flask:
    """A testing app on the given database."""
    config = TestingConfig()
    config.DATABASE_URL = config.SQLALCHEMY_DATABASE_URI = url
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


def wipe(app: Flask) -> None:
    """Delete every row (children first) and restore the audit chain head."""
    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.add(AuditHead(id=1, last_hash=GENESIS_HASH, appended=0))
        db.session.commit()


# TEST_BACKENDS=sqlite runs the SQLite part of the suite alone (the faketime run in .ci/run):
# the PostgreSQL variants and the tests marked postgres or redis are deselected, not skipped.
BACKENDS = [b.strip() for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",")]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect what needs PostgreSQL or Redis when TEST_BACKENDS leaves PostgreSQL out."""
    if "postgresql" in BACKENDS:
        return
    keep, drop = [], []
    for item in items:
        needs_service = item.get_closest_marker("postgres") or item.get_closest_marker("redis")
        (drop if needs_service else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def backend_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """One app per database backend for the whole session, tables created from the models.

    On PostgreSQL each run gets its own schema, so concurrent runs never wipe each other.
    """
    url = database_url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        from tools.servers import postgres_schema

        with postgres_schema(url) as schema_url:
            app = _created(make_app(schema_url))
            yield app
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        return
    yield _created(make_app(url))


def _created(app: Flask) -> Flask:
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(backend_app: Flask) -> Iterator[Flask]:
    """The app with an empty database, wiped again after the test."""
    wipe(backend_app)
    limiter.reset()
    saved = dict(backend_app.config)  # a test's config changes end with it
    yield backend_app
    backend_app.config.clear()
    backend_app.config.update(saved)
    with backend_app.app_context():
        db.session.remove()
    wipe(backend_app)


# A night far from any real date: a test that forgets to set the clock shows at once.
FROZEN_AT = dt.datetime(2031, 2, 12, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock(app: Flask) -> Iterator[core_clock.FrozenClock]:
    """Freeze the app's clock (at FROZEN_AT); a test sets or advances it and builds its dates
    from it, so it passes on any day and at any hour."""
    frozen = core_clock.FrozenClock(FROZEN_AT)
    previous = core_clock.install(app, frozen)
    yield frozen
    core_clock.install(app, previous)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def backend(app: Flask) -> str:
    """'sqlite' or 'postgresql'."""
    with app.app_context():
        return db.engine.dialect.name


@contextlib.contextmanager
def ctx(app: Flask) -> Iterator[None]:
    """An app context whose session is committed on success."""
    with app.app_context():
        yield
        db.session.commit()


def make_org(app: Flask, slug: str = "politie-antwerpen", kind: str = "police") -> int:
    """Create an organisation, return its id."""
    with ctx(app):
        org = accounts.organisation_by_slug(slug) or accounts.create_organisation(
            slug, slug.replace("-", " ").title(), kind, kind != "police"
        )
        return org.id


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(
    app: Flask, username: str, role: Role | str, org: str | None = None, totp: bool | None = None
) -> int:
    """Create a user with PASSWORD, return the id; supervisors and admins get TOTP_SECRET."""
    role = Role(role)
    if org is None:
        org = "caw-antwerpen" if role == Role.SOCIAL_WORKER else "politie-antwerpen"
    make_org(app, org, "caw" if org.startswith("caw") else "police")
    with ctx(app):
        user = accounts.create_user(username, PASSWORD, role, accounts.organisation_by_slug(org))
        if totp if totp is not None else role in (Role.SUPERVISOR, Role.ADMIN):
            user.totp_secret, user.totp_enabled = TOTP_SECRET, True
        return user.id


def make_token(app: Flask, username: str, scopes: list[str] | None = None) -> str:
    """Issue a token for an existing user, return the raw value."""
    with ctx(app):
        user = accounts.user_by_name(username)
        assert isinstance(user, User)
        _, raw = accounts.create_token(user, f"{username}-test", scopes)
        return raw


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read its CSRF token."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def phone_code(app: Flask, username: str) -> str:
    """The code the user's authenticator shows now (the app's clock). A code works once, so a
    test that logs the same person in twice within 30 s gets the next step's code."""
    with app.app_context():
        user = accounts.user_by_name(username)
        totp = pyotp.TOTP(user.totp_secret or TOTP_SECRET)
        step = totp.timecode(core_clock.now())
        if user.totp_last_step is not None and user.totp_last_step >= step - 1:
            user.totp_last_step = step - 2  # as if the phone's last code were older
            db.session.commit()
        return totp.generate_otp(step)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    """Log in through the real form (with its CSRF token), and the TOTP step when asked."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    if response.status_code == 302 and "/login/2fa" in response.headers["Location"]:
        code = phone_code(client.application, username)
        token = csrf_token(client, "/login/2fa")
        response = client.post("/login/2fa", data={"code": code, "csrf_token": token})
    return response


def bearer(raw: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def socket_client() -> Iterator:
    """Connect Socket.IO test clients to an app; every one is closed after the test.

    `socket_client(app, "an")` logs in as `an` (a console), `socket_client(app, token=raw)`
    sends a bearer token, `socket_client(app)` connects anonymously, and `flask_client=` reuses
    a logged-in test client (its session is the socket's).
    """
    from core.extensions import socketio
    from core.realtime import NAMESPACE

    opened: list[tuple[object, str]] = []

    def connect(
        target: Flask,
        username: str | None = None,
        *,
        token: str | None = None,
        flask_client: FlaskClient | None = None,
        namespace: str = NAMESPACE,
    ):
        kwargs: dict = {}
        if username is not None:
            flask_client = target.test_client()
            login(flask_client, username)
        if flask_client is not None:
            kwargs["flask_test_client"] = flask_client
        if token is not None:
            kwargs["auth"] = {"token": token}
        sock = socketio.test_client(target, namespace=namespace, **kwargs)
        opened.append((sock, namespace))
        return sock

    yield connect
    for sock, namespace in opened:
        with contextlib.suppress(Exception):
            if sock.is_connected(namespace):
                sock.disconnect(namespace=namespace)
