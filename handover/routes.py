"""Handover notes, morning packets and their pages (filled in by the handover issue)."""

from flask import Blueprint

bp = Blueprint("handover", __name__)
