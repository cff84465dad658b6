"""The CAP export (and import) API at the edge: routes translate HTTP to dispatch.cap."""

from __future__ import annotations
