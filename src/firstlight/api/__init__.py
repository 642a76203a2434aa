"""The HTTP API: FastAPI under ``/v1``, OpenAPI at ``/docs``, health, readiness and metrics."""

from firstlight.api.app import ROUTERS, create_app

__all__ = ["ROUTERS", "create_app"]
