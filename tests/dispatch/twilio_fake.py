"""A scriptable stand-in for Twilio's HTTP transport: the real library builds real requests.

Inject it with `app.extensions["nachtwacht.twilio_http_client"] = FakeTwilioHttp()`. Every
request is recorded; responses are Twilio-shaped JSON. Queue responses (or exceptions) for
the next requests with `queue(...)`; unqueued message creates succeed with a fresh SID and
unqueued message lists return `listed`.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
MESSAGING_SERVICE_SID = "MG" + "1" * 32
FROM_NUMBER = "+3220000000"


@dataclass(frozen=True)
class Recorded:
    """One request the library made."""

    method: str
    url: str
    params: dict[str, Any]
    data: dict[str, Any]


class FakeTwilioHttp(HttpClient):
    """Record requests and answer them from a script; never touches the network."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("tests.twilio_fake"), is_async=False)
        self.requests: list[Recorded] = []
        self.listed: list[dict[str, Any]] = []  # what GET .../Messages.json returns
        self._script: deque[tuple[str | None, Response | BaseException]] = deque()
        self._lock = threading.Lock()
        self._sids = itertools.count(1)

    def queue(self, *answers: Response | BaseException, method: str | None = "POST") -> None:
        """Answer the next requests (of `method`, default POST) with these, in order."""
        with self._lock:
            self._script.extend((method, answer) for answer in answers)

    def request(  # type: ignore[override]
        self, method: str, uri: str, params=None, data=None, headers=None, auth=None, **kw
    ) -> Response:
        """Record the request, then answer from the script or the defaults."""
        with self._lock:
            self.requests.append(
                Recorded(method.upper(), uri, dict(params or {}), dict(data or {}))
            )
            answer = self._next(method.upper()) or self._default(method.upper(), data or {})
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def _next(self, method: str) -> Response | BaseException | None:
        for item in list(self._script):
            if item[0] in (None, method):
                self._script.remove(item)
                return item[1]
        return None

    def _default(self, method: str, data: dict[str, Any]) -> Response:
        if method == "GET":
            return message_list(self.listed)
        sid = f"SM{next(self._sids):032x}"
        status = "accepted" if "MessagingServiceSid" in data else "queued"
        return created(sid, data.get("To", ""), data.get("Body", ""), status)

    @property
    def posts(self) -> list[Recorded]:
        """The message creates (what would have sent an SMS)."""
        return [r for r in self.requests if r.method == "POST"]

    @property
    def lists(self) -> list[Recorded]:
        """The message list queries."""
        return [r for r in self.requests if r.method == "GET"]


def message_json(sid: str, to: str, body: str, status: str = "queued") -> dict[str, Any]:
    """A Message resource as Twilio's API returns it."""
    now = email.utils.formatdate(usegmt=True)
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": now,
        "date_sent": None if status in ("queued", "accepted") else now,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM_NUMBER,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
        },
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def created(sid: str, to: str = "", body: str = "", status: str = "queued") -> Response:
    """HTTP 201 for a message create."""
    return Response(201, json.dumps(message_json(sid, to, body, status)))


def message_list(messages: list[dict[str, Any]]) -> Response:
    """HTTP 200 with one page of messages."""
    uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?PageSize=50&Page=0"
    page = {
        "messages": messages,
        "end": max(len(messages) - 1, 0),
        "first_page_uri": uri,
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
        "uri": uri,
    }
    return Response(200, json.dumps(page))


def error(status: int, code: int, message: str) -> Response:
    """A Twilio error response (legacy JSON shape: code, message, more_info, status)."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, json.dumps(body))


def timeout() -> requests.exceptions.ReadTimeout:
    """What TwilioHttpClient raises when Twilio does not answer in time."""
    return requests.exceptions.ReadTimeout("HTTPSConnectionPool(host='api.twilio.com'): timed out")


def refused() -> requests.exceptions.ConnectionError:
    """What TwilioHttpClient raises when the connection fails."""
    return requests.exceptions.ConnectionError("Failed to establish a new connection")
