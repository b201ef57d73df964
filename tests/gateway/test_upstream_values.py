"""An upstream value the schema cannot represent fails its field only, and stays out of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import GraphQLError, GraphQLFloat

from schema._error_codes import _classify
from schema._execution import _kind
from tests.conftest import GraphQLClient

QUERY = """query($id: ID!) {
  workstreamEvent(id: $id) { id readable processing application { name platform } }
}"""


@pytest.fixture
def event(events: dict[str, Any]) -> dict[str, Any]:
    return next(iter(events.values()))


async def test_an_enum_value_from_a_newer_pieces_os_fails_that_field_only(
    gql: GraphQLClient, event: dict[str, Any]
) -> None:
    event["processing"] = "SOMETHING_NEW"
    result = await gql(QUERY, {"id": event["id"]})
    data = result["data"]["workstreamEvent"]
    assert data["processing"] is None
    assert data["id"] == event["id"] and data["readable"] == event.get("readable")
    (error,) = result["errors"]
    assert error["path"] == ["workstreamEvent", "processing"]
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert error["message"] == "CapabilitiesEnum cannot represent a value it does not define."
    assert "SOMETHING_NEW" not in json.dumps(result)


SECRET = "leaked-4c1e"
_HUGE = 2**64 - 1  # beyond any integer the schema carries (and the JSON encoders)
_FLOAT = 1234.5678

# (where in the event, the value planted there, the selection that reads it).
# Every scalar kind, enums, objects where scalars belong and the reverse, lists
# where none belong, and values nested in lists.
PLANTED = [
    (("readable",), {"k": SECRET}, "readable"),
    (("readable",), [SECRET], "readable"),
    (("application", "id"), {"k": SECRET}, "application { id }"),
    (("application", "onboarded"), SECRET, "application { onboarded }"),
    (("application", "onboarded"), [SECRET], "application { onboarded }"),
    (("score",), {"manual": SECRET, "automatic": 0}, "score { manual }"),
    (("score",), {"manual": _FLOAT, "automatic": 0}, "score { manual }"),
    (("score",), {"manual": _HUGE, "automatic": 0}, "score { manual }"),
    (("score",), {"manual": {"k": SECRET}, "automatic": 0}, "score { manual }"),
    (("workstreamEventsVector",), [SECRET], "workstreamEventsVector"),
    (("workstreamEventsVector",), [{"k": SECRET}], "workstreamEventsVector"),
    (("workstreamEventsVector",), SECRET, "workstreamEventsVector"),
    (("created", "value"), {"secret": SECRET}, "created { value }"),
    (("created", "value"), _HUGE, "created { value }"),
    (("anchors",), {"indices": SECRET, "iterable": []}, "anchors { indices }"),
    (("anchors",), {"indices": [SECRET], "iterable": []}, "anchors { indices }"),
    (("anchors",), {"iterable": [{"id": {"k": SECRET}}]}, "anchors { iterable { id } }"),
    (("processing",), f"NEW_{SECRET}", "processing"),
    (("processing",), _HUGE, "processing"),
    (("processing",), {"k": SECRET}, "processing"),
    (("application",), SECRET, "application { id }"),
    (("application",), [SECRET], "application { id }"),
]


@pytest.mark.parametrize(("where", "value", "selection"), PLANTED)
async def test_upstream_values_stay_out_of_error_messages(
    gql: GraphQLClient, event: dict[str, Any], where: tuple[str, ...], value: Any, selection: str
) -> None:
    parent = event
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    query = f"query($id: ID!) {{ workstreamEvent(id: $id) {{ id {selection} }} }}"
    result = await gql(query, {"id": event["id"]})
    errors = result["errors"]
    assert errors and {e["extensions"]["code"] for e in errors} == {"UPSTREAM_BAD_RESPONSE"}
    shown = json.dumps(errors)
    for secret in (SECRET, str(_HUGE), str(_FLOAT)):
        assert secret not in shown
    assert all(e["path"][:1] == ["workstreamEvent"] for e in errors)


async def test_a_string_where_an_object_belongs_is_a_bad_response(
    gql: GraphQLClient, event: dict[str, Any]
) -> None:
    event["application"] = "VS_CODE"
    result = await gql(QUERY, {"id": event["id"]})
    codes = {e["extensions"]["code"] for e in result["errors"]}
    assert codes == {"UPSTREAM_BAD_RESPONSE"}
    assert "Traceback" not in str(result)


async def test_a_missing_required_key_is_a_bad_response(
    gql: GraphQLClient, event: dict[str, Any]
) -> None:
    del event["application"]["platform"]
    result = await gql(QUERY, {"id": event["id"]})
    # The non-null field's error nulls its nearest nullable parent, per GraphQL.
    assert result["data"] == {"workstreamEvent": None}
    (error,) = result["errors"]
    assert error["path"] == ["workstreamEvent", "application", "platform"]
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"


def test_an_unexpected_exception_is_masked() -> None:
    raised = GraphQLError(
        "secret detail at /home/user", path=["workstreamEvent"], original_error=KeyError("x")
    )
    shown = _classify(raised)
    assert shown.message == "Unexpected error."
    assert shown.extensions == {"code": "INTERNAL_SERVER_ERROR"}


def test_a_complaint_of_graphql_cores_about_a_value_is_worded_anew() -> None:
    # graphql-core words some complaints with the value (`Expected value of type
    # 'X' but got: {...}`); none of it reaches the client.
    raised = GraphQLError(f"Expected value of type 'Tag' but got: {SECRET}.", path=["tag"])
    shown = _classify(raised)
    assert SECRET not in shown.message
    assert shown.extensions == {"code": "UPSTREAM_BAD_RESPONSE"}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("x", "a string"),
        ("", "an empty string"),
        (True, "a boolean"),
        (_FLOAT, "a number"),
        ([1], "a list"),
        ({"k": 1}, "an object"),
        (2**63, "an integer out of its range"),
    ],
)
async def test_a_value_the_schema_cannot_represent_is_named_by_its_kind(
    gql: GraphQLClient, event: dict[str, Any], value: Any, kind: str
) -> None:
    event["score"] = {"manual": value, "automatic": 0}
    query = "query($id: ID!) { workstreamEvent(id: $id) { score { manual } } }"
    (error,) = (await gql(query, {"id": event["id"]}))["errors"]
    assert error["message"] == f"Int64 cannot represent {kind}."


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_number_is_named_so(value: float) -> None:
    # JSON has none, but a number graphql-core cannot represent is named the same way.
    assert _kind(GraphQLFloat, value) == "a non-finite number"
