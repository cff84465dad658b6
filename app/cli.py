"""`flask db` (Flask-Migrate) without Alembic in a serving process.

Alembic, with the Mako and Pygments it imports, is about 8 MB of a server's memory (RSS, as
bench/bench_memory.py reads it) and only a migration uses it: the `flask db` commands, and code
that migrates in-process with `flask_migrate.upgrade()` (tests, benchmarks). So `create_app`
binds a `db` command and a stand-in for Flask-Migrate's `app.extensions["migrate"]`; either
binds Flask-Migrate when it is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def register_migrations(app: Flask) -> None:
    """Offer `flask db` and `flask_migrate`'s functions without importing Alembic yet."""
    app.extensions["migrate"] = PendingMigrations(app)
    app.cli.add_command(MigrationCommands("db", help="Perform database migrations."))


def bind_migrations(app: Flask) -> Any:
    """Bind Flask-Migrate to the app (once) and return its `app.extensions["migrate"]`."""
    if isinstance(app.extensions.get("migrate"), PendingMigrations):
        from flask_migrate import Migrate

        from core.db import db

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    return app.extensions["migrate"]


class PendingMigrations:
    """`app.extensions["migrate"]` until something reads it: then Flask-Migrate's own."""

    __slots__ = ("_app",)

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probing: not a migration
            raise AttributeError(name)
        return getattr(bind_migrations(self._app), name)


class MigrationCommands(click.Group):
    """`flask db`: Flask-Migrate's command group, imported when the command line names it."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse (and so run) the arguments as Flask-Migrate's `db` group."""
        from flask_migrate.cli import db as migrate_commands

        return migrate_commands.make_context(info_name, args, parent=parent, **extra)
