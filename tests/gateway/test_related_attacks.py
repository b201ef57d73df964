"""`Referenced<X>.reference` against a hostile client and a hostile upstream.

The gateway in-process, in front of the simulator or of a small upstream of
records (`Records`) whose answers a test controls, its requests recorded.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.simulator import create_simulator
from tests.conftest import running_gateway
from tests.recording import Recorder

_STAMP = {"value": "2026-01-01T00:00:00.000Z"}


def _tag(tag_id: str) -> dict[str, Any]:
    return {
        "id": tag_id,
        "text": f"text of {tag_id}",
        "category": "HANDLE",
        "created": _STAMP,
        "updated": _STAMP,
    }


class Records:
    """An upstream serving `GET /tag/{id}` and `GET /website/{id}` from `records`
    (404 for any other id), and the rest from `app`. `calls` counts each record
    asked for; while `gate` is set to an unset event, each record's answer waits
    for it (`waiting` counts them, `cancelled` those given up on)."""

    _PREFIXES: ClassVar = {"/tag/": "tags", "/website/": "websites"}

    def __init__(self, app: ASGIApp, records: dict[str, dict[str, Any]]) -> None:
        self.app, self.records = app, records
        self.calls: Counter[tuple[str, str]] = Counter()
        self.gate: asyncio.Event | None = None
        self.waiting = self.cancelled = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = next((p for p in self._PREFIXES if scope.get("path", "").startswith(p)), None)
        if scope["type"] != "http" or prefix is None:
            await self.app(scope, receive, send)
            return
        key = self._PREFIXES[prefix]
        record_id = unquote(scope["raw_path"].decode("ascii")[len(prefix) :])
        self.calls[(key, record_id)] += 1
        if self.gate is not None:
            self.waiting += 1
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
            finally:
                self.waiting -= 1
        record = self.records.get(key, {}).get(record_id)
        if record is None:
            await Response(b"{}", 404, media_type="application/json")(scope, receive, send)
            return
        body = json.dumps(record).encode()
        await Response(body, 200, media_type="application/json")(scope, receive, send)


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (polling, with a deadline) until `condition()` holds."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0)


def _events(simulator: Starlette) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = simulator.state.store.events
    return events


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _codes(result: dict[str, Any]) -> Counter[str]:
    return Counter(e["extensions"]["code"] for e in result.get("errors", []))


# A failing field does not take a record others wait on ---------------------------------


async def test_a_failing_sibling_leaves_a_shared_record_to_the_others() -> None:
    # graphql-core cancels the pending siblings of a field that failed in a
    # non-null position (here `a: node`, an event without its required
    # `application`), and cancelling a task cancels the future it awaits: the
    # one record every edge's `b: node` waits on must not be cancelled for them
    # all (it was: a CancelledError out of the whole execution, no answer).
    simulator = create_simulator(events=20, seed=7)
    events = _events(simulator)
    ids = list(events)
    ordinary = ids[10:]  # past the coverage events, which keep their own references
    store = simulator.state.store
    shared = next(iter(store.records.ids("tags")))
    for event_id in ordinary:
        events[event_id]["tags"] = {"iterable": [{"id": shared}]}
    del events[ordinary[2]]["application"]
    upstream = Recorder(simulator)
    query = """{ workstreamEventsConnection(first: 20) { edges {
      a: node { id application { id } }
      b: node { id tags { iterable { reference { text } } } }
    } } }"""
    async with running_gateway(upstream) as http:
        result = await _post(http, query)

    edges = result["data"]["workstreamEventsConnection"]["edges"]
    assert len(edges) == len(ids)
    assert sum(edge is None for edge in edges) == 1  # the broken event's edge alone
    texts = {
        item["reference"]["text"]
        for edge in edges
        if edge is not None and edge["b"]["id"] in ordinary
        for item in edge["b"]["tags"]["iterable"]
    }
    assert texts == {store.record("tags", shared)["text"]}
    assert _codes(result) == {"UPSTREAM_BAD_RESPONSE": 1}
    assert upstream.calls().count(("GET", f"/tag/{shared}")) == 1  # once for the operation


async def test_past_the_deadline_the_records_still_asked_for_are_given_up() -> None:
    # Each caller's future of a shared record is its own, but once every caller
    # has left (the operation's deadline) the record's read is cancelled too:
    # nothing keeps a connection for an operation already answered.
    simulator = create_simulator(events=20, seed=7)
    event_id = list(_events(simulator))[12]
    tags = [f"t{n}" for n in range(8)]
    _events(simulator)[event_id]["tags"] = {"iterable": [{"id": t} for t in tags * 2]}
    upstream = Records(simulator, {"tags": {t: _tag(t) for t in tags}})
    upstream.gate = asyncio.Event()
    query = """query($id: ID!) { workstreamEvent(id: $id) {
      tags { iterable { a: reference { text } b: reference { id } } }
    } }"""
    async with running_gateway(upstream, operation_timeout=0.2, upstream_concurrency=4) as http:
        result = await _post(http, query, {"id": event_id})
        assert _codes(result) == {"UPSTREAM_TIMEOUT": 1}
        await _until(lambda: upstream.waiting == 0)
        assert upstream.cancelled == 4  # the reads under way; the others never started
        upstream.gate = None
        await asyncio.sleep(0)
        assert sum(upstream.calls.values()) == 4


# A write forgets the records read before it -------------------------------------------


async def test_a_payload_read_after_a_write_never_shows_a_record_as_it_was_before() -> None:
    simulator = create_simulator(events=20, seed=7)
    store = simulator.state.store
    event_id, other = list(store.events)[12:14]
    tag = next(t for t in store.records.ids("tags"))
    store.associate(event_id, "tags", tag)
    store.events[event_id]["tags"] = {"iterable": [{"id": tag}]}
    upstream = Recorder(simulator)
    payload = """workstreamEvent { tags { iterable { reference { workstreamEvents {
      iterable { id } } } } } }"""
    bump = "seededScoreIncrement: { workstreamEvent: { update: true } }"
    query = f"""mutation($event: ID!, $other: ID!, $tag: ID!) {{
      before: workstreamEventScoresIncrement(workstreamEvent: $event, {bump}) {{ {payload} }}
      workstreamEventAssociateTag(workstreamEvent: $other, tag: $tag) {{ workstreamEventId }}
      after: workstreamEventScoresIncrement(workstreamEvent: $event, {bump}) {{ {payload} }}
    }}"""
    async with running_gateway(upstream) as http:
        result = await _post(http, query, {"event": event_id, "other": other, "tag": tag})

    assert "errors" not in result

    def pointing(alias: str) -> set[str]:
        (item,) = result["data"][alias]["workstreamEvent"]["tags"]["iterable"]
        return {each["id"] for each in item["reference"]["workstreamEvents"]["iterable"]}

    assert other not in pointing("before")
    assert other in pointing("after")
    assert upstream.calls().count(("GET", f"/tag/{tag}")) == 2
