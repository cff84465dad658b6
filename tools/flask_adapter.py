"""`requests` over a Flask test client: HTTP clients (the night simulator) without a server."""

from __future__ import annotations

import io

import requests
from flask import Flask


class FlaskAdapter(requests.adapters.BaseAdapter):
    """Send `requests` calls to a Flask test client (no server process needed)."""

    def __init__(self, app: Flask):
        super().__init__()
        self.client = app.test_client()

    def send(self, request, **kwargs):
        """Answer one request through the test client."""
        answer = self.client.open(
            request.path_url,
            method=request.method,
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code, response.url = answer.status_code, request.url
        response.headers.update(answer.headers)
        response.raw, response.request = io.BytesIO(answer.get_data()), request
        return response

    def close(self):
        """Nothing to close."""
