"""Translation that is safe anywhere: in a request the user's language, elsewhere the msgid.

Domain errors are raised in requests, but also in CLI commands and jobs, where there is no
request to choose a language from (Flask-Babel's locale selector reads the request). There the
message stays the English msgid, which is what an operator's terminal and the logs want.
Parameters use Flask-Babel's `%(name)s` form.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext as babel_gettext
from flask_babel.speaklater import LazyString


def gettext(msgid: str, **params: Any) -> str:
    """The message in the request's language, or the msgid outside a request."""
    if has_request_context():
        return babel_gettext(msgid, **params)
    return msgid % params if params else msgid


def lazy_gettext(msgid: str, **params: Any) -> LazyString:
    """A message translated when it is written out (in the error handler, a template)."""
    return LazyString(gettext, msgid, **params)


_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "gettext", "lazy_gettext"]
