"""Nothing lost: every field and enum value comes back, and goes back, unchanged."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.contract_walk import ROOT, closure, covered, from_graphql, selection, strip_nulls
from tests.recording import Recorder

READ = "query Read($id: ID!) {{ workstreamEvent(id: $id) {selection} }}"
UPDATE = """
mutation Update($event: WorkstreamEventInput!) {
  workstreamEventUpdate(workstreamEvent: $event) { id }
}
"""


def test_the_seeded_events_fill_every_field_and_enum_value(events: dict[str, Any]) -> None:
    seen = {pair for event in events.values() for pair in covered(ROOT, event)}
    assert closure() - seen == set()


async def test_every_field_comes_back_unchanged(gql: GraphQLClient, events: dict[str, Any]) -> None:
    for event in events.values():
        query = READ.format(selection=selection(ROOT, [event]))
        result = await gql(query, {"id": event["id"]})
        assert "errors" not in result
        assert from_graphql(ROOT, result["data"]["workstreamEvent"]) == strip_nulls(event)


async def test_an_event_read_and_sent_back_reaches_the_upstream_as_served(
    gql: GraphQLClient, events: dict[str, Any], upstream: Recorder
) -> None:
    for event in events.values():
        served = strip_nulls(event)
        read = await gql(READ.format(selection=selection(ROOT, [event])), {"id": event["id"]})
        upstream.clear()
        result = await gql(UPDATE, {"event": strip_nulls(read["data"]["workstreamEvent"])})
        assert "errors" not in result
        (received,) = upstream.requests
        assert (received.method, received.path) == ("POST", "/workstream_event/update")
        assert received.json() == served
