"""Cross-origin requests, as `--cors-origins` lets a browser app make them."""

from __future__ import annotations

from tests.conftest import running_gateway
from tests.recording import Recorder

APP = "http://app.test"
ORDINARY = {"query": "{ __typename }"}


def _preflight(headers: str) -> dict[str, str]:
    return {
        "Origin": APP,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


async def test_a_preflight_for_the_headers_a_client_sends_is_allowed(upstream: Recorder) -> None:
    async with running_gateway(upstream, cors_origins=(APP,)) as http:
        allowed = await http.options(
            "/graphql", headers=_preflight("content-type, authorization, x-request-id")
        )
        other = await http.options("/graphql", headers=_preflight("x-secret"))
    assert allowed.status_code == 200
    said = {h.strip() for h in allowed.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "authorization", "x-request-id"} <= {h.lower() for h in said}
    assert allowed.headers["access-control-max-age"] == "600"
    assert other.status_code == 400
    assert other.json() == {
        "errors": [{"message": "Disallowed CORS headers.", "extensions": {"code": "CORS_REFUSED"}}]
    }


async def test_an_allowed_origin_may_read_the_request_id(upstream: Recorder) -> None:
    async with running_gateway(upstream, cors_origins=(APP,)) as http:
        response = await http.post("/graphql", json=ORDINARY, headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-expose-headers"].lower() == "x-request-id"
    assert response.headers["x-request-id"]


async def test_a_refusal_of_the_host_is_readable_by_an_allowed_origin(upstream: Recorder) -> None:
    # CORS is the outermost layer: the app can read why the gateway refused, whatever layer did.
    async with running_gateway(upstream, cors_origins=(APP,)) as http:
        response = await http.post(
            "/graphql", json=ORDINARY, headers={"Origin": APP, "host": "rebound.evil.test"}
        )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == APP
    (error,) = response.json()["errors"]
    assert error["message"] == "This Host is not one the gateway answers to."
    assert upstream.requests == []
