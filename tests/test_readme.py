"""The README's example operations run, as written, against the gateway."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, OperationType, parse, visit
from graphql.language import Visitor

from tests.conftest import GraphQLClient

README = Path(__file__).parents[1] / "README.md"
_HEAD = "### Examples\n\n```graphql\n"
# An id the README leaves out, by the name of the argument that takes it.
_PLACEHOLDER = re.compile(r'(\w+): "…"')
_TAG = "readme-example-tag"


def _examples() -> dict[str, OperationDefinitionNode]:
    readme = README.read_text()
    start = readme.index(_HEAD) + len(_HEAD)
    document = parse(readme[start : readme.index("```", start)])
    return {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode) and node.name is not None
    }


EXAMPLES = _examples()


def _source(name: str, event: str) -> str:
    node = EXAMPLES[name]
    assert node.loc is not None
    text = node.loc.source.body[node.loc.start : node.loc.end]
    ids = {"id": event, "workstreamEvent": event, "tag": _TAG}
    return _PLACEHOLDER.sub(lambda m: f'{m[1]}: "{ids[m[1]]}"', text)


class _EventSelections(Visitor):
    """Each selection set of a `workstreamEvent` field, as the names it selects."""

    def __init__(self) -> None:
        super().__init__()
        self.selections: list[set[str]] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value == "workstreamEvent" and node.selection_set is not None:
            fields = node.selection_set.selections
            self.selections.append({f.name.value for f in fields if isinstance(f, FieldNode)})


def test_the_readme_has_its_examples() -> None:
    assert set(EXAMPLES) == {"OneEvent", "Page", "Timeline", "Tag", "Bump"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_an_example_runs_without_errors(
    name: str, gql: GraphQLClient, events: dict[str, Any]
) -> None:
    result = await gql(_source(name, next(iter(events))))
    assert "errors" not in result, result["errors"]
    assert all(value is not None for value in result["data"].values())


@pytest.mark.parametrize(
    "name", sorted(n for n, op in EXAMPLES.items() if op.operation is OperationType.MUTATION)
)
def test_a_mutation_example_selects_the_event_id(name: str) -> None:
    # Apollo Client updates its cache from a mutation's answer by the id it holds.
    visitor = _EventSelections()
    visit(EXAMPLES[name], visitor)
    assert visitor.selections
    assert all("id" in selected for selected in visitor.selections)


async def test_the_tag_example_answers_with_the_event_and_its_new_tag(
    gql: GraphQLClient, events: dict[str, Any]
) -> None:
    event = next(iter(events))
    result = await gql(_source("Tag", event))
    answered = result["data"]["workstreamEventAssociateTag"]["workstreamEvent"]
    assert answered["id"] == event
    assert {"id": _TAG} in answered["tags"]["iterable"]


async def test_the_timeline_example_names_the_records_the_events_point_at(
    gql: GraphQLClient, events: dict[str, Any]
) -> None:
    result = await gql(_source("Timeline", next(iter(events))))
    nodes = [edge["node"] for edge in result["data"]["workstreamEventsConnection"]["edges"]]
    assert len(nodes) == len(events)
    for key, field in (("tags", "text"), ("websites", "url"), ("summaries", "name")):
        references = [
            i["reference"] for n in nodes for i in (n[key] or {"iterable": []})["iterable"]
        ]
        assert references and all(r[field] for r in references), key
