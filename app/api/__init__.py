"""The JSON API shell: blueprint, error shape, request validation and the OpenAPI document."""

from app.api.core import api, endpoint, paginate, problem

__all__ = ["api", "endpoint", "paginate", "problem"]
