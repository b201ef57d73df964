"""A typed GraphQL gateway in front of the Pieces OS REST API."""

from __future__ import annotations

from gateway._app import create_app
from gateway._client import UpstreamClient
from gateway._settings import Settings

__all__ = ["Settings", "UpstreamClient", "create_app"]
