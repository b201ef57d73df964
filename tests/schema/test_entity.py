"""A representation `_entities` cannot resolve fails at its index only.

Found by tests/schema/test_fuzz.py: Strawberry's resolver failed the whole
field with INTERNAL_SERVER_ERROR (a KeyError or TypeError).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient

ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on WorkstreamEvent { id } }
}"""


@pytest.mark.parametrize(
    "bad",
    [
        {"__typename": "Nope", "id": "x"},
        {"__typename": "Application", "id": "x"},
        {"id": "x"},
        {"__typename": "WorkstreamEvent"},
        {"__typename": "WorkstreamEvent", "id": 7},
        {"__typename": "WorkstreamEvent", "id": "x", "readable": "y"},
        "WorkstreamEvent",
    ],
)
async def test_a_bad_representation_is_null_with_bad_user_input(
    gql: GraphQLClient, events: dict[str, Any], bad: object
) -> None:
    known = next(iter(events))
    good = {"__typename": "WorkstreamEvent", "id": known}
    result = await gql(ENTITIES, {"representations": [good, bad, good]})
    assert result["data"]["_entities"] == [{"id": known}, None, {"id": known}]
    (error,) = result["errors"]
    assert error["path"] == ["_entities", 1]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
