"""(Being built for issue 19.) The protective-order register's API and page."""

from flask import Blueprint

bp = Blueprint("orders", __name__)
