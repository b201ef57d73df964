"""`--upstream auto`: find Pieces OS on the discovery ports, and again when it moves."""

from __future__ import annotations

import asyncio
import logging
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from gateway import Settings, create_app
from gateway._discovery import Discovery, parse_ports
from gateway._transport import Endpoint
from tests.clock import FakeClock
from tests.recording import Recorder
from tests.serving import Held, free_port, serve

READ = "query($id: ID!) { workstreamEvent(id: $id) { id } }"


def test_port_specs() -> None:
    assert parse_ports("39300-39302,1000") == (39300, 39301, 39302, 1000)
    assert parse_ports("5, 5,6") == (5, 6)
    for bad in ("", "0", "70000", "9-3", "x"):
        with pytest.raises(ValueError):
            parse_ports(bad)


async def test_the_first_port_that_answers_wins(
    simulator: Starlette, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent, first, second = free_port(), free_port(), free_port()
    # Pieces OS is on this machine: a proxy the environment names is not asked.
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{silent}")
    with serve(simulator, first), serve(simulator, second), caplog.at_level(logging.INFO):
        found = await Discovery((silent, first, second)).find()
    assert found == f"http://127.0.0.1:{first}"
    assert f"found Pieces OS on port {first}" in caplog.messages


async def test_with_no_answer_the_last_port_is_used(caplog: pytest.LogCaptureFixture) -> None:
    ports = (free_port(), free_port(), free_port())
    assert await Discovery(ports).find() == f"http://127.0.0.1:{ports[2]}"
    (said,) = caplog.messages
    assert said.endswith(f"; using port {ports[2]} until one does")


class _Said(logging.Handler):
    """An event for the first log line that starts with `prefix`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix):
            self.event.set()


async def test_the_gateway_follows_pieces_os_to_another_port(
    simulator: Starlette, events: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.discovery")
    moved = _Said("Pieces OS moved")
    logging.getLogger("pieces_gateway.discovery").addHandler(moved)
    event_id = next(iter(events))
    old, new = free_port(), free_port()
    settings = Settings(upstream="auto", discovery_ports=f"{new},{old}")
    request = {"query": READ, "variables": {"id": event_id}}
    try:
        with ExitStack() as old_server:
            old_server.enter_context(serve(simulator, old))
            app = create_app(settings)
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(manager.app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://localhost"
                ) as http:
                    answer = (await http.post("/graphql", json=request)).json()
                    assert answer == {"data": {"workstreamEvent": {"id": event_id}}}
                    old_server.close()  # Pieces OS stops, and comes back on another port
                    with serve(simulator, new):
                        # This read finds the old port gone (its answer may come from
                        # either port), and sets rediscovery off.
                        await http.post("/graphql", json=request)
                        async with asyncio.timeout(10):
                            await moved.event.wait()
                        assert (await http.post("/graphql", json=request)).json() == answer
    finally:
        logging.getLogger("pieces_gateway.discovery").removeHandler(moved)
    assert f"Pieces OS moved: now using http://127.0.0.1:{new}" in caplog.messages


def _port(url: str) -> int:
    return int(url.rpartition(":")[2])


async def test_rediscovery_looks_at_most_once_a_second(simulator: Starlette) -> None:
    clock = FakeClock()
    probes = Recorder(simulator)
    gone = "http://127.0.0.1:9"
    with serve(probes) as url:
        discovery = Discovery((_port(url),), clock=clock)
        endpoint = Endpoint(gone)
        await discovery.rediscover_soon(endpoint)
        assert (endpoint.url, len(probes.requests)) == (url, 1)
        endpoint.move(gone)  # it stops answering again
        clock.advance(0.75)
        await discovery.rediscover_soon(endpoint)
        assert (endpoint.url, len(probes.requests)) == (gone, 1)  # too soon: no look
        clock.advance(0.25)
        await discovery.rediscover_soon(endpoint)
        assert (endpoint.url, len(probes.requests)) == (url, 2)


async def test_one_look_at_a_time(simulator: Starlette) -> None:
    clock = FakeClock()
    held = Held(simulator)
    with serve(held) as url:
        discovery = Discovery((_port(url),), clock=clock)
        endpoint = Endpoint("http://127.0.0.1:9")
        first = discovery.rediscover_soon(endpoint)
        assert await asyncio.to_thread(held.arrived.wait, 10)
        clock.advance(5)  # long past the interval, but the first look is still out
        second = discovery.rediscover_soon(endpoint)
        held.release.set()
        await asyncio.gather(first, second)
    assert (endpoint.url, held.requests) == (url, 1)
