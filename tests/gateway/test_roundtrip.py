"""Nothing lost: every field and enum value comes back, and goes back, unchanged.

Where an event's references embed their records in some places and not in
others, the gateway fetches the records of the others: the answer has those
too (`as_read`), as the simulator holds them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.applications import Starlette

from gateway.simulator._records import flattened
from gateway.simulator._store import Store
from schema import RELATIONS
from tests.conftest import GraphQLClient
from tests.contract_walk import (
    ROOT,
    as_read,
    closure,
    covered,
    from_graphql,
    selection,
    strip_nulls,
)
from tests.recording import Recorder

READ = "query Read($id: ID!) {{ workstreamEvent(id: $id) {selection} }}"
UPDATE = """
mutation Update($event: WorkstreamEventInput!) {
  workstreamEventUpdate(workstreamEvent: $event) { id }
}
"""


def _flattened_record(store: Store, key: str, record_id: str) -> dict[str, Any]:
    return flattened(key, store.record(key, record_id))


def _read(simulator: Starlette, event: dict[str, Any]) -> dict[str, Any]:
    """The event as the gateway reads it, with the records it fetches."""
    store = simulator.state.store
    fetch = {r.referenced: partial(_flattened_record, store, r.key) for r in RELATIONS}
    return strip_nulls(as_read(ROOT, event, fetch))


def test_the_seeded_events_fill_every_field_and_enum_value(events: dict[str, Any]) -> None:
    seen = {pair for event in events.values() for pair in covered(ROOT, event)}
    assert closure() - seen == set()


async def test_every_field_comes_back_unchanged(
    gql: GraphQLClient, events: dict[str, Any], simulator: Starlette
) -> None:
    for event in events.values():
        query = READ.format(selection=selection(ROOT, [event]))
        result = await gql(query, {"id": event["id"]})
        assert "errors" not in result
        assert from_graphql(ROOT, result["data"]["workstreamEvent"]) == _read(simulator, event)


async def test_an_event_read_and_sent_back_reaches_the_upstream_as_read(
    gql: GraphQLClient, events: dict[str, Any], upstream: Recorder, simulator: Starlette
) -> None:
    for event in events.values():
        served = _read(simulator, event)
        read = await gql(READ.format(selection=selection(ROOT, [event])), {"id": event["id"]})
        upstream.clear()
        result = await gql(UPDATE, {"event": strip_nulls(read["data"]["workstreamEvent"])})
        assert "errors" not in result
        (received,) = upstream.requests
        assert (received.method, received.path) == ("POST", "/workstream_event/update")
        assert received.json() == served
