"""The simulator's HTTP behaviour, in-process through httpx's ASGI transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from gateway.simulator._routes import RELATIONS

STAMP = "2026-03-01T10:00:00.000Z"


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=12, seed=7)


def _events(simulator: Starlette) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = simulator.state.store.events
    return events


def _event_id(simulator: Starlette) -> str:
    # The last seeded events are the ordinary ones, small and readable.
    return list(_events(simulator))[-1]


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/health")
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/workstream_event/update", b"{not json"),
        ("/workstream_event/update", b"\xff\xfe"),
        ("/workstream_event/update", b"[]"),
        ("/workstream_event/update", b'{"id": "x"}'),
        ("/workstream_events/create", b'{"application": {}, "trigger": {}}'),
        ("/workstream_events/batch/fetch", b'{"workstreamEvents": {"iterable": [{"id": 1}]}}'),
        ("/workstream_event/{id}/scores/increment", b'{"workstream_event": {"reuse": "yes"}}'),
    ],
)
async def test_broken_body_is_a_short_500(
    client: httpx.AsyncClient, simulator: Starlette, path: str, body: bytes
) -> None:
    response = await client.post(path.format(id=_event_id(simulator)), content=body)

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text
    assert 0 < len(response.text) < 1000


async def test_update_of_unknown_event_is_500(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    event = {**_events(simulator)[_event_id(simulator)], "id": "no-such-event"}
    response = await client.post("/workstream_event/update", json=event)
    assert (response.status_code, response.text) == (500, "WorkstreamEvent not found.")


@pytest.mark.parametrize(("segment", "key"), RELATIONS.items())
async def test_every_relation(
    client: httpx.AsyncClient, simulator: Starlette, segment: str, key: str
) -> None:
    event_id = _event_id(simulator)
    base = f"/workstream_event/{event_id}/{segment}"

    for _ in range(2):
        response = await client.post(f"{base}/associate/other-1")
        assert (response.status_code, response.content) == (204, b"")
    ids = [item["id"] for item in _events(simulator)[event_id][key]["iterable"]]
    assert ids.count("other-1") == 1

    for _ in range(2):
        response = await client.post(f"{base}/disassociate/other-1")
        assert response.status_code == 204
    ids = [item["id"] for item in _events(simulator)[event_id][key]["iterable"]]
    assert "other-1" not in ids
    response = await client.post(f"/workstream_event/no-such-event/{segment}/associate/x")
    assert response.status_code == 500


async def test_relations_keep_indices_consistent(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    event_id = _event_id(simulator)
    _events(simulator)[event_id]["tags"] = {
        "iterable": [{"id": "a"}, {"id": "b"}],
        "indices": {"a": 0, "b": 1},
    }

    await client.post(f"/workstream_event/{event_id}/tags/associate/c")
    await client.post(f"/workstream_event/{event_id}/tags/disassociate/a")

    tags = _events(simulator)[event_id]["tags"]
    assert tags == {"iterable": [{"id": "b"}, {"id": "c"}], "indices": {"b": 0, "c": 1}}


async def test_increment_creates_a_missing_score(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    event_id = _event_id(simulator)
    del _events(simulator)[event_id]["score"]
    body = {"workstream_event": {"priority": True, "reuse": False}, "tags": {"reuse": True}}

    response = await client.post(f"/workstream_event/{event_id}/scores/increment", json=body)

    assert response.status_code == 204
    assert _events(simulator)[event_id]["score"] == {"manual": 0, "automatic": 0, "priority": 1}
    response = await client.post("/workstream_event/nope/scores/increment", json=body)
    assert response.status_code == 500


async def test_identifiers_order_limit_and_filters(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    events = _events(simulator)
    a, b, c = list(events)[:3]
    for event_id in events:
        events[event_id]["created"] = {"value": "2026-01-01T00:00:00.000Z"}
        events[event_id]["updated"] = {"value": "2026-01-01T00:00:00.000Z"}
    events[a]["created"] = {"value": "2026-02-01T00:00:00.000Z"}
    events[b]["updated"] = {"value": "2026-02-01T00:00:00+00:00"}
    events[c]["created"] = {"value": "2026-02-01T01:00:00.000+01:00"}

    async def ids(**params: str) -> list[str]:
        response = await client.get("/workstream_events/identifiers", params=params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["iterable"]]

    everything = await ids()
    assert everything[:2] == sorted([a, c])
    assert everything[2:] == sorted(set(events) - {a, c})
    assert await ids(limit="1") == everything[:1]
    assert await ids(limit="0") == []
    assert await ids(created_from="2026-02-01T00:00:00Z") == everything[:2]
    assert await ids(created_from="2026-02-01T00:00:00.001Z") == []
    # Created and updated ranges together match either, as Pieces OS documents.
    both = await ids(created_from="2026-02-01T00:00:00Z", updated_from="2026-01-15T00:00:00")
    assert sorted(both) == sorted([a, b, c])


@pytest.mark.parametrize(
    "query", ["limit=x", "limit=-1", "created_from=yesterday", "updated_to=2026-13-01"]
)
async def test_identifiers_bad_params(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/workstream_events/identifiers?{query}")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")


async def test_old_pieces_os_has_no_batch_endpoint() -> None:
    simulator = create_simulator(events=2, batch_endpoint=False)
    transport = httpx.ASGITransport(simulator)
    async with httpx.AsyncClient(transport=transport, base_url="http://pieces-os") as client:
        body: dict[str, Any] = {"workstreamEvents": {"iterable": []}}
        response = await client.post("/workstream_events/batch/fetch", json=body)
    assert response.status_code in (404, 405)


async def test_create_copies_seeded_fields(client: httpx.AsyncClient, simulator: Starlette) -> None:
    seeded = _events(simulator)[_event_id(simulator)]
    body = {
        "application": seeded["application"],
        "trigger": {"paste": True},
        "tags": {"iterable": [{"id": "t"}]},
        "summary": {"id": "s"},
        "internal_identifier": "not on a WorkstreamEvent",
    }

    response = await client.post("/workstream_events/create?transferables=true", json=body)

    created = response.json()
    assert response.status_code == 200
    assert created["id"] not in (seeded["id"], None) and created["id"] in _events(simulator)
    assert created["summaries"] == {"iterable": [{"id": "s"}]}
    assert created["tags"] == body["tags"] and created["trigger"] == body["trigger"]
    assert "internal_identifier" not in created
    assert created["created"] == created["updated"]
