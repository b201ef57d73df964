"""The endpoints of the records events point at, in-process through httpx's ASGI transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from gateway.simulator._store import Store
from gateway.simulator._validate import problems
from schema import RELATIONS, Relation

BATCH = "/workstream_summaries/batch"


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=12, seed=7)


def _store(simulator: Starlette) -> Store:
    store: Store = simulator.state.store
    return store


def _referenced(store: Store, key: str) -> str:
    """An id of a `key` record some event references."""
    return next(
        item["id"]
        for event in store.events.values()
        for item in (event.get(key) or {}).get("iterable", [])
    )


@pytest.mark.parametrize("relation", RELATIONS, ids=lambda relation: relation.key)
async def test_every_record_endpoint_answers_the_full_record_or_410(
    client: httpx.AsyncClient, simulator: Starlette, relation: Relation
) -> None:
    store = _store(simulator)
    record_id = _referenced(store, relation.key)

    response = await client.get(relation.record_path + record_id)
    unknown = await client.get(relation.record_path + "no-such-record")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == store.record(relation.key, record_id)
    assert problems(relation.model, response.json()) == []
    assert (unknown.status_code, unknown.text) == (410, f"{relation.model} not found.")
    assert unknown.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("relation", "query"),
    [
        (RELATIONS[0], "transferables=false&association_metadata=true"),
        (RELATIONS[5], "transferables=true"),
    ],
    ids=["summary", "tag"],
)
async def test_the_sdk_query_parameters_are_taken(
    client: httpx.AsyncClient, simulator: Starlette, relation: Relation, query: str
) -> None:
    record_id = _referenced(_store(simulator), relation.key)
    response = await client.get(f"{relation.record_path}{record_id}?{query}")
    assert response.status_code == 200
    assert response.json()["id"] == record_id


async def test_a_record_id_is_one_decoded_segment(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    _store(simulator).records.ensure("tags", "odd/tag id")

    response = await client.get("/tag/odd%2Ftag%20id")

    assert (response.status_code, response.json()["id"]) == (200, "odd/tag id")
    assert (await client.get("/tag/odd/tag%20id")).status_code == 404


async def test_a_removed_record_answers_410(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    store = _store(simulator)
    website = _referenced(store, "websites")
    assert (await client.get(f"/website/{website}")).status_code == 200

    store.remove_record("websites", website)

    response = await client.get(f"/website/{website}")
    assert (response.status_code, response.text) == (410, "Website not found.")


async def test_summaries_batch_answers_those_found_and_those_not(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    store = _store(simulator)
    known = list(store.records.ids("summaries"))[:2]
    wanted = [known[1], "missing-1", known[0], "missing-2"]
    body = {"workstreamSummaries": {"iterable": [{"id": each} for each in wanted]}}

    response = await client.post(f"{BATCH}?transferables=false", json=body)

    answer = response.json()
    assert response.status_code == 200
    assert problems("WorkstreamSummariesBatchOutput", answer) == []
    assert answer["workstreamSummaries"]["iterable"] == [
        store.record("summaries", known[1]),
        store.record("summaries", known[0]),
    ]
    assert answer["notFound"] == ["missing-1", "missing-2"]
    empty = await client.post(BATCH, json={})
    assert empty.json() == {"workstreamSummaries": {"iterable": []}, "notFound": []}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"workstreamSummaries": {"iterable": [{"id": 1}]}}',
        b'{"workstreamSummaries": {"iterable": [{}]}}',
        b'{"workstreamSummaries": []}',
    ],
)
async def test_a_broken_summaries_batch_is_a_short_500(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(BATCH, content=body)

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text
    assert 0 < len(response.text) < 1000


async def test_an_old_pieces_os_has_no_summaries_batch_but_its_records() -> None:
    simulator = create_simulator(events=12, batch_endpoint=False)
    transport = httpx.ASGITransport(simulator)
    async with httpx.AsyncClient(transport=transport, base_url="http://pieces-os") as client:
        body: dict[str, Any] = {"workstreamSummaries": {"iterable": []}}
        response = await client.post(BATCH, json=body)
        summary = _referenced(_store(simulator), "summaries")
        single = await client.get(f"/workstream_summary/{summary}")
    assert response.status_code in (404, 405)
    assert single.status_code == 200


async def test_the_no_batch_fault_takes_the_summaries_batch_too(
    client: httpx.AsyncClient, simulator: Starlette
) -> None:
    body: dict[str, Any] = {"workstreamSummaries": {"iterable": []}}
    simulator.state.faults.no_batch = True
    assert (await client.post(BATCH, json=body)).status_code == 404
    simulator.state.faults.no_batch = False
    assert (await client.post(BATCH, json=body)).status_code == 200
