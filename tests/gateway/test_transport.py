"""Any httpx transport: an answer over the cap is refused, unread or part read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway._transport import Endpoint
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Recorder

READ = '{ workstreamEvent(id: "x") { id } }'
LIMIT = 1024  # the smallest upstream_max_response_bytes


class _Body(httpx.AsyncByteStream):
    """The answer's body, in chunks; it counts the chunks that were read."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


class _Upstream(httpx.AsyncBaseTransport):
    """Answers with `chunks`, declaring `declared` bytes as its Content-Length (or nothing)."""

    def __init__(self, chunks: list[bytes], declared: int | None) -> None:
        self.chunks = chunks
        self.declared = declared
        self.bodies: list[_Body] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = _Body(self.chunks)
        self.bodies.append(body)
        headers = {"content-type": "application/json"}
        if self.declared is not None:
            headers["content-length"] = str(self.declared)
        return httpx.Response(200, headers=headers, stream=body)


async def _read(chunks: list[bytes], declared: int | None) -> tuple[dict[str, Any], _Body]:
    upstream = _Upstream(chunks, declared)
    async with running_gateway(
        upstream, upstream_max_response_bytes=LIMIT, upstream_retries=0
    ) as http:
        result = await GraphQLClient(http)(READ)
    (body,) = upstream.bodies
    return result, body


def _assert_refused(result: dict[str, Any]) -> None:
    assert result["data"] == {"workstreamEvent": None}
    assert [error["extensions"]["code"] for error in result["errors"]] == ["UPSTREAM_BAD_RESPONSE"]


EVENT = [b'{"id": "x"}']


async def test_an_answer_declared_over_the_cap_is_refused_unread() -> None:
    result, body = await _read(EVENT, declared=LIMIT + 1)
    _assert_refused(result)
    assert body.read == 0


async def test_an_answer_declared_at_the_cap_is_read() -> None:
    result, body = await _read(EVENT, declared=LIMIT)
    assert result == {"data": {"workstreamEvent": {"id": "x"}}}
    assert body.read == 1


async def test_an_undeclared_answer_is_read_up_to_the_cap_only() -> None:
    result, body = await _read([b" " * 512] * 100, declared=None)
    _assert_refused(result)
    assert body.read == 3  # 1,536 bytes: the first chunk past 1,024


async def test_an_answer_over_the_cap_is_no_failure_of_pieces_os() -> None:
    upstream = _Upstream(EVENT, declared=LIMIT + 1)
    async with running_gateway(
        upstream, upstream_max_response_bytes=LIMIT, upstream_retries=0, breaker_threshold=1
    ) as http:
        for _ in range(2):
            _assert_refused(await GraphQLClient(http)(READ))
    assert len(upstream.bodies) == 2  # Pieces OS answered: the breaker stayed closed


async def test_a_call_through_any_transport_carries_its_headers(upstream: Recorder) -> None:
    async with running_gateway(upstream) as http:
        await http.post("/graphql", json={"query": READ}, headers={"x-request-id": "req-9"})
    assert [request.headers["x-request-id"] for request in upstream.requests] == ["req-9"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:39300", ("http://localhost:39300", "http://localhost:39300", "")),
        ("http://localhost:39300/", ("http://localhost:39300", "http://localhost:39300", "")),
        (
            "http://10.0.0.5:1000/pieces/os/",
            ("http://10.0.0.5:1000/pieces/os", "http://10.0.0.5:1000", "/pieces/os"),
        ),
    ],
)
def test_an_upstream_url_is_its_origin_and_a_base_path_without_a_trailing_slash(
    url: str, expected: tuple[str, str, str]
) -> None:
    endpoint = Endpoint(url)
    assert (endpoint.url, endpoint.root, endpoint.base_path) == expected
