"""Automatic persisted queries, the flow Apollo Client's link follows."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.recording import Recorder

QUERY = "query Read($id: ID!) { workstreamEvent(id: $id) { id readable } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


def _get_params(variables: dict[str, Any]) -> dict[str, str]:
    return {"variables": json.dumps(variables), "extensions": json.dumps(EXTENSIONS)}


async def test_miss_then_register_then_hit(
    http: httpx.AsyncClient, events: dict[str, Any], upstream: Recorder
) -> None:
    event_id = next(iter(events))
    variables = {"id": event_id}
    miss = await http.get("/graphql", params=_get_params(variables))
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert upstream.requests == []

    register = await http.post(
        "/graphql", json={"query": QUERY, "variables": variables, "extensions": EXTENSIONS}
    )
    assert register.json()["data"]["workstreamEvent"]["id"] == event_id

    hit = await http.get("/graphql", params=_get_params(variables))
    assert hit.status_code == 200
    assert hit.json() == register.json()
    post_hit = await http.post("/graphql", json={"variables": variables, "extensions": EXTENSIONS})
    assert post_hit.json() == register.json()


async def test_a_hash_that_does_not_match_its_query_is_refused(http: httpx.AsyncClient) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await http.post("/graphql", json={"query": QUERY, "extensions": wrong})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"


@pytest.mark.parametrize(
    ("persisted", "message"),
    [
        ({"version": 2, "sha256Hash": HASH}, "Unsupported persisted query version."),
        ({"version": 1, "sha256Hash": 1}, "`persistedQuery.sha256Hash` must be a string."),
    ],
)
async def test_a_malformed_persisted_query_is_refused(
    http: httpx.AsyncClient, persisted: dict[str, Any], message: str
) -> None:
    extensions = {"persistedQuery": persisted}
    response = await http.post("/graphql", json={"query": QUERY, "extensions": extensions})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }


async def test_a_persisted_mutation_is_still_refused_over_get(http: httpx.AsyncClient) -> None:
    mutation = (
        'mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "x") '
        "{ __typename } }"
    )
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await http.post("/graphql", json={"query": mutation, "extensions": extensions})
    response = await http.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert response.status_code == 405


async def test_when_off_clients_are_told_it_is_not_supported(upstream: Recorder) -> None:
    from tests.conftest import running_gateway

    async with running_gateway(upstream, persisted_queries=False) as http:
        response = await http.post("/graphql", json={"extensions": EXTENSIONS})
        assert response.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def _registered(http: httpx.AsyncClient, variables: dict[str, Any]) -> None:
    await http.post(
        "/graphql", json={"query": QUERY, "variables": variables, "extensions": EXTENSIONS}
    )


async def test_a_hash_only_get_answered_from_the_store_may_be_cached_by_anyone(
    http: httpx.AsyncClient, events: dict[str, Any]
) -> None:
    variables = {"id": next(iter(events))}
    await _registered(http, variables)
    hit = await http.get("/graphql", params=_get_params(variables))
    assert "errors" not in hit.json()
    assert hit.headers["cache-control"] == "public, max-age=60"
    assert hit.headers["vary"] == "Accept"  # the media type is negotiated


async def test_a_hash_only_get_not_found_is_not_stored(http: httpx.AsyncClient) -> None:
    # A cached PersistedQueryNotFound would keep answering after the client registers.
    for accept in ("application/json", "application/graphql-response+json"):
        miss = await http.get(
            "/graphql", params=_get_params({"id": "x"}), headers={"accept": accept}
        )
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert miss.headers["cache-control"] == "no-store"


async def test_a_hash_only_get_whose_answer_has_errors_is_not_stored(
    http: httpx.AsyncClient,
) -> None:
    variables = {"id": "no-such-event"}
    await _registered(http, variables)
    hit = await http.get("/graphql", params=_get_params(variables))
    assert hit.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert hit.headers["cache-control"] == "no-store"


async def test_only_a_hash_only_get_says_how_to_cache_it(
    http: httpx.AsyncClient, events: dict[str, Any]
) -> None:
    variables = {"id": next(iter(events))}
    register = await http.post(
        "/graphql", json={"query": QUERY, "variables": variables, "extensions": EXTENSIONS}
    )
    post_hit = await http.post("/graphql", json={"variables": variables, "extensions": EXTENSIONS})
    plain_get = await http.get(
        "/graphql", params={"query": QUERY, "variables": json.dumps(variables)}
    )
    for response in (register, post_hit, plain_get):
        assert "errors" not in response.json()
        assert "cache-control" not in response.headers


async def test_an_answer_made_with_forwarded_headers_is_for_the_client_only(
    upstream: Recorder, events: dict[str, Any]
) -> None:
    from tests.conftest import running_gateway

    variables = {"id": next(iter(events))}
    async with running_gateway(upstream, forward_headers=("Authorization",)) as http:
        await _registered(http, variables)
        anonymous = await http.get("/graphql", params=_get_params(variables))
        personal = await http.get(
            "/graphql", params=_get_params(variables), headers={"authorization": "Bearer t"}
        )
    assert anonymous.headers["cache-control"] == "public, max-age=60"
    assert personal.headers["cache-control"] == "private, max-age=60"
    assert upstream.requests[-1].headers["authorization"] == "Bearer t"


def _padded(name: str, length: int) -> tuple[str, dict[str, Any]]:
    """A document of exactly `length` characters (a comment makes up the rest), its extensions."""
    head = f"query {name} {{ __typename }} #"
    document = head + "x" * (length - len(head))
    digest = hashlib.sha256(document.encode()).hexdigest()
    return document, {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_a_document_larger_than_the_whole_store_is_answered_but_not_kept(
    upstream: Recorder,
) -> None:
    from tests.conftest import running_gateway

    fits, fits_extensions = _padded("Fits", 1024)
    big, big_extensions = _padded("Big", 1025)
    async with running_gateway(upstream, persisted_queries_max_bytes=1024) as http:
        for document, extensions in ((fits, fits_extensions), (big, big_extensions)):
            sent = await http.post("/graphql", json={"query": document, "extensions": extensions})
            assert sent.json() == {"data": {"__typename": "Query"}}
        big_again = await http.post("/graphql", json={"extensions": big_extensions})
        assert big_again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        fits_again = await http.post("/graphql", json={"extensions": fits_extensions})
        assert fits_again.json() == {"data": {"__typename": "Query"}}  # not pushed out


async def test_the_store_is_bounded_by_characters_not_bytes(upstream: Recorder) -> None:
    from tests.conftest import running_gateway

    document = "query Fits { __typename } #" + "é" * 997  # é: two bytes in UTF-8
    assert len(document) == 1024 < len(document.encode())
    digest = hashlib.sha256(document.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with running_gateway(upstream, persisted_queries_max_bytes=1024) as http:
        await http.post("/graphql", json={"query": document, "extensions": extensions})
        again = await http.post("/graphql", json={"extensions": extensions})
    assert again.json() == {"data": {"__typename": "Query"}}


async def test_a_new_document_pushes_out_the_least_recently_used_one(upstream: Recorder) -> None:
    from tests.conftest import running_gateway

    first, first_extensions = _padded("First", 600)
    second, second_extensions = _padded("Second", 600)
    async with running_gateway(upstream, persisted_queries_max_bytes=1024) as http:
        for document, extensions in ((first, first_extensions), (second, second_extensions)):
            await http.post("/graphql", json={"query": document, "extensions": extensions})
        first_again = await http.post("/graphql", json={"extensions": first_extensions})
        second_again = await http.post("/graphql", json={"extensions": second_extensions})
    assert first_again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert second_again.json() == {"data": {"__typename": "Query"}}
