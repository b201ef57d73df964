"""`--upstream auto`: find Pieces OS on the discovery ports, and again when it moves."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from gateway import Settings, create_app
from gateway._discovery import Discovery, parse_ports
from tests.serving import free_port, serve

READ = "query($id: ID!) { workstreamEvent(id: $id) { id } }"


def test_port_specs() -> None:
    assert parse_ports("39300-39302,1000") == (39300, 39301, 39302, 1000)
    assert parse_ports("5, 5,6") == (5, 6)
    for bad in ("", "0", "70000", "9-3", "x"):
        with pytest.raises(ValueError):
            parse_ports(bad)


async def test_the_first_port_that_answers_wins(simulator: Starlette) -> None:
    silent, first, second = free_port(), free_port(), free_port()
    with serve(simulator, first), serve(simulator, second):
        found = await Discovery((silent, first, second)).find()
    assert found == f"http://127.0.0.1:{first}"


async def test_with_no_answer_the_last_port_is_used() -> None:
    ports = (free_port(), free_port())
    assert await Discovery(ports).find() == f"http://127.0.0.1:{ports[1]}"


async def test_the_gateway_follows_pieces_os_to_another_port(
    simulator: Starlette, events: dict[str, Any]
) -> None:
    event_id = next(iter(events))
    old, new = free_port(), free_port()
    settings = Settings(upstream="auto", discovery_ports=f"{new},{old}")
    request = {"query": READ, "variables": {"id": event_id}}
    with ExitStack() as old_server:
        old_server.enter_context(serve(simulator, old))
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
                answer = (await http.post("/graphql", json=request)).json()
                assert answer == {"data": {"workstreamEvent": {"id": event_id}}}
                old_server.close()  # Pieces OS stops, and comes back on another port
                with serve(simulator, new):
                    assert await _until_answered(http, request) == answer


async def _until_answered(http: httpx.AsyncClient, request: dict[str, Any]) -> dict[str, Any]:
    """Ask until an answer has no errors (the first ones fail: the old port is gone)."""
    answer: dict[str, Any] = {}
    for _ in range(50):
        answer = dict((await http.post("/graphql", json=request)).json())
        if "errors" not in answer:
            break
        assert answer["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        await asyncio.sleep(0.1)
    return answer
