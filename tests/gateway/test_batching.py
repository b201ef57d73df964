"""Snapshot reads are deduplicated per operation and batched upstream."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from gateway.simulator import Faults, create_simulator
from tests.clock import FakeClock
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Answering, InFlight, Recorder

MANY = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id readable } }"


@pytest.fixture
def old_upstream() -> Recorder:
    """A Pieces OS without the batch endpoint."""
    return Recorder(create_simulator(events=20, seed=7, batch_endpoint=False))


@pytest.fixture
async def old_gql(old_upstream: Recorder) -> AsyncIterator[GraphQLClient]:
    async with running_gateway(old_upstream) as http:
        yield GraphQLClient(http)


async def test_thirty_reads_of_ten_ids_cost_one_batch_call(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    ten = list(events)[:10]
    ids = [ten[i % 10] for i in range(30)]
    result = await gql(MANY, {"ids": ids})
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    assert upstream.calls() == [("POST", "/workstream_events/batch/fetch")]
    asked = upstream.requests[0].json()["workstreamEvents"]["iterable"]
    assert sorted(item["id"] for item in asked) == sorted(ten)


async def test_reads_across_fields_and_aliases_share_one_batch(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    a, b, c = list(events)[:3]
    query = """query($a: ID!, $b: ID!, $c: ID!) {
      one: workstreamEvent(id: $a) { id }
      two: workstreamEvent(id: $b) { readable }
      many: workstreamEvents(ids: [$a, $b, $c, $a]) { id }
    }"""
    result = await gql(query, {"a": a, "b": b, "c": c})
    assert "errors" not in result
    assert upstream.calls() == [("POST", "/workstream_events/batch/fetch")]


async def test_a_missing_id_is_null_at_its_index_with_not_found(
    gql: GraphQLClient, events: dict[str, Any]
) -> None:
    a, b = list(events)[:2]
    result = await gql(MANY, {"ids": [a, "missing", b, "missing"]})
    data = result["data"]["workstreamEvents"]
    assert [e and e["id"] for e in data] == [a, None, b, None]
    assert sorted((e["path"], e["extensions"]["code"]) for e in result["errors"]) == [
        (["workstreamEvents", 1], "NOT_FOUND"),
        (["workstreamEvents", 3], "NOT_FOUND"),
    ]
    assert {e["message"] for e in result["errors"]} == {"No workstream event has the id 'missing'."}


_BOTH_WAYS = """query($a: ID!, $b: ID!, $c: ID!) {
  light: workstreamEvents(ids: [$a, $b], transferables: false) { id }
  full: workstreamEvent(id: $c, transferables: true) { id }
  again: workstreamEvent(id: $a, transferables: false) { id }
}"""


async def test_reads_with_and_without_transferables_are_batched_apart(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    a, b, c = list(events)[:3]
    result = await gql(_BOTH_WAYS, {"a": a, "b": b, "c": c})
    assert "errors" not in result
    assert result["data"] == {
        "light": [{"id": a}, {"id": b}],
        "full": {"id": c},
        "again": {"id": a},
    }
    # Each group on its own: the two ids without transferables in one batch, the other alone.
    asked = sorted(
        (
            request.query["transferables"],
            sorted(i["id"] for i in request.json()["workstreamEvents"]["iterable"])
            if request.method == "POST"
            else [request.path.rsplit("/", 1)[-1]],
        )
        for request in upstream.requests
    )
    assert asked == [("false", sorted([a, b])), ("true", [c])]


async def test_without_a_batch_endpoint_transferables_reach_each_get(
    old_gql: GraphQLClient, old_upstream: Recorder
) -> None:
    a, b, c = list(old_upstream.app.state.store.events)[:3]
    result = await old_gql(_BOTH_WAYS, {"a": a, "b": b, "c": c})
    assert "errors" not in result
    gets = sorted(
        (request.path.rsplit("/", 1)[-1], request.query["transferables"])
        for request in old_upstream.requests
        if request.method == "GET"
    )
    assert gets == sorted([(a, "false"), (b, "false"), (c, "true")])


async def test_batches_are_cut_into_chunks(upstream: Recorder, events: dict[str, Any]) -> None:
    ids = list(events)[:10]
    async with running_gateway(upstream, upstream_batch_size=4) as http:
        result = await GraphQLClient(http)(MANY, {"ids": ids})
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    sizes = sorted(len(r.json()["workstreamEvents"]["iterable"]) for r in upstream.requests)
    assert sizes == [2, 4, 4]


async def test_without_a_batch_endpoint_each_distinct_id_is_one_get_remembered(
    old_gql: GraphQLClient, old_upstream: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    ten = list(old_upstream.app.state.store.events)[:10]
    ids = [ten[i % 10] for i in range(30)]
    with caplog.at_level(logging.INFO, logger="pieces_gateway.loaders"):
        result = await old_gql(MANY, {"ids": ids})
    assert [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.loaders"] == [
        "Pieces OS has no batch endpoint: fetching each workstream event alone"
    ]
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    methods = [method for method, _ in old_upstream.calls()]
    assert methods == ["POST"] + ["GET"] * 10
    old_upstream.clear()
    await old_gql(MANY, {"ids": ten[:3]})
    assert [method for method, _ in old_upstream.calls()] == ["GET"] * 3


@pytest.mark.parametrize("status", [404, 405])
async def test_a_batch_endpoint_answering_not_found_or_not_allowed_is_missing(
    simulator: Starlette, events: dict[str, Any], status: int
) -> None:
    # A server without the route says 404; one routing the path for other methods, 405.
    upstream = Recorder(Answering(simulator, "/workstream_events/batch/", status, b""))
    ids = list(events)[:3]
    async with running_gateway(upstream) as http:
        result = await GraphQLClient(http)(MANY, {"ids": ids})
    assert "errors" not in result
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    assert [method for method, _ in upstream.calls()] == ["POST", "GET", "GET", "GET"]


async def test_a_missing_batch_endpoint_is_asked_for_again_every_five_minutes(
    simulator: Starlette, upstream: Recorder, events: dict[str, Any]
) -> None:
    faults: Faults = simulator.state.faults
    faults.no_batch = True  # an older Pieces OS
    clock = FakeClock()
    ids = list(events)[:3]
    async with running_gateway(upstream, clock=clock) as http:
        gql = GraphQLClient(http)

        async def one_read() -> list[str]:
            upstream.clear()
            result = await gql(MANY, {"ids": ids})
            assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
            return [method for method, _ in upstream.calls()]

        assert await one_read() == ["POST", "GET", "GET", "GET"]
        clock.advance(299)
        assert await one_read() == ["GET"] * 3
        clock.advance(1)
        assert await one_read() == ["POST", "GET", "GET", "GET"]  # asked again: still none
        clock.advance(299)
        assert await one_read() == ["GET"] * 3
        faults.no_batch = False  # Pieces OS is upgraded while the gateway runs
        clock.advance(1)
        assert await one_read() == ["POST"]
        assert await one_read() == ["POST"]


async def test_a_big_read_sends_four_batch_chunks_at_a_time(
    simulator: Starlette, events: dict[str, Any]
) -> None:
    upstream = InFlight(simulator)
    ids = list(events)[:10]
    async with running_gateway(upstream, upstream_batch_size=1) as http:
        result = await GraphQLClient(http)(MANY, {"ids": ids})
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    assert upstream.methods == ["POST"] * 10
    assert upstream.most == 4


async def test_without_a_batch_endpoint_single_reads_are_bounded() -> None:
    old = create_simulator(events=20, seed=7, batch_endpoint=False)
    upstream = InFlight(old)
    ids = list(old.state.store.events)[:10]
    async with running_gateway(upstream, upstream_concurrency=3) as http:
        result = await GraphQLClient(http)(MANY, {"ids": ids})
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids
    assert upstream.methods == ["POST"] + ["GET"] * 10
    assert upstream.most == 3


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([1, "x", None], "Each operation must be a JSON object."),
        ([[{"query": "{ __typename }"}]], "Each operation must be a JSON object."),
        ([{"query": 5}], "The GraphQL operation's `query` must be a string or null."),
        (
            [{"query": "{ __typename }", "variables": 5}],
            "The GraphQL operation's `variables` must be an object or null.",
        ),
        (
            # The first entry is a read: refused with its batch, it makes no call.
            [
                {"query": '{ workstreamEvent(id: "x") { id } }'},
                {"query": "{ id }", "operationName": 1},
            ],
            "The GraphQL operation's `operationName` must be a string or null.",
        ),
    ],
    ids=[
        "scalars",
        "nested-batch",
        "query-not-a-string",
        "variables-not-an-object",
        "second-entry",
    ],
)
async def test_a_malformed_batch_entry_is_refused_as_a_single_request_would_be(
    upstream: Recorder, batch: list[Any], message: str
) -> None:
    async with running_gateway(upstream, batching=True) as http:
        response = await http.post("/graphql", json=batch)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error == {"message": message, "extensions": {"code": "BAD_REQUEST"}}
    assert upstream.requests == []  # not even the well-formed entries ran


async def test_a_read_with_transferables_alone_passes_its_flag(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    a, b = list(events)[:2]
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids, transferables: true) { id } }"
    result = await gql(query, {"ids": [a, b]})
    assert "errors" not in result
    (request,) = upstream.requests
    assert request.query == {"transferables": "true"}
