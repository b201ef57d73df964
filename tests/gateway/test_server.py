"""The server's side of a request: slow clients are timed out, malformed HTTP is refused, coded.

The real app behind uvicorn with the gateway's protocol (`gateway._server`),
on loopback, spoken to over raw sockets (an HTTP client library would not
send what these tests send).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from gateway import Settings, create_app
from gateway._server import protocol
from gateway.simulator import create_simulator
from tests.conftest import UPSTREAM, running_gateway
from tests.recording import Recorder
from tests.serving import demo_process, serve

HEADER_TIMEOUT = 0.25
BODY_TIMEOUT = 1.0  # longer than the header deadline: a slow body is not a slow header
# Only a hang reaches this: far above either timeout.
HANG = 10.0


@contextmanager
def gateway_server(**settings: Any) -> Iterator[tuple[str, int]]:
    simulator = create_simulator(events=2, seed=3)
    app = create_app(
        Settings(upstream=UPSTREAM, body_timeout=BODY_TIMEOUT, **settings),
        transport=httpx.ASGITransport(simulator),
    )
    with serve(app, http=protocol(HEADER_TIMEOUT)) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def exchange(address: tuple[str, int], *parts: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `parts` on one connection; read until the server closes it."""
    return parse(exchange_bytes(address, *parts))


def exchange_bytes(address: tuple[str, int], *parts: bytes) -> bytes:
    with socket.create_connection(address, timeout=HANG) as conn:
        for part in parts:
            conn.sendall(part)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def refusal(status: bytes, message: str, code: str) -> bytes:
    """The whole of what the server's own refusals send: status line, three headers, JSON."""
    body = json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, separators=(",", ":")
    ).encode()
    return (
        b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n%s" % (status, len(body), body)
    )


def parse(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.rpartition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    with gateway_server() as address:
        yield address


def _code(body: bytes) -> str:
    (error,) = json.loads(body)["errors"]
    return str(error["extensions"]["code"])


def test_headers_that_never_end_are_timed_out(address: tuple[str, int]) -> None:
    received = exchange_bytes(address, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    assert received == refusal(
        b"408 Request Timeout", "The request's headers did not arrive in time.", "REQUEST_TIMEOUT"
    )


def test_a_connection_that_sends_nothing_is_timed_out(address: tuple[str, int]) -> None:
    status, _, body = exchange(address)
    assert (status, _code(body)) == (408, "REQUEST_TIMEOUT")


def test_a_kept_alive_connection_times_its_next_request_too(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=HANG) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        first = conn.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    status, _, body = parse(received)
    assert (status, _code(body)) == (408, "REQUEST_TIMEOUT")


def test_a_body_that_never_arrives_is_timed_out(address: tuple[str, int]) -> None:
    request = (
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n"
        b"content-length: 100\r\n\r\n{"
    )
    status, headers, body = exchange(address, request)
    assert (status, _code(body), headers["connection"]) == (408, "REQUEST_TIMEOUT", "close")


def test_a_request_whose_headers_came_in_time_is_answered(address: tuple[str, int]) -> None:
    # The header deadline passes while the body is still coming: it no longer applies.
    query = json.dumps({"query": "{ __typename }"}).encode()
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(query)
    )
    with socket.create_connection(address, timeout=HANG) as conn:
        conn.sendall(head + query[:1])
        time.sleep(HEADER_TIMEOUT * 2)  # the client is slow on purpose, within the body's deadline
        conn.sendall(query[1:])
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    status, _, body = parse(received)
    assert (status, json.loads(body)) == (200, {"data": {"__typename": "Query"}})


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\nContent-Length: 1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHo st: localhost\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\nHost: localhost\r\n\r\n",
    ],
    ids=["not-http", "bad-length", "bad-header-name", "bad-version"],
)
def test_malformed_http_is_refused_in_coded_json(
    address: tuple[str, int], request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # uvicorn's logger does not propagate: the capture listens on it itself.
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="uvicorn.error"):
            received = exchange_bytes(address, request_bytes)
    finally:
        server_log.removeHandler(caplog.handler)
    assert received == refusal(
        b"400 Bad Request", "The request is not valid HTTP/1.1.", "BAD_REQUEST"
    )
    logged = {r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")}
    # With uvicorn's reason, as it words it (httptools gives it no detail).
    assert logged == {"refused a request that is not valid HTTP: Invalid HTTP request received."}


async def test_a_refused_cors_preflight_is_coded_json(upstream: Recorder) -> None:
    async with running_gateway(upstream, cors_origins=("http://app.test",)) as http:
        refused = await http.options(
            "/graphql",
            headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
        )
        allowed = await http.options(
            "/graphql",
            headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST"},
        )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/json"
    (error,) = refused.json()["errors"]
    assert error == {
        "message": "Disallowed CORS origin.",
        "extensions": {"code": "CORS_REFUSED"},
    }
    assert "access-control-allow-origin" not in refused.headers
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://app.test"


def test_the_cli_serves_with_the_gateways_protocol() -> None:
    with demo_process("--header-timeout", str(HEADER_TIMEOUT)) as demo:
        host, port = demo.url.removeprefix("http://").split(":")
        status, _, body = exchange((host, int(port)), b"GET /healthz HTTP/1.1\r\n")
    assert (status, _code(body)) == (408, "REQUEST_TIMEOUT")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nope", 404, "NOT_FOUND"),
        ("GET", "/graphql/x", 404, "NOT_FOUND"),
        ("POST", "/healthz", 405, "METHOD_NOT_ALLOWED"),
        ("PUT", "/readyz", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_the_routers_refusals_are_coded_json(
    upstream: Recorder, method: str, path: str, status: int, code: str
) -> None:
    async with running_gateway(upstream) as http:
        response = await http.request(method, path)
    assert (response.status_code, response.headers["content-type"]) == (status, "application/json")
    (error,) = response.json()["errors"]
    assert error == {
        "message": "Not Found" if status == 404 else "Method Not Allowed",  # Starlette's words
        "extensions": {"code": code},
    }
    if status == 405:
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_the_websocket_writes_of_one_loop_pass_go_out_as_one() -> None:
    from gateway._server import _Coalescing

    class Wire:
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def get_extra_info(self, name: str) -> str:
            return f"info {name}"

    wire = Wire()
    coalescing = _Coalescing(wire, asyncio.get_running_loop())  # type: ignore[arg-type]
    coalescing.write(b"alone")
    await asyncio.sleep(0)  # the end of this pass: a lone frame goes out too
    assert wire.writes == [b"alone"]
    for frame in (b"a", b"b", b"c"):
        coalescing.write(frame)
    assert wire.writes == [b"alone"]
    await asyncio.sleep(0)  # the end of this pass
    assert wire.writes == [b"alone", b"abc"]
    coalescing.write(b"d")
    coalescing.close()  # what is pending goes out before the close
    assert (wire.writes, wire.closed) == ([b"alone", b"abc", b"d"], True)
    assert coalescing.get_extra_info("peername") == "info peername"
