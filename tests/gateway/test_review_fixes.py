"""Edge cases found in review: each once answered wrongly (a 500, a wrong code, a lost event)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway._transport import parse_retry_after as _retry_after
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Recorder

PAGE = """query($after: String) {
  workstreamEventsConnection(first: 2, after: $after) {
    pageInfo { endCursor } edges { node { id } }
  }
}"""


@pytest.mark.parametrize("body", [b'"a string"', b"5", b"null", b"true"])
async def test_a_json_body_that_is_not_an_object_is_a_400(
    http: httpx.AsyncClient, body: bytes
) -> None:
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_non_numeric_content_length_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json", "content-length": "12x"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("literal", ['"2020-01-01"', '"2020-01-01T00:00:00+01:00Z"', '"x" '])
async def test_a_bad_datetime_literal_is_the_clients_error(
    http: httpx.AsyncClient, literal: str
) -> None:
    query = f"{{ workstreamEventsConnection(createdFrom: {literal}) {{ totalCount }} }}"
    response = await http.post("/graphql", json={"query": query})
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}


async def test_too_many_ids_are_refused_before_the_upstream(
    gql: GraphQLClient, upstream: Recorder
) -> None:
    ids = [f"id-{i}" for i in range(1001)]
    result = await gql("query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }", {"ids": ids})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert upstream.requests == []


async def test_an_upper_case_persisted_hash_is_found(http: httpx.AsyncClient) -> None:
    query = "{ __typename }"
    digest = hashlib.sha256(query.encode()).hexdigest().upper()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await http.post("/graphql", json={"query": query, "extensions": extensions})
    hit = await http.post("/graphql", json={"extensions": extensions})
    assert hit.json() == {"data": {"__typename": "Query"}}


async def test_paging_on_from_a_deleted_events_cursor_loses_nothing(
    gql: GraphQLClient, events: dict[str, Any]
) -> None:
    first = (await gql(PAGE))["data"]["workstreamEventsConnection"]
    end = first["pageInfo"]["endCursor"]
    listing = [e["node"]["id"] for e in first["edges"]]
    full = [
        e["node"]["id"]
        for e in (await gql(PAGE.replace("first: 2", "first: 100")))["data"][
            "workstreamEventsConnection"
        ]["edges"]
    ]
    del events[listing[-1]]  # the cursor's own event goes away
    second = (await gql(PAGE, {"after": end}))["data"]["workstreamEventsConnection"]
    assert [e["node"]["id"] for e in second["edges"]] == full[2:4]


def test_a_retry_after_date_in_minus_zero_zone_is_read() -> None:
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 -0000") == 0.0


def _answering(document: Any) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return JSONResponse(document)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


async def test_a_batch_answer_with_odd_not_found_entries_is_a_bad_response() -> None:
    upstream = _answering({"workstreamEvents": {"iterable": []}, "notFound": [{"id": "x"}]})
    async with running_gateway(upstream) as http:
        result = await GraphQLClient(http)(
            "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }", {"ids": ["a", "b"]}
        )
    assert {e["extensions"]["code"] for e in result["errors"]} == {"UPSTREAM_BAD_RESPONSE"}


async def test_a_create_answer_without_an_id_is_a_bad_response() -> None:
    async with running_gateway(_answering({"readable": "no id"})) as http:
        result = await GraphQLClient(http)(
            """mutation($s: SeededWorkstreamEventInput!) {
              workstreamEventsCreateNewWorkstreamEvent(seededWorkstreamEvent: $s) { id }
            }""",
            {
                "s": {
                    "application": {
                        "id": "a",
                        "name": "VS_CODE",
                        "version": "1",
                        "platform": "LINUX",
                        "onboarded": True,
                        "privacy": "OPEN",
                    },
                    "trigger": {},
                }
            },
        )
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert "applied" in result["errors"][0]["message"]


async def test_an_oversized_upstream_answer_is_refused() -> None:
    async with running_gateway(
        _answering({"id": "x", "readable": "a" * 4096}), upstream_max_response_bytes=1024
    ) as http:
        result = await GraphQLClient(http)('{ workstreamEvent(id: "x") { id } }')
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"


async def test_batched_operations_each_have_their_own_context(
    upstream: Recorder, events: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="pieces_gateway.operations")
    event_id = next(iter(events))
    batch = [
        {
            "query": "query A($id: ID!) { workstreamEvent(id: $id) { id } }",
            "variables": {"id": event_id},
        },
        {"query": "query B { __typename }"},
    ]
    async with running_gateway(upstream, batching=True) as http:
        response = await http.post("/graphql", json=batch)
    assert len(response.json()) == 2
    logged = sorted(
        (r.__dict__["operation"], r.__dict__["upstream_calls"])
        for r in caplog.records
        if r.name == "pieces_gateway.operations"
    )
    assert logged == [("A", 1), ("B", 0)]
