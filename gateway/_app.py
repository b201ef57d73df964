"""The ASGI application: GraphQL at /graphql, probes at /healthz and /readyz, GraphiQL's bundles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import httpx
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gateway._discovery import Discovery, parse_ports
from gateway._graphiql import ASSETS_PATH, LocalGraphiQL
from gateway._loaders import SnapshotFetcher
from gateway._metrics import Metrics
from gateway._middleware import BodySizeLimit, RequestId, TrustedHosts
from gateway._resilience import Resilience
from gateway._settings import Settings
from gateway._tracing import Tracing
from gateway._upstream import UpstreamClient, UpstreamParts
from gateway._view import GraphQLView

__all__ = ["create_app"]


class State(TypedDict):
    upstream: UpstreamClient
    snapshots: SnapshotFetcher


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    upstream: UpstreamClient = request.state.upstream
    ready = await upstream.health()
    body = {"status": "ready" if ready else "unavailable", "breaker": upstream.breaker_state}
    return JSONResponse(body, status_code=200 if ready else 503)


def _middleware(settings: Settings) -> list[Middleware]:
    stack = [
        Middleware(TrustedHosts, hosts=settings.allowed_hosts),
        Middleware(RequestId),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
    if settings.cors_origins:
        stack.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["content-type", "authorization", "x-request-id"],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
        )
    return stack


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    tracer_provider: Any | None = None,
) -> Starlette:
    """Build the gateway.

    `transport` replaces the network (a simulator, in tests and the demo);
    `tracer_provider` (an OpenTelemetry TracerProvider) turns tracing on with it.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        discovery = None
        base_url = settings.upstream
        if base_url == "auto" and transport is None:
            discovery = Discovery(parse_ports(settings.discovery_ports))
            base_url = await discovery.find()
        timeout = httpx.Timeout(
            settings.upstream_timeout,
            connect=min(settings.upstream_connect_timeout, settings.upstream_timeout),
            pool=settings.upstream_queue_timeout,
        )
        # Pieces OS is local: no proxy from the environment (the transport takes
        # none unless given one).
        network = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=settings.upstream_max_connections,
                max_keepalive_connections=settings.upstream_max_connections,
            ),
        )
        async with httpx.AsyncClient(
            base_url=base_url if base_url != "auto" else "http://pieces-os.invalid",
            transport=network,
            timeout=timeout,
            trust_env=False,
        ) as client:
            resilience = await Resilience.create(
                threshold=settings.breaker_threshold,
                cooldown=settings.breaker_cooldown,
                retries=settings.upstream_retries,
                deadline=settings.upstream_timeout,
            )
            upstream = UpstreamClient(
                UpstreamParts(
                    client,
                    network,
                    timeout,
                    resilience,
                    metrics,
                    tracing,
                    max_response_bytes=settings.upstream_max_response_bytes,
                    discovery=discovery,
                )
            )
            snapshots = SnapshotFetcher(
                metrics,
                batch_size=settings.upstream_batch_size,
                concurrency=settings.upstream_concurrency,
            )
            try:
                yield {"upstream": upstream, "snapshots": snapshots}
            finally:
                if tracer_provider is None:  # ours to close; a caller's is theirs
                    tracing.shutdown()

    metrics = Metrics()
    tracing = (
        Tracing(tracer_provider)
        if tracer_provider is not None
        else Tracing.from_settings(settings.tracing, settings.tracing_endpoint)
    )

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    graphiql = LocalGraphiQL.find() if settings.serves_graphiql else None
    routes: list[BaseRoute] = [
        Route("/graphql", GraphQLView(settings, metrics, tracing, graphiql=graphiql)),
        Route("/healthz", _healthz),
        Route("/readyz", _readyz),
        Route("/metrics", metrics_endpoint),
    ]
    if graphiql is not None:
        routes.append(Mount(ASSETS_PATH, graphiql.assets(), name="graphiql"))
    return Starlette(
        routes=routes,
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
