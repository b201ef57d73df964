"""Every integer Pieces OS can send round-trips: 64 bits, through a read and an update."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.recording import Recorder

BIG = [2**40, -(2**40), 2**63 - 1, -(2**63)]
READ = """query($id: ID!) {
  workstreamEvent(id: $id) { score { manual automatic } schema { migration } }
}"""
UPDATE = """mutation($e: WorkstreamEventInput!) {
  workstreamEventUpdate(workstreamEvent: $e) { id score { manual automatic } }
}"""


@pytest.fixture
def event(events: dict[str, Any]) -> dict[str, Any]:
    return next(iter(events.values()))


@pytest.mark.parametrize("value", BIG)
async def test_a_64_bit_integer_is_read_exactly(
    gql: GraphQLClient, event: dict[str, Any], value: int
) -> None:
    event["score"] = {"manual": value, "automatic": -value if value > -(2**63) else 0}
    event["schema"] = {"migration": value, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
    result = await gql(READ, {"id": event["id"]})
    assert "errors" not in result
    read = result["data"]["workstreamEvent"]
    assert read["score"]["manual"] == value and read["schema"]["migration"] == value
    assert read["score"]["automatic"] == event["score"]["automatic"]


@pytest.mark.parametrize("value", [2**40, -(2**40)])
@pytest.mark.parametrize("spelled", ["number", "string", "literal"])
async def test_a_64_bit_integer_is_sent_upstream_exactly(
    gql: GraphQLClient,
    upstream: Recorder,
    event: dict[str, Any],
    value: int,
    spelled: str,
) -> None:
    given = {
        "id": event["id"],
        "application": event["application"],
        "created": event["created"],
        "updated": event["updated"],
        "trigger": {},
        "score": {"manual": value, "automatic": 7},
    }
    if spelled == "string":  # as a JavaScript client beyond 2^53 would write it
        given["score"] = {"manual": str(value), "automatic": 7}
    query = UPDATE
    if spelled == "literal":
        query = UPDATE.replace("$e: WorkstreamEventInput!", "$e: ID!").replace(
            "workstreamEvent: $e",
            "workstreamEvent: {id: $e, application: {id: "
            + f'"{event["application"]["id"]}", name: VS_CODE, version: "1", platform: MACOS, '
            + "onboarded: true, privacy: OPEN}, "
            + f'created: {{value: "{event["created"]["value"]}"}}, '
            + f'updated: {{value: "{event["updated"]["value"]}"}}, trigger: {{}}, '
            + f"score: {{manual: {value}, automatic: 7}}}}",
        )
        result = await gql(query, {"e": event["id"]})
    else:
        result = await gql(query, {"e": given})
    assert "errors" not in result, result
    (received,) = [r for r in upstream.requests if r.method == "POST"]
    assert received.json()["score"] == {"manual": value, "automatic": 7}
    # And the stored event reads back the same.
    assert result["data"]["workstreamEventUpdate"]["score"] == {"manual": value, "automatic": 7}
    assert b'"manual":%d' % value in received.body.replace(b" ", b"")


@pytest.mark.parametrize(
    "value", [2**63, -(2**63) - 1, 1.5, "12x", "0x10", "", True, "01"], ids=repr
)
async def test_a_value_beyond_64_bits_or_not_an_integer_is_refused(
    gql: GraphQLClient, upstream: Recorder, event: dict[str, Any], value: Any
) -> None:
    given = {
        **{key: event[key] for key in ("id", "application", "created", "updated")},
        "trigger": {},
        "score": {"manual": value, "automatic": 7},
    }
    result = await gql(UPDATE, {"e": given})
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]
    assert not [r for r in upstream.requests if r.method == "POST"]
