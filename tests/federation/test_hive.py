"""Hive Gateway carries the gateway's subscriptions: changes made on Pieces OS reach its clients.

The gateway is served for real on a loopback port (tests/serving.py), in front
of the simulator, with a fast change feed; `timeline.mjs` serves the test-only
subgraph. `compose.mjs` composes the gateway's `_service { sdl }` with
timeline's (Apollo's composer), and `hive-gateway` (Node, pinned in
package.json) serves that supergraph, with `hive.config.mjs` sending the
pieces subgraph's subscriptions over WebSocket. A client subscribes through
Hive Gateway in either protocol it serves by default, SSE (GraphQL Yoga's, at
/graphql) or graphql-transport-ws (the same path); the test changes the
simulator's store directly, as another app would, and reads what the client
received. A query for the tags timeline follows reaches the gateway's tags
through Hive Gateway as well.
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import shutil
import subprocess
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    ExitStack,
    aclosing,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import Settings, create_app
from gateway.simulator import create_simulator
from tests.conftest import UPSTREAM
from tests.serving import free_port, lines_of, serve, stop, wait_until_up

HERE = Path(__file__).parent
TIMELINE = HERE.parents[1] / "supergraph" / "timeline.graphql"
NODE = shutil.which("node")
HIVE = HERE / "node_modules" / ".bin" / "hive-gateway"
HANG = 10.0  # only a hang reaches it
SUBSCRIPTIONS = "pieces_gateway_subscriptions"
POLLS = "pieces_gateway_change_poll_duration_seconds_count"

CHANGES = "subscription { workstreamEventChanges { kind id } }"
# `pinned` is timeline's: Hive Gateway resolves the entity there for each change.
JOINED = """subscription {
  workstreamEventChanges { kind id workstreamEvent { id readable pinned { readable } } }
}"""
# `followedTags` is timeline's, `text` ours: Hive Gateway fetches it from our `_entities`.
TAGS = "query($ids: [ID!]!) { followedTags(ids: $ids) { id text } }"


@dataclass(frozen=True)
class Socket:
    path: str
    subprotocols: tuple[str, ...]
    origin: str | None


@dataclass
class Sockets:
    """The gateway app, noting each WebSocket that reaches it."""

    app: ASGIApp
    opened: list[Socket] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            origin = Headers(scope=scope).get("origin")
            self.opened.append(Socket(scope["path"], tuple(scope["subprotocols"]), origin))
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class Stack:
    pieces: str  # the gateway's base URL
    hive: str  # Hive Gateway's /graphql
    store: Any  # the simulator's
    sockets: Sockets


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if NODE is None:
        pytest.skip("node is not installed (Hive Gateway runs on Node)")
    if not HIVE.exists():
        pytest.fail("tests/federation/node_modules has no hive-gateway: run `make test`")
    scratch = tmp_path_factory.mktemp("hive")
    simulator = create_simulator(events=3, seed=5)
    settings = Settings(upstream=UPSTREAM, live_interval=0.05, live_deletion_scan=0.05)
    sockets = Sockets(create_app(settings, transport=httpx.ASGITransport(simulator)))
    with ExitStack() as running:
        pieces = running.enter_context(serve(sockets))
        timeline = running.enter_context(_timeline())
        supergraph = scratch / "supergraph.graphql"
        supergraph.write_text(_compose(f"{pieces}/graphql", timeline))
        hive = running.enter_context(_hive(supergraph, scratch / "hive.log"))
        yield Stack(pieces, hive, simulator.state.store, sockets)


@contextmanager
def _timeline() -> Iterator[str]:
    """timeline.mjs on a free port, until the block ends; yields its URL."""
    assert NODE is not None
    process = subprocess.Popen(
        [NODE, "timeline.mjs", "0"],
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines, reader = lines_of(process.stderr)
    try:
        try:
            line = lines.get(timeout=HANG)  # "timeline subgraph at http://127.0.0.1:PORT/"
        except queue.Empty:
            line = None
        match = re.search(r"http://\S+", line or "")
        assert match, f"timeline.mjs did not say where it listens: {line!r}"
        yield match[0]
    finally:
        stop(process)
        reader.join(timeout=10)


def _compose(pieces: str, timeline: str) -> str:
    """The supergraph of the running gateway's SDL and timeline's, composed by Apollo."""
    answer = httpx.post(pieces, json={"query": "{ _service { sdl } }"})
    subgraphs = [
        {"name": "pieces", "url": pieces, "sdl": answer.json()["data"]["_service"]["sdl"]},
        {"name": "timeline", "url": timeline, "sdl": TIMELINE.read_text()},
    ]
    assert NODE is not None
    completed = subprocess.run(
        [NODE, "compose.mjs"],
        cwd=HERE,
        input=json.dumps({"subgraphs": subgraphs}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    apollo = json.loads(completed.stdout)["apollo"]
    assert apollo["errors"] == [], apollo["errors"]
    supergraph: str = apollo["supergraph"]
    return supergraph


@contextmanager
def _hive(supergraph: Path, log: Path) -> Iterator[str]:
    """hive-gateway serving `supergraph` on a free port, until the block ends."""
    assert NODE is not None
    port = free_port()
    argv = [NODE, str(HIVE), "supergraph", str(supergraph)]
    argv += ["--config-path", str(HERE / "hive.config.mjs")]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    with open(log, "w") as written:
        process = subprocess.Popen(
            argv, cwd=supergraph.parent, stdout=written, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            try:
                wait_until_up(f"{url}/readiness", time.monotonic() + 60, process)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{log.read_text()}") from exc
            yield f"{url}/graphql"
        finally:
            stop(process)


@asynccontextmanager
async def _sse(url: str, query: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """Subscribed over SSE (GraphQL over SSE, distinct connections) until the block ends."""
    async with (
        httpx.AsyncClient(timeout=HANG) as http,
        http.stream(
            "POST", url, json={"query": query}, headers={"accept": "text/event-stream"}
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async with aclosing(_events(response.aiter_lines())) as results:
            yield results


async def _events(lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any]]:
    """The data of each `next` event, until `complete`."""
    event, data = "message", []
    async for line in lines:
        if line.startswith(":"):  # a comment: Yoga's keep-alive
            continue
        if line:
            name, _, value = line.partition(":")
            if name == "event":
                event = value.strip()
            elif name == "data":
                data.append(value.removeprefix(" "))
            continue
        if event == "complete":
            return
        if data:
            yield json.loads("\n".join(data))
        event, data = "message", []


@asynccontextmanager
async def _websocket(url: str, query: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """Subscribed over graphql-transport-ws until the block ends."""
    async with websockets.connect(
        url.replace("http://", "ws://"),
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        async with asyncio.timeout(HANG):
            assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        payload = {"query": query}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        async with aclosing(_messages(socket)) as results:
            yield results
        await socket.send(json.dumps({"id": "1", "type": "complete"}))


async def _messages(socket: Any) -> AsyncGenerator[dict[str, Any]]:
    """The payload of each `next` message; any other but a ping fails."""
    while True:
        message = json.loads(await socket.recv())
        if message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))
        elif message["type"] == "next" and message["id"] == "1":
            yield message["payload"]
        else:
            raise AssertionError(f"unexpected: {message}")


Client = Callable[[str, str], AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]]
CLIENTS: dict[str, Client] = {"sse": _sse, "graphql-ws": _websocket}


@asynccontextmanager
async def subscribed(
    client: str, url: str, query: str
) -> AsyncIterator[Callable[[], Awaitable[dict[str, Any]]]]:
    """Subscribed through Hive Gateway until the block ends; yields `next change`."""
    async with CLIENTS[client](url, query) as results:

        async def change() -> dict[str, Any]:
            async with asyncio.timeout(HANG):
                result = await anext(results)
            assert "errors" not in result, result
            received: dict[str, Any] = result["data"]["workstreamEventChanges"]
            return received

        yield change


async def _until(
    pieces: str, ready: Callable[[dict[str, float]], bool], what: str
) -> dict[str, float]:
    """The gateway's metrics once `ready` says so, polled with a deadline."""
    deadline = time.monotonic() + HANG
    async with httpx.AsyncClient(headers={"host": "localhost"}) as http:
        while True:
            text = (await http.get(f"{pieces}/metrics")).text
            samples = {
                name: float(value)
                for name, _, value in (
                    line.rpartition(" ")
                    for line in text.splitlines()
                    if line and not line.startswith("#")
                )
            }
            if ready(samples):
                return samples
            if time.monotonic() > deadline:
                shown = {k: samples.get(k) for k in (SUBSCRIPTIONS, POLLS)}
                raise AssertionError(f"the gateway never {what}: {shown}")
            await asyncio.sleep(0.01)  # polling, with a deadline


