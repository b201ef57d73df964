"""The middleware's own refusals (`gateway._middleware`), as a client receives them.

Found by the mutation run (`make mutation`): no test sent a WebSocket from an untrusted
Host, looked for the `connection: close` of a refusal made before routing, read the words
of a 413, or looked at a CORS preflight's headers beyond its origin.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway import Settings, create_app
from tests.conftest import UPSTREAM, running_gateway
from tests.recording import Recorder

PREFLIGHT = {"Access-Control-Request-Method": "POST"}


async def test_a_websocket_from_an_untrusted_host_is_closed_unaccepted(
    upstream: Recorder,
) -> None:
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"rebound.evil.test")],
        "subprotocols": ["graphql-transport-ws"],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    async with LifespanManager(app) as manager:
        await asyncio.wait_for(manager.app(scope, receive, send), 5)
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert upstream.requests == []


async def test_an_untrusted_host_is_refused_and_its_connection_closed(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream) as http:
        response = await http.get("/healthz", headers={"host": "rebound.evil.test"})
    assert (response.status_code, response.headers["connection"]) == (400, "close")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"] == [
        {
            "message": "This Host is not one the gateway answers to.",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]


async def test_a_declared_body_over_the_limit_is_refused_in_words_and_closed(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream, max_body_bytes=1024) as http:
        response = await http.post("/graphql", content=b"{}", headers={"content-length": "1025"})
    assert (response.status_code, response.headers["connection"]) == (413, "close")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"] == [
        {
            "message": "The request body is larger than 1024 bytes.",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    ]
    assert upstream.requests == []


async def test_a_preflight_keeps_starlettes_headers_and_an_allowed_one_its_answer(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream, cors_origins=("http://app.test",)) as http:
        refused = await http.options(
            "/graphql", headers={"Origin": "http://evil.test", **PREFLIGHT}
        )
        allowed = await http.options("/graphql", headers={"Origin": "http://app.test", **PREFLIGHT})
    for preflight in (refused, allowed):
        assert preflight.headers["access-control-allow-methods"] == "GET, POST"
        assert preflight.headers["access-control-max-age"] == "600"
    assert refused.headers["content-length"] == str(len(refused.content))
    assert (allowed.status_code, allowed.text) == (200, "OK")
    assert allowed.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("LOCALHOST:8000", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("[::1]", True),
        ("[::1", False),  # no closing bracket: the name as it came
        ("::1", True),  # a bare IPv6 address: no port to strip
        ("api.example.test", True),
        ("a.b.example.test:443", True),
        ("example.test", False),  # `*.example.test` names its subdomains only
        ("badexample.test", False),
        ("localhost.evil.test", False),
        ("", False),
    ],
)
async def test_hosts_match_exactly_or_by_a_subdomain_pattern(
    upstream: Recorder, host: str, allowed: bool
) -> None:
    hosts = ("localhost", "127.0.0.1", "::1", "*.example.test")
    async with running_gateway(upstream, allowed_hosts=hosts) as http:
        response = await http.get("/healthz", headers={"host": host})
    assert response.status_code == (200 if allowed else 400), response.text


async def test_any_host_is_answered_under_a_star(upstream: Recorder) -> None:
    async with running_gateway(upstream, allowed_hosts=("*",)) as http:
        response = await http.get("/healthz", headers={"host": "anything.test"})
    assert response.status_code == 200


async def test_two_host_lines_are_refused_in_words(upstream: Recorder) -> None:
    async with running_gateway(upstream) as http:
        request = http.build_request("GET", "/healthz")
        request.headers = httpx.Headers([("host", "localhost"), ("host", "localhost")])
        response = await http.send(request)
    assert (response.status_code, response.headers["connection"]) == (400, "close")
    assert response.json()["errors"] == [
        {
            "message": "A request must have exactly one Host header.",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]


@pytest.mark.parametrize("declared", ["x", "-1", "1e3", " 5"])
async def test_a_content_length_that_is_no_number_is_refused_in_words_and_closed(
    upstream: Recorder, declared: str
) -> None:
    async with running_gateway(upstream) as http:
        response = await http.post("/graphql", content=b"{}", headers={"content-length": declared})
    assert (response.status_code, response.headers["connection"]) == (400, "close")
    assert response.json()["errors"] == [
        {
            "message": "The Content-Length header is not a number.",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]
    assert upstream.requests == []


async def test_a_declared_body_at_the_limit_is_read(upstream: Recorder) -> None:
    head, tail = b'{"query": "{ __typename }', b'"}'
    body = head + b" " * (1024 - len(head) - len(tail)) + tail
    async with running_gateway(upstream, max_body_bytes=1024) as http:
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert response.json() == {"data": {"__typename": "Query"}}
