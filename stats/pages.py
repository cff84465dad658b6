"""The statistics pages for supervisors: charts, CSV export and a print view."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("statistics", __name__)