async def _changes_made_on_pieces_os(
    stack: Stack, client: str, query: str, readable: str
) -> tuple[list[dict[str, Any]], str, str]:
    """Update an event, create one, delete it: the three changes received, and the two ids."""
    store = stack.store
    before = await _until(stack.pieces, lambda m: m[SUBSCRIPTIONS] == 0, "was left alone")
    async with subscribed(client, stack.hive, query) as change:
        # The subscription has reached the gateway and its feed has polled: changes count now.
        try:
            await _until(
                stack.pieces,
                lambda m: m[SUBSCRIPTIONS] == 1 and m[POLLS] > before[POLLS],
                "polled for the subscription",
            )
        except AssertionError:
            # What Hive Gateway sent instead: an error result fails here, and says why.
            await change()
            raise
        existing = next(iter(store.events.values()))
        store.update({**existing, "readable": readable})
        received = [await change()]
        created = store.create(
            {"application": existing["application"], "trigger": {}, "readable": "made elsewhere"}
        )
        received.append(await change())
        store.delete(created["id"])
        received.append(await change())
    await _until(stack.pieces, lambda m: m[SUBSCRIPTIONS] == 0, "ended it once the client left")
    return received, existing["id"], created["id"]


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_changes_on_pieces_os_reach_a_client_of_hive_gateway(
    client: str, stack: Stack
) -> None:
    received, updated, created = await _changes_made_on_pieces_os(
        stack, client, CHANGES, f"changed elsewhere, seen over {client}"
    )
    assert received == [
        {"kind": "UPDATED", "id": updated},
        {"kind": "CREATED", "id": created},
        {"kind": "DELETED", "id": created},
    ]
    # Hive Gateway subscribed to the subgraph over WebSocket, as a client that is not a
    # browser does: no Origin.
    assert stack.sockets.opened
    assert set(stack.sockets.opened) == {Socket("/graphql", ("graphql-transport-ws",), None)}


async def test_each_change_is_joined_with_the_timeline_subgraphs_field(stack: Stack) -> None:
    received, updated, created = await _changes_made_on_pieces_os(
        stack, "sse", JOINED, "changed elsewhere, then joined"
    )
    assert received == [
        {
            "kind": "UPDATED",
            "id": updated,
            "workstreamEvent": {
                "id": updated,
                "readable": "changed elsewhere, then joined",
                "pinned": {"readable": f"pinned {updated}"},
            },
        },
        {
            "kind": "CREATED",
            "id": created,
            "workstreamEvent": {
                "id": created,
                "readable": "made elsewhere",
                "pinned": {"readable": f"pinned {created}"},
            },
        },
        {"kind": "DELETED", "id": created, "workstreamEvent": None},
    ]


async def test_a_tag_timeline_follows_reaches_our_fields(stack: Stack) -> None:
    tag_id = next(stack.store.records.ids("tags"))
    text = stack.store.record("tags", tag_id)["text"]
    async with httpx.AsyncClient(timeout=HANG) as http:
        answer = await http.post(stack.hive, json={"query": TAGS, "variables": {"ids": [tag_id]}})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"data": {"followedTags": [{"id": tag_id, "text": text}]}}
