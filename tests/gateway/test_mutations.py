"""Each mutation reaches the upstream as the SDK would send it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from schema import RELATIONS, Relation
from tests.conftest import GraphQLClient
from tests.recording import Received, Recorder
from tests.sdk_oracle import sdk_request

OTHER_ID = "other/record 1"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _on_the_wire(received: Received) -> tuple[str, str, Any]:
    query = "&".join(f"{k}={v}" for k, v in received.query.items())
    body = received.json() if received.body else None
    return received.method, received.path + (f"?{query}" if query else ""), body


@pytest.fixture
def event_id(events: dict[str, Any]) -> str:
    return next(iter(events))


@pytest.mark.parametrize("action", ["associate", "disassociate"])
@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: r.suffix)
async def test_every_relation_mutation_sends_what_the_sdk_sends(
    gql: GraphQLClient, upstream: Recorder, event_id: str, relation: Relation, action: str
) -> None:
    name = f"workstreamEvent{action.title()}{relation.suffix}"
    result = await gql(
        f"mutation($e: ID!, $o: ID!) {{ {name}(workstreamEvent: $e, {relation.argument}: $o) "
        "{ workstreamEventId } }",
        {"e": event_id, "o": OTHER_ID},
    )
    assert result == {"data": {name: {"workstreamEventId": event_id}}}
    (received,) = upstream.requests
    expected = sdk_request(
        _snake(name), workstream_event=event_id, **{_snake(relation.argument): OTHER_ID}
    )
    assert _on_the_wire(received) == expected
    assert received.body == b""  # no body, not even a JSON null


async def test_an_association_shows_in_the_payload_event(
    gql: GraphQLClient, upstream: Recorder, event_id: str
) -> None:
    result = await gql(
        """mutation($e: ID!) {
          workstreamEventAssociateTag(workstreamEvent: $e, tag: "tag-new") {
            workstreamEvent { tags { iterable { id } } }
          }
        }""",
        {"e": event_id},
    )
    tags = result["data"]["workstreamEventAssociateTag"]["workstreamEvent"]["tags"]["iterable"]
    assert {"id": "tag-new"} in tags
    assert [r.method for r in upstream.requests] == ["POST", "GET"]


async def test_a_payload_read_for_its_typename_costs_one_upstream_call(
    gql: GraphQLClient, upstream: Recorder, event_id: str
) -> None:
    result = await gql(
        'mutation($e: ID!) { workstreamEventAssociateTag(workstreamEvent: $e, tag: "t") '
        "{ __typename } }",
        {"e": event_id},
    )
    assert "errors" not in result
    assert len(upstream.requests) == 1


async def test_scores_increment_sends_the_keys_as_the_upstream_spells_them(
    gql: GraphQLClient, upstream: Recorder, event_id: str, events: dict[str, Any]
) -> None:
    before = events[event_id].get("score", {}).get("update", 0)
    result = await gql(
        """mutation($e: ID!, $inc: SeededScoreIncrementInput) {
          workstreamEventScoresIncrement(workstreamEvent: $e, seededScoreIncrement: $inc) {
            workstreamEvent { score { update } }
          }
        }""",
        {
            "e": event_id,
            "inc": {"workstreamEvent": {"update": True}, "anchorPoint": {"reuse": False}},
        },
    )
    score = result["data"]["workstreamEventScoresIncrement"]["workstreamEvent"]["score"]
    assert score["update"] == before + 1
    from pieces_os_client.models.seeded_score_increment import SeededScoreIncrement

    increment = SeededScoreIncrement.from_dict(
        {"workstream_event": {"update": True}, "anchorPoint": {"reuse": False}}
    )
    expected = sdk_request(
        "workstream_event_scores_increment",
        workstream_event=event_id,
        seeded_score_increment=increment,
    )
    assert _on_the_wire(upstream.requests[0]) == expected


async def test_update_sends_only_the_fields_given(
    gql: GraphQLClient, upstream: Recorder, event_id: str, events: dict[str, Any]
) -> None:
    event = events[event_id]
    given = {
        "id": event_id,
        "application": {
            "id": event["application"]["id"],
            "name": "VS_CODE",
            "version": "1.0",
            "platform": "MACOS",
            "onboarded": True,
            "privacy": "OPEN",
        },
        "created": {"value": "2026-01-02T03:04:05.678+01:00"},
        "updated": {"value": "2026-01-02T03:04:05.678Z"},
        "trigger": {},
        "readable": None,
    }
    result = await gql(
        """mutation($e: WorkstreamEventInput!) {
          workstreamEventUpdate(workstreamEvent: $e, transferables: false) { id }
        }""",
        {"e": given},
    )
    assert result == {"data": {"workstreamEventUpdate": {"id": event_id}}}
    (received,) = upstream.requests
    method, path, _ = sdk_request(
        "workstream_event_update", transferables=False, workstream_event=None
    )
    assert (received.method, received.path, received.query) == (
        method,
        path.split("?")[0],
        {"transferables": "false"},
    )
    assert received.json() == {
        "id": event_id,
        "application": given["application"],
        "created": {"value": "2026-01-02T02:04:05.678Z"},
        "updated": {"value": "2026-01-02T03:04:05.678Z"},
        "trigger": {},
        "readable": None,
    }


@pytest.mark.parametrize(
    ("argument", "transferables"),
    [(", transferables: false", False), (", transferables: true", True), ("", None)],
    ids=["false", "true", "left-out"],
)
async def test_snapshot_passes_transferables_as_the_sdk_does(
    gql: GraphQLClient, upstream: Recorder, event_id: str, argument: str, transferables: bool | None
) -> None:
    # Left out, it is left out upstream too: Pieces OS's own default applies.
    await gql(f"query($e: ID!) {{ workstreamEvent(id: $e{argument}) {{ id }} }}", {"e": event_id})
    expected = sdk_request(
        "workstream_events_specific_workstream_event_snapshot",
        workstream_event=event_id,
        transferables=transferables,
    )
    assert _on_the_wire(upstream.requests[0]) == expected


@pytest.mark.parametrize("transferables", [False, True])
async def test_a_batch_passes_transferables_as_a_snapshot_does(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any], transferables: bool
) -> None:
    ids = list(events)[:2]
    result = await gql(
        "query($ids: [ID!]!, $t: Boolean)"
        " { workstreamEvents(ids: $ids, transferables: $t) { id } }",
        {"ids": ids, "t": transferables},
    )
    assert result == {"data": {"workstreamEvents": [{"id": ids[0]}, {"id": ids[1]}]}}
    (received,) = upstream.requests
    assert (received.method, received.path, received.query) == (
        "POST",
        "/workstream_events/batch/fetch",
        {"transferables": str(transferables).lower()},
    )


async def test_aliases_of_one_snapshot_cost_one_upstream_call(
    gql: GraphQLClient, upstream: Recorder, event_id: str
) -> None:
    aliases = " ".join(f"a{i}: workstreamEvent(id: $e) {{ id readable }}" for i in range(8))
    result = await gql(f"query($e: ID!) {{ {aliases} }}", {"e": event_id})
    assert "errors" not in result
    assert upstream.calls() == [("GET", f"/workstream_event/{event_id}")]


@pytest.mark.parametrize(
    ("shape", "fields"),
    [
        pytest.param("aliases", 11, id="aliases"),
        pytest.param("fragments", 12, id="through-fragments"),
    ],
)
async def test_a_mutation_with_too_many_writes_is_refused_before_any(
    gql: GraphQLClient, upstream: Recorder, event_id: str, shape: str, fields: int
) -> None:
    write = 'w{i}: workstreamEventScoresIncrement(workstreamEvent: "{id}") {{ workstreamEventId }}'
    writes = [write.format(i=i, id=event_id) for i in range(fields)]
    if shape == "aliases":
        query = "mutation { " + " ".join(writes) + " }"
    else:  # six writes in a fragment, spread twice (once through another fragment)
        query = (
            "mutation { ...Six ...Again } "
            "fragment Again on Mutation { ...Twice } "
            "fragment Twice on Mutation { " + " ".join(writes[6:]) + " } "
            "fragment Six on Mutation { " + " ".join(writes[:6]) + " }"
        )
    result = await gql(query)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["MAX_MUTATIONS_EXCEEDED"]
    assert f"this one has {fields}" in result["errors"][0]["message"]
    assert upstream.requests == []


async def test_a_mutation_at_the_limit_runs(
    gql: GraphQLClient, upstream: Recorder, event_id: str
) -> None:
    writes = " ".join(
        f'w{i}: workstreamEventScoresIncrement(workstreamEvent: "{event_id}", '
        "seededScoreIncrement: {}) { workstreamEventId }"
        for i in range(10)
    )
    result = await gql("mutation { " + writes + " }")
    assert "errors" not in result
    assert len(upstream.requests) == 10
