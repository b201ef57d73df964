"""A simulator reached through httpx's ASGITransport runs its lifespan within the app's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.types import Message

from gateway import Settings, create_app
from gateway.simulator import SimulatorLifespan, create_simulator


def _activity_running() -> bool:
    return any(task.get_name() == "simulator activity" for task in asyncio.all_tasks())


async def test_the_simulator_runs_while_the_app_does() -> None:
    seen: list[tuple[str, bool]] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        seen.append(("app starts", _activity_running()))
        yield
        seen.append(("app stopped", _activity_running()))

    app = SimulatorLifespan(Starlette(lifespan=lifespan), create_simulator(events=1, activity=3600))
    messages: asyncio.Queue[Message] = asyncio.Queue()
    for kind in ("lifespan.startup", "lifespan.shutdown"):
        messages.put_nowait({"type": kind})

    async def send(message: Message) -> None:
        seen.append((message["type"], _activity_running()))

    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    await app(scope, messages.get, send)

    assert seen == [
        ("app starts", True),
        ("lifespan.startup.complete", True),
        ("app stopped", True),
        # The server hears of the end only once nothing of the simulator runs.
        ("lifespan.shutdown.complete", False),
    ]


async def test_the_gateway_sees_the_simulator_at_work() -> None:
    simulator = create_simulator(events=3, seed=1, activity=0.001)
    gateway = create_app(
        Settings(upstream="http://pieces-os.invalid:39300"),
        transport=httpx.ASGITransport(simulator),
    )
    query = (
        "query($from: DateTime) { workstreamEventsConnection(updatedFrom: $from) { totalCount } }"
    )
    variables = {"from": datetime.now(UTC).isoformat()}
    async with LifespanManager(SimulatorLifespan(gateway, simulator)) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                assert response.status_code == 200, response.text
                if response.json()["data"]["workstreamEventsConnection"]["totalCount"]:
                    break
                assert asyncio.get_running_loop().time() < deadline, "no change seen in 10 s"
                await asyncio.sleep(0.001)
    assert not _activity_running()
