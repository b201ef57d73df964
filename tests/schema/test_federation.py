"""The schema is an Apollo Federation 2 subgraph: its SDL, its directives, `_entities`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from graphql import (
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    parse,
)
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema_directives import FederationDirective

import schema._generated as generated
from gateway import Settings, create_app
from gateway.simulator import create_simulator
from schema import RELATIONS, build_schema, print_sdl
from schema._build import FEDERATION_VERSION
from tests.conftest import UPSTREAM, GraphQLClient
from tests.recording import Recorder

SDL = Path(__file__).parents[2] / "schema" / "schema.graphql"

ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on WorkstreamEvent { id readable application { name } created { value } }
  }
}"""


def _representations(ids: list[str]) -> dict[str, Any]:
    return {"representations": [{"__typename": "WorkstreamEvent", "id": i} for i in ids]}


def _expected(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "__typename": "WorkstreamEvent",
        "id": event["id"],
        "readable": event.get("readable"),
        "application": {"name": event["application"]["name"]},
        "created": {"value": event["created"]["value"]},
    }


def _directives(sdl: str) -> dict[str, list[str]]:
    document = parse(sdl)
    kinds = (ObjectTypeDefinitionNode, InputObjectTypeDefinitionNode, EnumTypeDefinitionNode)
    return {
        node.name.value: [d.name.value for d in node.directives or ()]
        for node in document.definitions
        if isinstance(node, kinds)
    }


async def test_service_sdl_is_the_committed_sdl(gql: GraphQLClient) -> None:
    result = await gql("{ _service { sdl } }")
    sdl = result["data"]["_service"]["sdl"]
    assert sdl + "\n" == SDL.read_text() == print_sdl()
    link = 'schema @link(url: "https://specs.apollo.dev/federation/v2.0", '
    assert sdl.startswith(link + 'import: ["@key", "@shareable"])')


def test_the_link_names_the_lowest_version_that_defines_the_directives_used() -> None:
    # A composer refuses a version newer than it knows (The Guild's, at 0.27,
    # refuses 2.11), so the subgraph asks for no more than its directives need.
    schema = build_schema()
    assert isinstance(schema, FederationSchema)
    used = [d for d in schema.schema_directives_in_use if isinstance(d, FederationDirective)]
    assert {type(d).imported_from.name for d in used} == {"key", "shareable"}
    lowest = max(type(d).minimum_version for d in used)
    assert "{}.{}".format(*lowest) == FEDERATION_VERSION


def test_the_events_and_their_related_records_are_the_entities_and_other_objects_shareable() -> (
    None
):
    directives = _directives(print_sdl())
    assert directives["WorkstreamEvent"] == ["key"]
    assert '\ntype WorkstreamEvent @key(fields: "id") {' in print_sdl()
    related = {relation.flattened for relation in RELATIONS}
    assert len(related) == 9
    for name in related:
        assert directives[name] == ["key", "shareable"], name
        assert f'\ntype {name} @key(fields: "id") @shareable {{' in print_sdl()
    for name in generated.OUTPUT_TYPES:
        if name != "WorkstreamEvent" and name not in related:
            assert directives[name] == ["shareable"], name
    # Inputs and enums compose when declared identically; they take no directive.
    for name in (*generated.INPUT_TYPES, *generated.ENUM_TYPES):
        assert directives[name] == [], name


async def test_repeated_representations_cost_one_batch_call(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    four = list(events)[:4]
    ids = [four[i % 4] for i in range(12)]
    result = await gql(ENTITIES, _representations(ids))
    assert "errors" not in result
    assert result["data"]["_entities"] == [_expected(events[i]) for i in ids]
    assert upstream.calls() == [("POST", "/workstream_events/batch/fetch")]
    asked = upstream.requests[0].json()["workstreamEvents"]["iterable"]
    assert sorted(item["id"] for item in asked) == sorted(four)


@pytest.fixture
async def old_gql() -> AsyncIterator[tuple[GraphQLClient, Recorder, dict[str, Any]]]:
    """The gateway in front of a Pieces OS without the batch endpoint."""
    simulator = create_simulator(events=20, seed=7, batch_endpoint=False)
    upstream = Recorder(simulator)
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield GraphQLClient(http), upstream, simulator.state.store.events


async def test_without_the_batch_endpoint_each_distinct_id_is_one_get(
    old_gql: tuple[GraphQLClient, Recorder, dict[str, Any]],
) -> None:
    gql, upstream, events = old_gql
    three = list(events)[:3]
    ids = [three[i % 3] for i in range(9)]
    result = await gql(ENTITIES, _representations(ids))
    assert result["data"]["_entities"] == [_expected(events[i]) for i in ids]
    gets = sorted(call for call in upstream.calls() if call[0] == "GET")
    assert gets == sorted(("GET", f"/workstream_event/{i}") for i in three)


async def test_an_unknown_representation_is_null_with_not_found(
    gql: GraphQLClient, events: dict[str, Any]
) -> None:
    known = next(iter(events))
    result = await gql(ENTITIES, _representations([known, "no-such-event", known]))
    assert result["data"]["_entities"] == [_expected(events[known]), None, _expected(events[known])]
    (error,) = result["errors"]
    assert error["path"] == ["_entities", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_more_representations_than_the_ids_limit_are_refused_by_name(
    gql: GraphQLClient, upstream: Recorder, events: dict[str, Any]
) -> None:
    known = next(iter(events))
    result = await gql(ENTITIES, _representations([known] * 1001))
    assert result["data"] is None
    (error,) = result["errors"]
    assert error["message"] == "`representations` may name 1000 at most."
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "representations"}
    assert upstream.calls() == []
