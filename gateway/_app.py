"""The ASGI application: GraphQL at /graphql, probes at /healthz and /readyz, GraphiQL's bundles.

`create_app` wires the request path once, from the settings: the view
(`gateway._view`) hands each operation to `Operations` (`gateway._operations`),
whose resolvers load through `SnapshotFetcher` (`gateway._loaders`) and call
`UpstreamClient` (`gateway._client`), which sends through `Resilience`
(`gateway._resilience`) and `Transport` (`gateway._transport`) over the lean
pool (`gateway._pool`), or over the transport a test hands in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import httpx
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from gateway._client import UpstreamClient
from gateway._discovery import Discovery, parse_ports
from gateway._feed import ChangeFeed, Feeds
from gateway._graphiql import ASSETS_PATH, LocalGraphiQL
from gateway._live import LiveEndpoint
from gateway._loaders import SnapshotFetcher
from gateway._metrics import Metrics
from gateway._middleware import BodySizeLimit, Cors, RequestId, TrustedHosts
from gateway._operations import Operations
from gateway._persisted import PersistedQueries
from gateway._pool import LeanPool
from gateway._refusals import Refusal
from gateway._related import RecordFetcher
from gateway._resilience import Breaker, Resilience
from gateway._settings import Settings
from gateway._tracing import Tracing
from gateway._transport import Endpoint, Transport
from gateway._view import GraphQLView
from schema import Documents, build_schema

__all__ = ["create_app"]

_UNDISCOVERED = "http://pieces-os.invalid"


class State(TypedDict):
    upstream: UpstreamClient


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
                Cors,
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
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """Build the gateway.

    `transport` replaces the network (a simulator, in tests and the demo);
    `tracer_provider` (an OpenTelemetry TracerProvider) turns tracing on with it;
    `clock` (monotonic seconds) times what waits for minutes or seconds: the
    breaker's cool-down, the next ask for a missing batch endpoint, and
    rediscovery; and the operations' durations, logged and measured (tests hand
    in a fake one).
    """
    metrics = Metrics()
    tracing = (
        Tracing(tracer_provider)
        if tracer_provider is not None
        else Tracing.from_settings(settings.tracing, settings.tracing_endpoint)
    )
    discovery = None
    if settings.upstream == "auto" and transport is None:
        discovery = Discovery(parse_ports(settings.discovery_ports), clock=clock)
    endpoint = Endpoint(_UNDISCOVERED if settings.upstream == "auto" else settings.upstream)
    timeout = httpx.Timeout(
        settings.upstream_timeout,
        connect=min(settings.upstream_connect_timeout, settings.upstream_timeout),
        pool=settings.upstream_queue_timeout,
    )
    # Pieces OS is local: no proxy from the environment (neither network takes one).
    network = transport or LeanPool(
        max_connections=settings.upstream_max_connections,
        connect_timeout=min(settings.upstream_connect_timeout, settings.upstream_timeout),
        pool_timeout=settings.upstream_queue_timeout,
        max_response_bytes=settings.upstream_max_response_bytes,
    )
    wire = Transport(
        network,
        endpoint,
        timeout=timeout,
        max_response_bytes=settings.upstream_max_response_bytes,
        metrics=metrics,
        tracing=tracing,
        discovery=discovery,
    )
    breaker = Breaker(
        threshold=settings.breaker_threshold, cooldown=settings.breaker_cooldown, clock=clock
    )
    resilience = Resilience(
        wire, breaker, retries=settings.upstream_retries, deadline=settings.upstream_timeout
    )
    upstream = UpstreamClient(resilience)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        if discovery is not None:
            endpoint.move(await discovery.find())
        try:
            yield {"upstream": upstream}
        finally:
            if transport is None:  # ours to close; a caller's is theirs
                await network.aclose()
            if tracer_provider is None:
                tracing.shutdown()

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    options = settings.schema_options
    schema = build_schema()._schema
    # One bound on single reads by id, snapshots and related records alike.
    singles = asyncio.Semaphore(settings.upstream_concurrency)
    snapshots = SnapshotFetcher(
        metrics, batch_size=settings.upstream_batch_size, singles=singles, clock=clock
    )
    records = RecordFetcher(
        batch_size=settings.upstream_batch_size,
        singles=singles,
        max_records=settings.max_records,
        clock=clock,
    )

    def feed(transferables: bool | None) -> ChangeFeed:
        return ChangeFeed(
            upstream,
            snapshots,
            metrics,
            transferables=transferables,
            interval=settings.live_interval,
            deletion_scan=settings.live_deletion_scan,
            max_pending=settings.live_max_pending,
            clock=clock,
        )

    feeds = Feeds(feed, metrics, max_subscriptions=settings.max_subscriptions)
    operations = Operations(
        schema=schema,
        documents=Documents(schema, options),
        persisted=PersistedQueries(
            enabled=settings.persisted_queries, max_chars=settings.persisted_queries_max_bytes
        ),
        upstream=upstream,
        snapshots=snapshots,
        records=records,
        metrics=metrics,
        tracing=tracing,
        timeout=settings.operation_timeout,
        max_page_size=settings.max_page_size,
        max_ids=settings.max_ids,
        hide_suggestions=not options.suggestions,
        after_write=feeds.poke,
        changes=feeds,
        clock=clock,
    )
    live = LiveEndpoint(
        operations,
        allowed_origins=settings.cors_origins,
        init_timeout=settings.connection_init_timeout,
        max_per_connection=settings.max_subscriptions_per_connection,
        max_connections=settings.max_websockets,
        keep_alive=settings.keep_alive,
    )
    graphiql = LocalGraphiQL.find() if settings.serves_graphiql else None
    view = GraphQLView(
        operations,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        heartbeat=settings.keep_alive,
        forward_headers=settings.forward_headers,
        max_batch_operations=options.max_batch_operations,
        graphiql=graphiql,
        serves_graphiql=settings.serves_graphiql,
    )
    routes: list[BaseRoute] = [
        Route("/graphql", view, methods=None),
        WebSocketRoute("/graphql", live),
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
        exception_handlers={HTTPException: _refused_route},
    )


async def _refused_route(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, a method a route does not take), coded."""
    assert isinstance(exc, HTTPException)
    return Refusal(exc.status_code, exc.detail, headers=exc.headers).response()
