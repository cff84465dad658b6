"""The weekly triage-table list's pages and API."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("weekly", __name__)
