"""An upstream value the schema cannot represent fails its field only."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError

from schema._error_codes import _classify
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
    assert "SOMETHING_NEW" in error["message"]


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
