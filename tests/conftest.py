from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway import Settings, create_app
from gateway.simulator import create_simulator
from tests.recording import Recorder

UPSTREAM = "http://pieces-os.invalid:39300"


class GraphQLClient:
    """Posts operations to the gateway under test."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=20, seed=7)


@pytest.fixture
def upstream(simulator: Starlette) -> Recorder:
    return Recorder(simulator)


@asynccontextmanager
async def running_gateway(
    upstream: ASGIApp | httpx.AsyncBaseTransport | None,
    /,
    *,
    clock: Callable[[], float] = time.monotonic,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The real gateway app, in-process, in front of `upstream`.

    `upstream` is an ASGI app (reached through httpx's transport seam), a
    transport, or None for the network (then say where: `upstream="http://..."`);
    `clock` is the gateway's (a `tests.clock.FakeClock` to move time by hand).
    """
    transport = upstream
    if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
        transport = httpx.ASGITransport(transport)
    app = create_app(
        Settings(**{"upstream": UPSTREAM, **settings}), transport=transport, clock=clock
    )
    async with LifespanManager(app) as manager:
        to_gateway = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=to_gateway, base_url="http://localhost") as client:
            yield client


@pytest.fixture
async def http(upstream: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(upstream) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
def events(simulator: Starlette) -> dict[str, dict[str, Any]]:
    """The simulator's stored events, by id."""
    stored: dict[str, dict[str, Any]] = simulator.state.store.events
    return stored
