"""The EIDO export (and import) API at the edge: routes translate HTTP to dispatch.eido."""

from __future__ import annotations
