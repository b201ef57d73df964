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

from gateway._loaders import SnapshotFetcher
from gateway._settings import Settings
from gateway._upstream import UpstreamClient
from schema import Context, build_schema

__all__ = ["create_app"]


class State(TypedDict):
    upstream: UpstreamClient
    snapshots: SnapshotFetcher


class _GraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(build_schema(), graphql_ide="graphiql" if settings.graphiql else None)
        self._max_page_size = settings.max_page_size

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        snapshots: SnapshotFetcher = request.state.snapshots
        return Context(
            upstream=request.state.upstream,
            snapshots=snapshots.loader(),
            max_page_size=self._max_page_size,
        )


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    upstream: UpstreamClient = request.state.upstream
    if await upstream.health():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "upstream unavailable"}, status_code=503)


def create_app(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """Build the gateway. `transport` replaces the network, e.g. with a simulator in tests."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with httpx.AsyncClient(
            base_url=str(settings.upstream),
            transport=transport,
            timeout=httpx.Timeout(
                settings.upstream_timeout, connect=min(5.0, settings.upstream_timeout)
            ),
            limits=httpx.Limits(
                max_connections=settings.upstream_max_connections,
                max_keepalive_connections=settings.upstream_max_connections,
            ),
            # Pieces OS is local: a proxy from the environment must not get in the way.
            trust_env=False,
        ) as client:
            upstream = UpstreamClient(client, timeout=settings.upstream_timeout)
            snapshots = SnapshotFetcher(
                upstream,
                batch_size=settings.upstream_batch_size,
                concurrency=settings.upstream_concurrency,
            )
            yield {"upstream": upstream, "snapshots": snapshots}

    graphql = _GraphQL(settings)
    return Starlette(
        routes=[
            Route("/graphql", graphql),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
        ],
        lifespan=lifespan,
    )
