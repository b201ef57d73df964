"""Subscriptions over graphql-transport-ws: changes made on the simulator, as another app would.

The real app behind uvicorn on loopback (tests/serving.py), in front of the
simulator over httpx's transport seam; a `websockets` client speaks the
protocol. Changes are written to the simulator's store directly, never
through the gateway (but for the one test that a write through the gateway
polls at once).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from gateway import Settings, create_app
from gateway._server import GatewayWebSocketProtocol
from gateway.simulator import create_simulator
from tests.conftest import UPSTREAM
from tests.recording import Recorder
from tests.serving import free_port, serve, stop, wait_until_up

HANG = 10.0  # only a hang reaches it
CHANGES = """subscription($since: DateTime) {
  workstreamEventChanges(since: $since) { kind id at workstreamEvent { id readable } }
}"""


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=3, seed=5)


@pytest.fixture
def gateway_url(simulator: Starlette) -> Iterator[str]:
    settings = Settings(
        upstream=UPSTREAM,
        live_interval=0.05,
        live_deletion_scan=0.05,
        cors_origins=("http://app.test",),
    )
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as url:
        yield url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def connected(url: str, **headers: str) -> AsyncIterator[Any]:
    async with websockets.connect(
        url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
    ) as socket:
        assert socket.subprotocol == "graphql-transport-ws"  # the handshake's answer names it
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        yield socket


async def next_message(socket: Any) -> dict[str, Any]:
    """The next message that is not a ping."""
    async with asyncio.timeout(HANG):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message["type"] != "ping":
                return message


async def subscribe(
    socket: Any, query: str, variables: dict[str, Any] | None = None, id: str = "1"
) -> None:
    payload = {"query": query, "variables": variables or {}}
    await socket.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))


def store(simulator: Starlette) -> Any:
    return simulator.state.store


async def test_changes_made_on_pieces_os_arrive_created_updated_deleted(
    gateway_url: str, simulator: Starlette
) -> None:
    async with connected(gateway_url) as socket:
        await subscribe(socket, CHANGES)
        existing = next(iter(store(simulator).events.values()))
        await _until_polled(gateway_url)  # the feed has started: changes count from here
        changed = {**existing, "readable": "changed elsewhere"}
        store(simulator).update(changed)
        message = await next_message(socket)
        change = message["payload"]["data"]["workstreamEventChanges"]
        assert (change["kind"], change["id"]) == ("UPDATED", existing["id"])
        assert change["workstreamEvent"] == {"id": existing["id"], "readable": "changed elsewhere"}
        created = store(simulator).create({"application": existing["application"], "trigger": {}})
        change = (await next_message(socket))["payload"]["data"]["workstreamEventChanges"]
        assert (change["kind"], change["id"]) == ("CREATED", created["id"])
        assert change["at"] == created["updated"]["value"]  # as Pieces OS wrote it
        store(simulator).delete(created["id"])
        change = (await next_message(socket))["payload"]["data"]["workstreamEventChanges"]
        assert change == {
            "kind": "DELETED",
            "id": created["id"],
            "at": None,
            "workstreamEvent": None,
        }


async def _polls(ws_url: str) -> float:
    """How many times the change feed has polled, as its metrics say."""
    metrics = ws_url.replace("ws://", "http://").removesuffix("/graphql") + "/metrics"
    name = "pieces_gateway_change_poll_duration_seconds_count"
    async with httpx.AsyncClient() as http:
        text = (await http.get(metrics, headers={"host": "localhost"})).text
    counts = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(name)]
    return counts[0] if counts else 0.0


async def _until_polled(ws_url: str, polls: float = 1) -> None:
    """Until the change feed has polled `polls` times, with a deadline."""
    async with asyncio.timeout(HANG):
        while await _polls(ws_url) < polls:
            await asyncio.sleep(0.01)  # polling, with a deadline


async def test_a_cross_origin_handshake_is_refused_with_a_code(gateway_url: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            gateway_url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers={"Origin": "http://evil.test"},
        ):
            pass
    response = refused.value.response
    assert response.status_code == 403
    (error,) = json.loads(response.body)["errors"]
    assert error == {
        "message": "This origin may not subscribe (see --cors-origins).",
        "extensions": {"code": "FORBIDDEN_ORIGIN"},
    }


async def test_a_socket_without_the_subprotocol_is_refused_with_a_code(gateway_url: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(gateway_url):
            pass
    response = refused.value.response
    assert response.status_code == 400
    (error,) = json.loads(response.body)["errors"]
    assert error == {
        "message": "Subscriptions speak the graphql-transport-ws subprotocol.",
        "extensions": {"code": "BAD_REQUEST"},
    }


@pytest.mark.parametrize(
    ("headers", "subprotocols", "reason"),
    [
        (
            [(b"origin", b"http://evil.test")],
            ["graphql-transport-ws"],
            "This origin may not subscribe (see --cors-origins).",
        ),
        ([], [], "Subscriptions speak the graphql-transport-ws subprotocol."),
    ],
    ids=["cross-origin", "no-subprotocol"],
)
async def test_where_no_denial_can_be_sent_a_refused_socket_is_closed_with_the_reason(
    simulator: Starlette, headers: list[tuple[bytes, bytes]], subprotocols: list[str], reason: str
) -> None:
    # A server without the ASGI denial-response extension (uvicorn has it) cannot
    # answer before the upgrade: the socket is closed unaccepted, 1008, in the same words.
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
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
        "headers": [(b"host", b"localhost:8000"), *headers],
        "subprotocols": subprotocols,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    async with LifespanManager(app) as manager:
        await asyncio.wait_for(manager.app(scope, receive, send), HANG)
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": reason}]


async def test_an_allowed_origin_subscribes(gateway_url: str) -> None:
    async with connected(gateway_url, Origin="http://app.test") as socket:
        await subscribe(socket, "subscription { workstreamEventChanges { id } }")


async def test_a_subscription_over_the_limits_is_refused_with_its_code(gateway_url: str) -> None:
    async with connected(gateway_url) as socket:
        query = "subscription { workstreamEventChanges { " + "a: id " * 40 + "} }"
        await subscribe(socket, query)
        message = await next_message(socket)
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (
            {"query": "query A { __typename } query B { b: __typename }", "operationName": "B"},
            {"data": {"b": "Query"}},
        ),
        (
            {"query": '{ workstreamEvent(id: "gone") { id } }'},
            {
                "data": {"workstreamEvent": None},
                "errors": [
                    {
                        "message": "No workstream event has the id 'gone'.",
                        "locations": [{"line": 1, "column": 3}],
                        "path": ["workstreamEvent"],
                        "extensions": {"code": "NOT_FOUND", "id": "gone"},
                    }
                ],
            },
        ),
    ],
    ids=["by-its-operation-name", "with-its-errors"],
)
async def test_a_query_over_the_socket_is_answered_once(
    gateway_url: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    async with connected(gateway_url) as socket:
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        assert await next_message(socket) == {"id": "1", "type": "next", "payload": answer}
        assert await next_message(socket) == {"id": "1", "type": "complete"}


async def test_a_mutation_over_the_socket_runs_under_the_sockets_request_id(
    simulator: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    # A mutation is not refused as over GET; the handshake's X-Request-ID is the
    # operation's, upstream and in its log line, as a POST's is.
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    upstream = Recorder(simulator)
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    event = next(iter(store(simulator).events.values()))
    mutation = """mutation Bump($id: ID!) {
      workstreamEventScoresIncrement(workstreamEvent: $id, seededScoreIncrement: {})
      { workstreamEventId } }"""
    with serve(app) as http_url:
        ws_url = http_url.replace("http://", "ws://") + "/graphql"
        async with connected(ws_url, **{"X-Request-ID": "socket-7"}) as socket:
            await subscribe(socket, mutation, {"id": event["id"]})
            assert await next_message(socket) == {
                "id": "1",
                "type": "next",
                "payload": {
                    "data": {"workstreamEventScoresIncrement": {"workstreamEventId": event["id"]}}
                },
            }
            assert await next_message(socket) == {"id": "1", "type": "complete"}
    assert [(r.method, r.headers["x-request-id"]) for r in upstream.requests] == [
        ("POST", "socket-7")
    ]
    (logged,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert (logged.__dict__["operation"], logged.__dict__["request_id"]) == ("Bump", "socket-7")


async def test_a_subscription_over_http_is_refused_with_a_code(simulator: Starlette) -> None:
    from tests.conftest import running_gateway

    async with running_gateway(simulator) as http:
        response = await http.post("/graphql", json={"query": CHANGES})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_NEEDS_WEBSOCKET"
    assert response.json()["errors"][0]["message"] == (
        "Subscriptions are served over WebSocket (graphql-transport-ws) at this path,"
        " or over HTTP to an Accept of multipart/mixed (Apollo's"
        ' multipart/mixed;subscriptionSpec="1.0", or plain).'
    )


async def test_a_write_through_the_gateway_is_seen_at_once(simulator: Starlette) -> None:
    settings = Settings(upstream=UPSTREAM, live_interval=3600)  # no poll but the first
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    event = next(iter(store(simulator).events.values()))
    with serve(app) as http_url:
        ws_url = http_url.replace("http://", "ws://") + "/graphql"
        async with connected(ws_url) as socket:
            await subscribe(socket, CHANGES)
            await _until_polled(ws_url)
            mutation = """mutation($id: ID!) {
              workstreamEventScoresIncrement(workstreamEvent: $id, seededScoreIncrement: {})
              { workstreamEventId } }"""
            async with httpx.AsyncClient(base_url=http_url, headers={"host": "localhost"}) as http:
                answer = await http.post(
                    "/graphql", json={"query": mutation, "variables": {"id": event["id"]}}
                )
            assert "errors" not in answer.json(), answer.text
            change = (await next_message(socket))["payload"]["data"]["workstreamEventChanges"]
            assert (change["kind"], change["id"]) == ("UPDATED", event["id"])


async def test_the_event_subscription_starts_with_the_event_and_ends_with_its_deletion(
    gateway_url: str, simulator: Starlette
) -> None:
    event = next(iter(store(simulator).events.values()))
    query = "subscription($id: ID!) { workstreamEvent(id: $id) { id readable } }"
    async with connected(gateway_url) as socket:
        await subscribe(socket, query, {"id": event["id"]})
        first = await next_message(socket)
        assert first["payload"]["data"]["workstreamEvent"]["id"] == event["id"]
        await _until_polled(gateway_url)
        store(simulator).update({**event, "readable": "now this"})
        second = await next_message(socket)
        assert second["payload"]["data"]["workstreamEvent"]["readable"] == "now this"
        store(simulator).delete(event["id"])
        last = await next_message(socket)
        assert last["type"] == "next"
        assert [e["extensions"]["code"] for e in last["payload"]["errors"]] == ["NOT_FOUND"]
        assert (await next_message(socket)) == {"id": "1", "type": "complete"}


MULTIPART = 'multipart/mixed;subscriptionSpec="1.0", application/json'


def parts(body: bytes) -> list[Any]:
    """The JSON of each part of a multipart/mixed body with the boundary `graphql`."""
    chunks = body.split(b"\r\n--graphql")
    found = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        _, _, payload = chunk.partition(b"\r\n\r\n")
        found.append(json.loads(payload))
    return found


async def test_a_subscription_over_http_multipart_streams_changes(
    gateway_url: str, simulator: Starlette
) -> None:
    http_url = gateway_url.replace("ws://", "http://").removesuffix("/graphql")
    event = next(iter(store(simulator).events.values()))
    query = "subscription($id: ID!) { workstreamEvent(id: $id) { id readable } }"
    received = b""
    async with (
        httpx.AsyncClient(base_url=http_url, headers={"host": "localhost"}) as http,
        http.stream(
            "POST",
            "/graphql",
            json={"query": query, "variables": {"id": event["id"]}},
            headers={"accept": MULTIPART},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == (
            'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
        )
        chunks = response.aiter_bytes()
        async with asyncio.timeout(HANG):
            while b'"readable"' not in received:
                received += await anext(chunks)
            await _until_polled(gateway_url)
            store(simulator).update({**event, "readable": "over multipart"})
            while b"over multipart" not in received:
                received += await anext(chunks)
            store(simulator).delete(event["id"])
            async for chunk in chunks:
                received += chunk
    payloads = [p["payload"] for p in parts(received) if p]  # {} is a heartbeat
    assert payloads[0]["data"]["workstreamEvent"]["id"] == event["id"]
    assert payloads[1]["data"]["workstreamEvent"]["readable"] == "over multipart"
    assert payloads[2]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert received.endswith(b"\r\n--graphql--\r\n")


_GONE = (
    b'"data":null,"errors":[{"message":"No workstream event has the id \'gone\'.",'
    b'"path":["workstreamEvent"],"extensions":{"code":"NOT_FOUND","id":"gone"}}]'
)


@pytest.mark.parametrize(
    ("accept", "content_type", "result"),
    [
        (
            MULTIPART,
            'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
            b'{"payload":{%s}}',
        ),
        (  # Apollo Client's HttpLink
            'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
            'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
            b'{"payload":{%s}}',
        ),
        ("application/json, multipart/mixed", 'multipart/mixed;boundary="graphql"', b"{%s}"),
        ("application/json,Multipart/Mixed", 'multipart/mixed;boundary="graphql"', b"{%s}"),
    ],
    ids=["apollo", "apollo-client", "plain", "plain-unspaced"],
)
async def test_a_multipart_subscription_is_of_the_flavour_its_accept_takes(
    simulator: Starlette, accept: str, content_type: str, result: bytes
) -> None:
    # A subscription that ends at its first result: the whole stream, in one answer.
    from tests.conftest import running_gateway

    query = 'subscription { workstreamEvent(id: "gone") { id } }'
    async with running_gateway(simulator) as http:
        response = await http.post("/graphql", json={"query": query}, headers={"accept": accept})
    assert response.status_code == 200
    assert (response.headers["content-type"], response.headers["cache-control"]) == (
        content_type,
        "no-store",  # each part is news: no cache may answer with it
    )
    assert response.content == (
        b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
        + result % _GONE
        + b"\r\n--graphql--\r\n"
    )


async def test_a_multipart_subscription_refused_by_the_limits_is_a_json_answer(
    simulator: Starlette,
) -> None:
    from tests.conftest import running_gateway

    query = "subscription { workstreamEventChanges { " + "a: id " * 40 + "} }"
    async with running_gateway(simulator) as http:
        response = await http.post("/graphql", json={"query": query}, headers={"accept": MULTIPART})
    assert response.json()["errors"][0]["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"


async def test_an_idle_stream_has_heartbeats_and_ends_quietly_when_the_client_leaves(
    simulator: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(upstream=UPSTREAM, keep_alive=0.05, live_interval=3600)
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    # uvicorn's loggers as the gateway's command line leaves them: they reach the root's.
    with serve(app, log_config=None) as http_url:
        async with httpx.AsyncClient(base_url=http_url, headers={"host": "localhost"}) as http:
            body = {"query": "subscription { workstreamEventChanges { id } }"}
            async with http.stream(
                "POST", "/graphql", json=body, headers={"accept": MULTIPART}
            ) as response:
                received = b""
                chunks = response.aiter_bytes()
                async with asyncio.timeout(HANG):
                    while received.count(b"\r\n\r\n{}") < 2:  # two heartbeats, nothing else
                        received += await anext(chunks)
            # The client has gone: the subscription ends, and with it the feed's poller.
            async with asyncio.timeout(HANG):
                while "pieces_gateway_subscriptions 0.0" not in (await http.get("/metrics")).text:
                    await asyncio.sleep(0.01)  # polling, with a deadline
        async with connected(http_url.replace("http://", "ws://") + "/graphql") as socket:
            assert (await asyncio.wait_for(socket.recv(), HANG)) == '{"type":"ping"}'
    # The server has finished with both: neither the stream nor the socket left an error.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_shutdown_closes_every_subscriber_with_going_away() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "demo", "--events", "3", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 30)
        url = f"ws://127.0.0.1:{port}/graphql"
        async with AsyncExitStack() as stack:
            sockets = [await stack.enter_async_context(connected(url)) for _ in range(3)]
            # The client offers per-message deflate; the gateway declines (gateway/_cli.py).
            assert sockets[0].response.headers.get("sec-websocket-extensions") is None
            for n, socket in enumerate(sockets):
                await subscribe(socket, "subscription { workstreamEventChanges { id } }", id=str(n))
            await _until_polled(url)
            process.terminate()  # SIGTERM, as a service manager stops it
            for socket in sockets:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await next_message(socket)
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 1001
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert process.wait(timeout=HANG) == -signal.SIGTERM
    finally:
        stop(process)


async def test_a_server_shutting_down_in_process_closes_subscribers_with_going_away(
    simulator: Starlette,
) -> None:
    # The gateway's websocket protocol, served in this process (the test above is the CLI's).
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
    with ExitStack() as serving:
        ws_url = serving.enter_context(serve(app, ws=GatewayWebSocketProtocol)).replace(
            "http://", "ws://"
        )
        async with connected(ws_url + "/graphql") as socket:
            await subscribe(socket, "subscription { workstreamEventChanges { id } }")
            await _until_polled(ws_url + "/graphql")  # the subscription is live
            # uvicorn's shutdown waits for the socket to close: off this loop, which answers it.
            stopped = asyncio.create_task(asyncio.to_thread(serving.close))
            try:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await next_message(socket)
            finally:
                await stopped
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        1001,
        "The gateway is shutting down.",
    )


async def test_the_per_connection_limit_refuses_with_a_code(simulator: Starlette) -> None:
    settings = Settings(upstream=UPSTREAM, max_subscriptions_per_connection=1)
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as http_url:
        async with connected(http_url.replace("http://", "ws://") + "/graphql") as socket:
            await subscribe(socket, "subscription { workstreamEventChanges { id } }", id="a")
            await subscribe(socket, "subscription { workstreamEventChanges { id } }", id="b")
            refused = await next_message(socket)
    assert refused == {
        "id": "b",
        "type": "error",
        "payload": [
            {
                "message": "One connection may carry 1 operations at once.",
                "extensions": {"code": "MAX_SUBSCRIPTIONS_EXCEEDED"},
            }
        ],
    }


async def test_the_process_limit_refuses_with_a_code(simulator: Starlette) -> None:
    settings = Settings(upstream=UPSTREAM, max_subscriptions=1)
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as http_url:
        url = http_url.replace("http://", "ws://") + "/graphql"
        async with connected(url) as first, connected(url) as second:
            await subscribe(first, "subscription { workstreamEventChanges { id } }")
            await _until_polled(url)
            await subscribe(second, "subscription { workstreamEventChanges { id } }")
            refused = await next_message(second)
    errors = refused["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["MAX_SUBSCRIPTIONS_EXCEEDED"]


async def test_a_connection_that_never_inits_is_closed(simulator: Starlette) -> None:
    settings = Settings(upstream=UPSTREAM, connection_init_timeout=0.1)
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as http_url:
        async with websockets.connect(
            http_url.replace("http://", "ws://") + "/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        ) as socket:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await next_message(socket)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


async def test_the_gateways_own_page_may_subscribe(gateway_url: str) -> None:
    # GraphiQL, served by the gateway: its origin is the gateway's.
    port = gateway_url.split(":")[2].split("/")[0]
    async with connected(gateway_url, Origin=f"http://127.0.0.1:{port}") as socket:
        await subscribe(socket, "subscription { workstreamEventChanges { id } }")


async def test_behind_tls_the_gateways_own_page_has_an_https_origin(simulator: Starlette) -> None:
    # A proxy that ends TLS says so (`X-Forwarded-Proto: https`, trusted here): the socket is
    # `wss`, the page the gateway served came from https://<host>, and http://<host> is foreign.
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
    with serve(app, proxy_headers=True, forwarded_allow_ips="*") as url:
        host, ws = url.removeprefix("http://"), url.replace("http://", "ws://") + "/graphql"
        tls = {"X-Forwarded-Proto": "https"}
        async with connected(ws, Origin=f"https://{host}", **tls) as socket:
            await subscribe(socket, "subscription { workstreamEventChanges { id } }")
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connected(ws, Origin=f"http://{host}", **tls):
                pass
        assert refused.value.response.status_code == 403


async def test_plain_multipart_carries_bare_results_and_no_heartbeats(simulator: Starlette) -> None:
    # GraphiQL's fetcher asks for `multipart/mixed` and reads each part as a result.
    settings = Settings(
        upstream=UPSTREAM, keep_alive=0.01, live_interval=0.05, live_deletion_scan=0.05
    )
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    event = next(iter(store(simulator).events.values()))
    query = "subscription($id: ID!) { workstreamEvent(id: $id) { id } }"
    with serve(app) as http_url:
        async with (
            httpx.AsyncClient(
                base_url=http_url, headers={"host": "localhost"}, timeout=HANG
            ) as http,
            http.stream(
                "POST",
                "/graphql",
                json={"query": query, "variables": {"id": event["id"]}},
                headers={"accept": "application/json, multipart/mixed"},
            ) as response,
        ):
            assert response.headers["content-type"] == 'multipart/mixed;boundary="graphql"'
            received = b""
            chunks = response.aiter_bytes()
            async with asyncio.timeout(HANG):
                while b'"id"' not in received:
                    received += await anext(chunks)
                # Three polls more: the last starts a poll interval (five heartbeats'
                # worth, were there heartbeats) after the first part was sent.
                ws_url = http_url.replace("http://", "ws://") + "/graphql"
                await _until_polled(ws_url, await _polls(ws_url) + 3)
                store(simulator).delete(event["id"])
                async for chunk in chunks:
                    received += chunk
    found = parts(received)
    assert found[0] == {"data": {"workstreamEvent": {"id": event["id"]}}}
    assert found[1]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert len(found) == 2  # no heartbeat parts, though five intervals passed


async def test_a_ping_to_a_peer_gone_without_a_close_frame_ends_quietly() -> None:
    # The handler learns of the loss when it next reads; a ping may be sent first.
    from strawberry.http.exceptions import WebSocketDisconnected

    from gateway._live import LiveEndpoint

    class Gone:
        connection_acknowledged = True

        async def send_message(self, message: object) -> None:
            raise WebSocketDisconnected

    live = LiveEndpoint(
        None,  # type: ignore[arg-type]
        allowed_origins=(),
        init_timeout=1,
        max_per_connection=1,
        keep_alive=0,
    )
    await asyncio.wait_for(live._ping(Gone()), HANG)  # type: ignore[arg-type]


async def test_sockets_past_their_limit_are_refused_before_the_upgrade(
    simulator: Starlette,
) -> None:
    # An idle socket costs a task and buffers too, subscribed or not.
    settings = Settings(upstream=UPSTREAM, max_websockets=2)
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as http_url:
        url = http_url.replace("http://", "ws://") + "/graphql"
        refusals = []
        for _ in range(2):  # the second time, in the two places the first pair freed
            async with connected(url), connected(url):
                with pytest.raises(websockets.InvalidStatus) as refused:
                    async with connected(url):
                        pass
            refusals.append(refused.value.response)
    for response in refusals:
        assert response.status_code == 503
        assert json.loads(response.body) == {
            "errors": [
                {
                    "message": "The gateway holds 2 WebSockets at most.",
                    "extensions": {"code": "MAX_CONNECTIONS_EXCEEDED"},
                }
            ]
        }


async def _first_result(http: httpx.AsyncClient, body: dict[str, Any]) -> tuple[Any, str]:
    """The first result of a multipart subscription, and the request's id; then it leaves."""
    async with http.stream("POST", "/graphql", json=body, headers={"accept": MULTIPART}) as sent:
        assert sent.headers["content-type"].startswith("multipart/mixed"), sent.headers
        received = b""
        chunks = sent.aiter_bytes()
        async with asyncio.timeout(HANG):
            while b'"payload"' not in received:  # a part is sent whole, in one chunk
                received += await anext(chunks)
        whole = received.removesuffix(b"\r\n--graphql") + b"\r\n--graphql--"  # as if it ended
        results = [p["payload"] for p in parts(whole) if p]  # {} is a heartbeat
        return results[0], sent.headers["x-request-id"]


