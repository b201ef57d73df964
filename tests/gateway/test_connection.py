"""workstreamEventsConnection pages through the upstream's identifiers."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from schema._connection import encode_cursor
from tests.conftest import GraphQLClient
from tests.recording import Recorder

PAGE = """query($first: Int, $after: String) {
  workstreamEventsConnection(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=1000, seed=3)


def _newest_first(events: dict[str, Any]) -> list[str]:
    return [
        e["id"] for e in sorted(events.values(), key=lambda e: (e["created"]["value"], e["id"]))
    ][::-1]


async def test_paging_returns_each_event_once_in_order_fetching_only_the_page(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        upstream.clear()
        result = await gql(PAGE, {"first": 50, "after": after})
        connection = result["data"]["workstreamEventsConnection"]
        ids = [edge["node"]["id"] for edge in connection["edges"]]
        fetches = [r for r in upstream.requests if r.path == "/workstream_events/batch/fetch"]
        assert len(fetches) == 1
        assert sorted(i["id"] for i in fetches[0].json()["workstreamEvents"]["iterable"]) == sorted(
            ids
        )
        assert connection["totalCount"] == 1000
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += ids
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 20
    assert seen == _newest_first(events)


async def test_an_empty_page_at_the_end(gql: GraphQLClient, events: dict[str, Any]) -> None:
    end = encode_cursor(999, _newest_first(events)[-1])
    result = await gql(PAGE, {"first": 10, "after": end})
    connection = result["data"]["workstreamEventsConnection"]
    assert connection["edges"] == []
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


@pytest.mark.parametrize("first", [-1, 101])
async def test_first_is_bounded(gql: GraphQLClient, upstream: Recorder, first: int) -> None:
    result = await gql(PAGE, {"first": first})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert upstream.requests == []


def _raw(cursor: bytes) -> str:
    return base64.urlsafe_b64encode(cursor).decode()


@pytest.mark.parametrize("cursor", ["garbage", _raw(b"x:1"), "🙂", _raw(b"we1:-1:x"), _raw(b"1:x")])
async def test_a_foreign_cursor_is_bad_user_input(gql: GraphQLClient, cursor: str) -> None:
    result = await gql(PAGE, {"first": 5, "after": cursor})
    (error,) = result["errors"]
    assert error["message"] == "`after` is not a cursor this gateway gave out."
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_a_cursor_is_its_position_then_its_event_id_whole(gql: GraphQLClient) -> None:
    # An id no longer listed, colon and all: the page goes on from where its event stood.
    result = await gql(PAGE, {"first": 2, "after": _raw(b"we1:0:gone:for-good")})
    assert "errors" not in result
    whole = await gql(PAGE, {"first": 2})
    edges = result["data"]["workstreamEventsConnection"]["edges"]
    assert edges == whole["data"]["workstreamEventsConnection"]["edges"]


async def test_filters_go_upstream_and_narrow_the_listing(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    instants = sorted(e["created"]["value"] for e in events.values())
    low, high = instants[100], instants[199]
    result = await gql(
        """query($from: DateTime, $to: DateTime) {
          workstreamEventsConnection(first: 100, createdFrom: $from, createdTo: $to) {
            totalCount edges { node { created { value } } }
          }
        }""",
        {"from": low, "to": high},
    )
    connection = result["data"]["workstreamEventsConnection"]
    assert connection["totalCount"] == 100
    assert all(low <= e["node"]["created"]["value"] <= high for e in connection["edges"])
    assert upstream.requests[0].query == {"created_from": low, "created_to": high}


async def test_the_updated_filters_go_upstream_too(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    low, high = sorted(e["updated"]["value"] for e in events.values())[1:3]
    result = await gql(
        """query($from: DateTime, $to: DateTime) {
          workstreamEventsConnection(updatedFrom: $from, updatedTo: $to) { totalCount }
        }""",
        {"from": low, "to": high},
    )
    assert "errors" not in result
    assert upstream.requests[0].query == {"updated_from": low, "updated_to": high}
