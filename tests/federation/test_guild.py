"""The Guild's composer composes the gateway's subgraph exactly as Apollo's does.

GraphQL Hive composes supergraphs with `@theguild/federation-composition`,
which refuses a federation version newer than it knows (0.27 knows up to
v2.9). `compose.mjs` (Node, the pinned packages of package.json) composes the
subgraph SDL (`print_sdl()`, which `_service { sdl }` returns) with the
test-only `timeline` subgraph, once with Apollo's composer and once with The
Guild's, and prints the API schema of each supergraph, sorted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
)

from schema import print_sdl

HERE = Path(__file__).parent
TIMELINE = HERE.parents[1] / "supergraph" / "timeline.graphql"
NODE = shutil.which("node")
# What the subgraph declares for routers only; no API schema shows it.
FEDERATION_TYPES = {"_Any", "_Entity", "_Service"}
FEDERATION_FIELDS = {"_entities", "_service"}


@pytest.fixture(scope="module")
def composed() -> dict[str, Any]:
    """One run of compose.mjs: both composers, the same two subgraphs."""
    if NODE is None:
        pytest.skip("node is not installed (the composers run on Node)")
    if not (HERE / "node_modules").is_dir():
        pytest.fail("tests/federation/node_modules is missing: run `make test`")
    subgraphs = [
        {"name": "pieces", "url": "http://127.0.0.1:8000/graphql", "sdl": print_sdl()},
        {"name": "timeline", "url": "http://127.0.0.1:4001/", "sdl": TIMELINE.read_text()},
    ]
    completed = subprocess.run(
        [NODE, "compose.mjs"],
        cwd=HERE,
        input=json.dumps({"subgraphs": subgraphs}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output: dict[str, Any] = json.loads(completed.stdout)
    return output


def _members(sdl: str) -> dict[str, set[str]]:
    """Each type's name with the names of its fields, enum values or union members."""
    members: dict[str, set[str]] = {}
    for node in parse(sdl).definitions:
        if not isinstance(node, TypeDefinitionNode):
            continue
        if isinstance(
            node,
            ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode,
        ):
            names = {field.name.value for field in node.fields or ()}
        elif isinstance(node, EnumTypeDefinitionNode):
            names = {value.name.value for value in node.values or ()}
        elif isinstance(node, UnionTypeDefinitionNode):
            names = {member.name.value for member in node.types or ()}
        else:
            names = set()
        members[node.name.value] = names
    return members


def test_both_composers_compose_the_subgraph_without_errors(composed: dict[str, Any]) -> None:
    assert composed["apollo"]["errors"] == []
    assert composed["apollo"]["hints"] == []
    assert composed["guild"]["errors"] == []


def test_the_guild_supergraph_serves_the_api_schema_apollos_serves(
    composed: dict[str, Any],
) -> None:
    apollo, guild = composed["apollo"]["api"], composed["guild"]["api"]
    assert _members(guild) == _members(apollo)
    # Argument and field types, nullability, descriptions: the whole text.
    assert guild == apollo


def test_every_type_and_field_of_the_subgraph_is_in_the_guild_api_schema(
    composed: dict[str, Any],
) -> None:
    api = _members(composed["guild"]["api"])
    ours = {
        name: names - FEDERATION_FIELDS
        for name, names in _members(print_sdl()).items()
        if name not in FEDERATION_TYPES
    }
    assert len(ours) > 400
    assert set(api) == set(ours)
    assert {name: names - api[name] for name, names in ours.items() if names - api[name]} == {}
    # What timeline adds: a field of each entity it extends and a root field returning
    # them, nothing else.
    added = {name: api[name] - names for name, names in ours.items() if api[name] - names}
    assert added == {
        "WorkstreamEvent": {"pinned"},
        "FlattenedTag": {"followers"},
        "FlattenedWorkstreamSummary": {"bookmarked"},
        "Query": {"pinnedEvents", "followedTags", "bookmarkedSummaries"},
    }
