"""Automatic persisted queries, the flow Apollo Client's link follows."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

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


async def test_an_unknown_version_is_refused(http: httpx.AsyncClient) -> None:
    future = {"persistedQuery": {"version": 2, "sha256Hash": HASH}}
    response = await http.post("/graphql", json={"query": QUERY, "extensions": future})
    assert response.status_code == 400


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
