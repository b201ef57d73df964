"""The simulator's activity: rounds of what Pieces OS does while its user works.

Rounds are driven by hand with `step()` under a fake clock; the lifespan's
timer only with a tiny interval, polled with a deadline.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pieces_os_client.models.workstream_event import WorkstreamEvent
from starlette.applications import Starlette

from gateway.simulator import Activity, create_simulator
from gateway.simulator._validate import problems
from tests.gateway.simulator.clocked import Clock, ids

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KINDS = {"create", "readable", "score", "summary", "delete"}


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def simulator(clock: Clock) -> Starlette:
    return create_simulator(events=12, seed=7, clock=clock)


def _activity(simulator: Starlette) -> Activity:
    activity: Activity = simulator.state.activity
    return activity


def _activity_task() -> asyncio.Task[object] | None:
    named = [task for task in asyncio.all_tasks() if task.get_name() == "simulator activity"]
    return named[0] if named else None


async def test_every_round_shows_in_updated_from(
    client: httpx.AsyncClient, simulator: Starlette, clock: Clock
) -> None:
    events = simulator.state.store.events
    kinds: set[str] = set()
    for _ in range(40):
        clock.now += timedelta(seconds=1)
        oldest = min(events.values(), key=lambda event: event["created"]["value"])["id"]
        before = set(events)

        change = _activity(simulator).step()

        kinds.add(change.kind)
        changed = await ids(client, updated_from=clock.now.isoformat())
        if change.kind == "delete":
            assert change.event_id == oldest
            assert changed == [] and set(events) == before - {oldest}
            assert change.event_id not in await ids(client)
        else:
            assert changed == [change.event_id]
            stamp = clock.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            assert events[change.event_id]["updated"]["value"] == stamp
            assert (change.event_id in before) is (change.kind != "create")
    assert kinds == KINDS


@pytest.mark.parametrize("event_kb", [None, 20], ids=["ordinary", "rich"])
def test_events_stay_sdk_valid(clock: Clock, event_kb: int | None) -> None:
    simulator = create_simulator(events=12, seed=2, event_kb=event_kb, clock=clock)
    created = []
    for _ in range(30):
        change = _activity(simulator).step()
        if change.kind == "create":
            created.append(change.event_id)

    events = simulator.state.store.events
    assert created and all(event_id in events for event_id in created)
    for event in events.values():
        assert problems("WorkstreamEvent", event) == []
        assert WorkstreamEvent.from_dict(event) is not None
    for event_id in created:
        assert events[event_id]["created"] == {"value": "2026-12-01T12:00:00.000Z"}
        assert events[event_id]["readable"].endswith(".")
    if event_kb is not None:
        assert events[created[0]]["context"]["native_ocr"]["ocrText"]


def test_same_seed_same_rounds(clock: Clock) -> None:
    def rounds(seed: int) -> tuple[list[object], dict[str, object]]:
        simulator = create_simulator(events=12, seed=seed, clock=clock)
        changes: list[object] = [_activity(simulator).step() for _ in range(25)]
        return changes, simulator.state.store.events

    assert rounds(4) == rounds(4)
    assert rounds(4)[0] != rounds(5)[0]


def test_created_ids_are_not_the_seeded_ones(clock: Clock) -> None:
    simulator = create_simulator(events=0, seed=7, clock=clock)
    seeded = set(create_simulator(events=50, seed=7).state.store.events)

    changes = [_activity(simulator).step() for _ in range(50)]

    assert not seeded & {change.event_id for change in changes}


def test_with_no_events_a_round_creates_one(clock: Clock) -> None:
    simulator = create_simulator(events=0, clock=clock)
    for _ in range(10):
        change = _activity(simulator).step()
        assert change.kind == "create" or simulator.state.store.events
    assert simulator.state.store.events


async def test_the_lifespan_runs_the_rounds_and_stops_them() -> None:
    simulator = create_simulator(events=3, seed=1, activity=0.001)
    start = datetime.now(UTC).isoformat()
    async with LifespanManager(simulator) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pieces-os") as client:
            deadline = asyncio.get_running_loop().time() + 10
            while not await ids(client, updated_from=start):
                assert asyncio.get_running_loop().time() < deadline, "no round in 10 s"
                await asyncio.sleep(0.001)
        assert _activity_task() is not None
    assert _activity_task() is None


async def test_no_rounds_without_activity() -> None:
    async with LifespanManager(create_simulator(events=3)):
        assert _activity_task() is None


async def test_a_failing_round_fails_the_shutdown() -> None:
    def broken() -> datetime:
        raise RuntimeError("the clock broke")

    simulator = create_simulator(events=0, clock=broken, activity=0.001)
    with pytest.raises(RuntimeError, match="the clock broke"):
        async with LifespanManager(simulator):
            task = _activity_task()
            assert task is not None
            await asyncio.wait([task], timeout=10)
            assert task.done()


@pytest.mark.parametrize("interval", [0, -1, math.nan])
def test_activity_is_a_positive_interval(interval: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        create_simulator(events=0, activity=interval)
