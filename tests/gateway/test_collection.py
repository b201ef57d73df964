"""Create and delete, through to the upstream."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.recording import Recorder
from tests.sdk_oracle import sdk_request

CREATE = """mutation($seed: SeededWorkstreamEventInput!) {
  workstreamEventsCreateNewWorkstreamEvent(seededWorkstreamEvent: $seed, transferables: false) {
    id readable application { name } summaries { iterable { id } }
  }
}"""
DELETE = """mutation($id: ID!) {
  workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: $id) { workstreamEventId }
}"""
SEED = {
    "application": {
        "id": "app-1",
        "name": "VS_CODE",
        "version": "1.2.3",
        "platform": "LINUX",
        "onboarded": True,
        "privacy": "OPEN",
    },
    "trigger": {},
    "readable": "Edited the gateway's README",
    "summary": {"id": "summary-1"},
}


async def test_create_sends_the_seed_and_returns_the_new_event(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    result = await gql(CREATE, {"seed": SEED})
    created = result["data"]["workstreamEventsCreateNewWorkstreamEvent"]
    assert created["readable"] == SEED["readable"]
    assert created["summaries"] == {"iterable": [{"id": "summary-1"}]}
    assert created["id"] in events
    (received,) = upstream.requests
    assert (received.method, received.path, received.query) == (
        "POST",
        "/workstream_events/create",
        {"transferables": "false"},
    )
    assert received.json() == SEED


async def test_a_created_event_is_read_from_the_mutation_without_another_call(
    gql: GraphQLClient, upstream: Recorder
) -> None:
    result = await gql(
        """mutation($seed: SeededWorkstreamEventInput!) {
          workstreamEventsCreateNewWorkstreamEvent(seededWorkstreamEvent: $seed) { id }
        }""",
        {"seed": SEED},
    )
    assert "errors" not in result
    assert len(upstream.requests) == 1


async def test_delete_says_which_event_went_and_it_is_gone(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    victim = next(iter(events))
    result = await gql(DELETE, {"id": victim})
    assert result == {
        "data": {"workstreamEventsDeleteSpecificWorkstreamEvent": {"workstreamEventId": victim}}
    }
    assert victim not in events
    method, path, _ = sdk_request(
        "workstream_events_delete_specific_workstream_event", workstream_event=victim
    )
    assert upstream.calls() == [(method, path)]
    assert upstream.requests[0].body == b""  # as the SDK sends it: no body at all
    again = await gql("query($id: ID!) { workstreamEvent(id: $id) { id } }", {"id": victim})
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_deleting_an_unknown_event_is_an_upstream_error(gql: GraphQLClient) -> None:
    result = await gql(DELETE, {"id": "no-such-event"})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"
