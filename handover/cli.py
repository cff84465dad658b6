"""`flask --app wsgi handover ...` commands."""

from flask.cli import AppGroup

handover_cli = AppGroup("handover", help="Morning handover packets.")