async def test_a_persisted_subscription_runs_by_its_hash_and_operation_name(
    simulator: Starlette,
) -> None:
    event = next(iter(store(simulator).events.values()))
    query = (
        "subscription A($id: ID!) { workstreamEvent(id: $id) { readable } }"
        " subscription B($id: ID!) { workstreamEvent(id: $id) { id } }"
    )
    digest = hashlib.sha256(query.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    request = {"variables": {"id": event["id"]}, "operationName": "B", "extensions": persisted}
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
    with serve(app) as http_url:
        async with httpx.AsyncClient(base_url=http_url, headers={"host": "localhost"}) as http:
            first, _ = await _first_result(http, {**request, "query": query})
            by_hash, _ = await _first_result(http, request)
    assert first == by_hash == {"data": {"workstreamEvent": {"id": event["id"]}}}


async def test_a_subscription_is_logged_as_it_starts_and_as_it_ends(
    simulator: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    event = next(iter(store(simulator).events.values()))
    query = "subscription Watch($id: ID!) { workstreamEvent(id: $id) { id } }"
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
    began = time.monotonic()  # the gateway's clock
    with serve(app) as http_url:
        async with httpx.AsyncClient(base_url=http_url, headers={"host": "localhost"}) as http:
            body = {"query": query, "variables": {"id": event["id"]}}
            _, request_id = await _first_result(http, body)

            def logged() -> list[logging.LogRecord]:
                return [r for r in caplog.records if r.name == "pieces_gateway.operations"]

            async with asyncio.timeout(HANG):
                while len(logged()) < 2:  # the client has gone: the subscription ends
                    await asyncio.sleep(0.01)  # polling, with a deadline
    lasted = time.monotonic() - began
    started, ended = logged()
    assert started.getMessage() == "subscription Watch started"
    said = re.fullmatch(r"subscription Watch ended after (\d+\.\d) s", ended.getMessage())
    assert said is not None
    assert 0 <= float(said[1]) <= lasted + 0.05  # how long it lasted, not a clock reading
    for record in (started, ended):
        assert (record.__dict__["operation"], record.__dict__["request_id"]) == (
            "Watch",
            request_id,
        )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": None}, "No GraphQL query found."),
        ({"query": 5}, "The GraphQL operation's `query` must be a string or null."),
        ({"query": ["{ id }"]}, "The GraphQL operation's `query` must be a string or null."),
        (
            {"query": CHANGES, "variables": [1]},
            "The GraphQL operation's `variables` must be an object or null.",
        ),
        (
            {"query": CHANGES, "operationName": 5},
            "The GraphQL operation's `operationName` must be a string or null.",
        ),
    ],
    ids=["null", "a-number", "a-list", "variables-a-list", "name-a-number"],
)
async def test_a_subscribe_message_of_the_wrong_types_is_refused_with_a_code(
    gateway_url: str, payload: dict[str, Any], message: str
) -> None:
    async with connected(gateway_url) as socket:
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        assert await next_message(socket) == {
            "id": "1",
            "type": "error",
            "payload": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}],
        }
        # The socket is still of use.
        await subscribe(socket, "{ __typename }", id="2")
        assert (await next_message(socket))["payload"] == {"data": {"__typename": "Query"}}
