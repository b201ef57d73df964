"""The ASGI application: GraphQL at /graphql, probes at /healthz and /readyz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway._loaders import snapshot_loader
from gateway._settings import Settings
from gateway._upstream import UpstreamClient
from schema import Context, build_schema

__all__ = ["create_app"]


class State(TypedDict):
    upstream: UpstreamClient


class _GraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        upstream: UpstreamClient = request.state.upstream
        return Context(upstream=upstream, snapshots=snapshot_loader(upstream))


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    upstream: UpstreamClient = request.state.upstream
    if await upstream.health():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "upstream unavailable"}, status_code=503)


def create_app(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the gateway. `transport` replaces the network, e.g. with a simulator in tests."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with httpx.AsyncClient(
            base_url=str(settings.upstream),
            transport=transport,
            timeout=httpx.Timeout(settings.upstream_timeout, connect=min(5.0, settings.upstream_timeout)),
            limits=httpx.Limits(
                max_connections=settings.upstream_max_connections,
                max_keepalive_connections=settings.upstream_max_connections,
            ),
            # Pieces OS is local: a proxy from the environment must not get in the way.
            trust_env=False,
        ) as client:
            yield {"upstream": UpstreamClient(client, timeout=settings.upstream_timeout)}

    graphql = _GraphQL(build_schema(), graphql_ide="graphiql" if settings.graphiql else None)
    return Starlette(
        routes=[
            Route("/graphql", graphql),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
        ],
        lifespan=lifespan,
    )
