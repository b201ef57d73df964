"""The change feed: every write moves `updated`, and `identifiers` finds what changed.

A fake clock stamps the writes; seeded events were last updated months before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from gateway.simulator._routes import RELATIONS
from tests.gateway.simulator.clocked import Clock, ids

# Mid-millisecond, as the wall clock usually is: the write is stamped .123Z.
WRITTEN = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(WRITTEN)


@pytest.fixture
def simulator(clock: Clock) -> Starlette:
    return create_simulator(events=12, seed=7, clock=clock)


def _target(simulator: Starlette) -> str:
    target: str = list(simulator.state.store.events)[-1]
    return target


# Each write takes the client and an event's id, and returns the id it changed.
Write = Callable[[httpx.AsyncClient, str], Awaitable[str]]


async def _update(client: httpx.AsyncClient, event_id: str) -> str:
    event = (await client.get(f"/workstream_event/{event_id}")).json()
    response = await client.post("/workstream_event/update", json={**event, "readable": "New."})
    assert response.status_code == 200
    return event_id


async def _increment(client: httpx.AsyncClient, event_id: str) -> str:
    body = {"workstream_event": {"reuse": True}}
    response = await client.post(f"/workstream_event/{event_id}/scores/increment", json=body)
    assert response.status_code == 204
    return event_id


async def _create(client: httpx.AsyncClient, event_id: str) -> str:
    seeded = (await client.get(f"/workstream_event/{event_id}")).json()
    body = {"application": seeded["application"], "trigger": {"copy": True}}
    response = await client.post("/workstream_events/create", json=body)
    assert response.status_code == 200
    created: str = response.json()["id"]
    return created


def _relation(action: str, segment: str) -> Write:
    async def write(client: httpx.AsyncClient, event_id: str) -> str:
        response = await client.post(f"/workstream_event/{event_id}/{segment}/{action}/other-1")
        assert response.status_code == 204
        return event_id

    return write


WRITES: dict[str, Write] = {
    "update": _update,
    "increment": _increment,
    "create": _create,
    **{
        f"{action} {segment}": _relation(action, segment)
        for segment in RELATIONS
        for action in ("associate", "disassociate")
    },
}


@pytest.mark.parametrize("name", WRITES)
async def test_a_write_shows_in_updated_from(
    client: httpx.AsyncClient, simulator: Starlette, clock: Clock, name: str
) -> None:
    target = _target(simulator)
    if name.startswith("disassociate"):
        # Something to take away, associated a minute before the write.
        clock.now = WRITTEN - timedelta(minutes=1)
        await _relation("associate", name.split()[1])(client, target)
        clock.now = WRITTEN
    untouched = set(simulator.state.store.events) - {target}
    just_before = (WRITTEN - timedelta(microseconds=400)).isoformat()  # same millisecond

    changed = await WRITES[name](client, target)

    event = simulator.state.store.events[changed]
    assert event["updated"]["value"] == "2026-12-01T12:00:00.123Z"
    assert await ids(client, updated_from=just_before) == [changed]
    assert not untouched & set(await ids(client, updated_from=just_before))
    before = (WRITTEN - timedelta(milliseconds=1)).isoformat()
    assert changed not in await ids(client, updated_to=before)


async def test_a_deleted_event_leaves_the_feed(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    target = _target(simulator)
    await _increment(client, target)
    assert await ids(client, updated_from=WRITTEN.isoformat()) == [target]

    response = await client.post(f"/workstream_events/{target}/delete")

    assert response.status_code == 204
    assert await ids(client, updated_from=WRITTEN.isoformat()) == []
    assert target not in await ids(client)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("scores/increment", {"workstream_event": {"reuse": False}}),
        ("tags/disassociate/never-associated", None),
    ],
)
async def test_a_write_that_changes_nothing_leaves_updated(
    client: httpx.AsyncClient, simulator: Starlette, path: str, body: Any
) -> None:
    target = _target(simulator)
    before = dict(simulator.state.store.events[target]["updated"])

    response = await client.post(f"/workstream_event/{target}/{path}", json=body)

    assert response.status_code == 204
    assert simulator.state.store.events[target]["updated"] == before
    assert await ids(client, updated_from=WRITTEN.isoformat()) == []


async def test_associating_again_leaves_updated(
    client: httpx.AsyncClient, simulator: Starlette, clock: Clock
) -> None:
    target = _target(simulator)
    await _relation("associate", "tags")(client, target)
    clock.now = WRITTEN + timedelta(seconds=1)

    await _relation("associate", "tags")(client, target)

    assert await ids(client, updated_from=clock.now.isoformat()) == []


async def test_a_restamp_keeps_the_rest_of_the_timestamp(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    target = _target(simulator)
    schema = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
    simulator.state.store.events[target]["updated"] = {
        "value": "2026-01-01T00:00:00.000Z",
        "readable": "January",
        "schema": schema,
    }

    await _increment(client, target)

    stamp = simulator.state.store.events[target]["updated"]
    assert stamp == {"value": "2026-12-01T12:00:00.123Z", "readable": "January", "schema": schema}


@pytest.mark.parametrize(
    ("params", "found"),
    [
        # Bounds are inclusive, compared to the millisecond Pieces OS writes.
        ({"updated_from": "2026-12-01T12:00:00.123Z"}, True),
        ({"updated_from": "2026-12-01T12:00:00.123999Z"}, True),
        ({"updated_from": "2026-12-01T12:00:00.124Z"}, False),
        ({"updated_to": "2026-12-01T12:00:00.123Z"}, True),
        ({"updated_to": "2026-12-01T12:00:00.122999Z"}, False),
        # The same instants in other offsets, and naive ones (taken as UTC, as the SDK's are).
        ({"updated_from": "2026-12-01T13:00:00.123+01:00"}, True),
        ({"updated_from": "2026-12-01T12:00:00.123456+0000"}, True),
        ({"updated_from": "2026-12-01T13:00:00.124+01:00"}, False),
        ({"updated_from": "2026-12-01T12:00:00.123"}, True),
        ({"updated_from": "2026-12-01T12:00:00.124"}, False),
        # An update does not move `created`.
        ({"created_from": "2026-12-01T12:00:00.123Z"}, False),
        (
            {"updated_from": "2026-12-01T12:00:00.123Z", "updated_to": "2026-12-01T12:00:00.123Z"},
            True,
        ),
    ],
)
async def test_updated_bounds(
    client: httpx.AsyncClient, simulator: Starlette, params: dict[str, str], found: bool
) -> None:
    target = _target(simulator)
    await _increment(client, target)

    assert (target in await ids(client, **params)) is found


async def test_created_bounds_find_a_created_event(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    created = await _create(client, _target(simulator))

    assert await ids(client, created_from="2026-12-01T12:00:00.123456Z") == [created]
    assert (await ids(client, created_to="2026-12-01T12:00:00.123Z"))[:1] == [created]
    assert created not in await ids(client, created_to="2026-12-01T12:00:00.122Z")
