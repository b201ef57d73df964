"""The response media type follows the Accept header (GraphQL over HTTP)."""

from __future__ import annotations

import httpx
import pytest

NEW = "application/graphql-response+json"


async def _post(http: httpx.AsyncClient, query: str, accept: str | None) -> httpx.Response:
    headers = {"accept": accept} if accept is not None else {}
    return await http.post("/graphql", json={"query": query}, headers=headers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (NEW, NEW),
        (f"{NEW}, application/json;q=0.9", NEW),
        (f"application/json, {NEW}", NEW),
        (f"application/json, {NEW};q=0.5", "application/json"),
        (f"{NEW};q=0", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("", "application/json"),
        (f"{NEW};q=0.5, application/*;q=0.9", "application/json"),  # JSON through its type
        (f"{NEW};q=0.9, {NEW};q=0.1, application/json;q=0.5", NEW),  # a range's best quality
        (f"{NEW};q=high", "application/json"),  # a quality that is no number is 0
    ],
)
async def test_the_accepted_media_type_is_the_response_type(
    http: httpx.AsyncClient, accept: str, expected: str
) -> None:
    response = await _post(http, "{ __typename }", accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == expected
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { workstreamEvent(id: $id) { id } }", "BAD_USER_INPUT"),
    ],
)
async def test_a_request_error_is_a_400_without_data_for_the_new_type(
    http: httpx.AsyncClient, query: str, code: str
) -> None:
    response = await _post(http, query, NEW)
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW
    body = response.json()
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]

    legacy = await _post(http, query, "application/json")
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None


async def test_a_field_error_is_a_200_with_data_for_the_new_type(http: httpx.AsyncClient) -> None:
    response = await _post(http, '{ workstreamEvent(id: "no-such-event") { id } }', NEW)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"workstreamEvent": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_refused_request_answers_in_the_accepted_type(http: httpx.AsyncClient) -> None:
    response = await http.put("/graphql", headers={"accept": NEW})
    assert response.status_code == 405
    assert response.headers["content-type"] == NEW
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_field_error_that_nulls_all_the_data_is_still_a_200_for_the_new_type(
    http: httpx.AsyncClient,
) -> None:
    # A non-null root field fails: execution began, so no request error, whatever `data` is.
    response = await _post(http, "{ workstreamEventsConnection(first: -1) { totalCount } }", NEW)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["workstreamEventsConnection"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
