"""POST /api/v1/aml: a caller's handset location (Advanced Mobile Location) from telephony."""

from __future__ import annotations
