"""Upstream faults: each becomes its code, reads retry, the breaker opens and recovers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway._transport import parse_retry_after as _retry_after
from gateway.simulator import Faults
from tests.clock import FakeClock
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Recorder
from tests.serving import Held, free_port, serve

READ = "query($id: ID!) { workstreamEvent(id: $id) { id } }"
TAG = """mutation($id: ID!) {
  workstreamEventAssociateTag(workstreamEvent: $id, tag: "t") { __typename }
}"""


@pytest.fixture
def faults(simulator: Starlette) -> Faults:
    injected: Faults = simulator.state.faults
    return injected


@pytest.fixture
def event_id(events: dict[str, Any]) -> str:
    return next(iter(events))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fragile(upstream: Recorder, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose breaker opens after 3 failures, for half a second of `clock`."""
    async with running_gateway(
        upstream, clock=clock, breaker_threshold=3, breaker_cooldown=0.5, upstream_retries=0
    ) as http:
        yield http


def _code(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"status": 500}, "UPSTREAM_ERROR"),
        ({"status": 400}, "UPSTREAM_ERROR"),
        ({"garbage": True}, "UPSTREAM_BAD_RESPONSE"),
        ({"drop": True}, "UPSTREAM_UNAVAILABLE"),
    ],
    ids=["500", "400", "garbage", "drop"],
)
async def test_each_fault_has_its_code(
    gql: GraphQLClient, faults: Faults, event_id: str, fault: dict[str, Any], code: str
) -> None:
    for name, value in fault.items():
        setattr(faults, name, value)
    result = await gql(READ, {"id": event_id})
    assert result["data"] == {"workstreamEvent": None}
    assert _code(result) == code


async def test_a_slow_upstream_answers_within_the_timeout(
    upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.delay = 30
    async with running_gateway(upstream, upstream_timeout=0.3) as http:
        async with asyncio.timeout(10):  # a hang fails the test instead of stalling the suite
            response = await http.post(
                "/graphql", json={"query": READ, "variables": {"id": event_id}}
            )
    assert _code(response.json()) == "UPSTREAM_TIMEOUT"


async def test_reads_are_retried_through_passing_failures(
    gql: GraphQLClient, upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.status, faults.count = 503, 2
    result = await gql(READ, {"id": event_id})
    assert result == {"data": {"workstreamEvent": {"id": event_id}}}
    assert len(upstream.requests) == 3


async def test_a_retry_after_is_honoured_and_retried(
    gql: GraphQLClient, upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.status, faults.retry_after, faults.count = 503, 0.05, 1
    result = await gql(READ, {"id": event_id})
    assert "errors" not in result
    assert len(upstream.requests) == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)],
)
def test_retry_after_reads_seconds_and_dates(header: str, seconds: float | None) -> None:
    assert _retry_after(header) == seconds


async def test_mutations_are_never_retried(
    gql: GraphQLClient, upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.status, faults.count = 503, 1
    result = await gql(TAG, {"id": event_id})
    assert _code(result) == "UPSTREAM_ERROR"
    assert len(upstream.requests) == 1


async def test_the_breaker_opens_fails_fast_and_recovers(
    fragile: httpx.AsyncClient, clock: FakeClock, upstream: Recorder, faults: Faults, event_id: str
) -> None:
    async def read() -> dict[str, Any]:
        response = await fragile.post(
            "/graphql", json={"query": READ, "variables": {"id": event_id}}
        )
        return dict(response.json())

    assert (await fragile.get("/readyz")).status_code == 200
    faults.drop = True
    for _ in range(3):
        assert _code(await read()) == "UPSTREAM_UNAVAILABLE"
    upstream.clear()
    opened = await read()
    assert _code(opened) == "UPSTREAM_UNAVAILABLE"
    assert "few seconds" in opened["errors"][0]["message"]
    assert upstream.requests == []  # failed fast: Pieces OS was not asked
    readyz = await fragile.get("/readyz")
    assert (readyz.status_code, readyz.json()) == (
        503,
        {"status": "unavailable", "breaker": "opened"},
    )

    faults.clear()
    clock.advance(0.25)
    assert "few seconds" in (await read())["errors"][0]["message"]  # still cooling down
    assert upstream.requests == []
    clock.advance(0.25)  # the cool-down is over: a probe goes through
    assert await read() == {"data": {"workstreamEvent": {"id": event_id}}}
    readyz = await fragile.get("/readyz")
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ready", "breaker": "closed"})


async def test_ordinary_upstream_errors_do_not_open_the_breaker(
    fragile: httpx.AsyncClient, upstream: Recorder
) -> None:
    for _ in range(5):
        response = await fragile.post("/graphql", json={"query": READ, "variables": {"id": "nope"}})
        assert _code(response.json()) == "NOT_FOUND"
    assert (await fragile.get("/readyz")).json()["breaker"] == "closed"


async def test_overload_waits_a_bounded_time_then_says_busy(
    simulator: Starlette, faults: Faults, event_id: str
) -> None:
    faults.delay = 0.5
    with serve(simulator) as base_url:
        async with running_gateway(
            None,
            upstream=base_url,
            upstream_max_connections=1,
            upstream_queue_timeout=0.1,
            upstream_retries=0,
        ) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/graphql", json={"query": READ, "variables": {"id": event_id}})
                    for _ in range(4)
                )
            )
    codes = sorted(
        r.json()["errors"][0]["extensions"]["code"] if "errors" in r.json() else "OK"
        for r in responses
    )
    assert all(r.status_code == 200 for r in responses)
    assert "UPSTREAM_BUSY" in codes


async def test_a_full_pool_is_no_verdict_on_pieces_os(simulator: Starlette, event_id: str) -> None:
    held = Held(simulator)
    request = {"query": READ, "variables": {"id": event_id}}
    with serve(held) as base_url:
        async with running_gateway(
            None,
            upstream=base_url,
            upstream_max_connections=1,
            upstream_queue_timeout=0.1,
            upstream_retries=0,
            breaker_threshold=1,
        ) as http:
            first = asyncio.create_task(http.post("/graphql", json=request))
            try:
                assert await asyncio.to_thread(held.arrived.wait, 10)  # it has the connection
                busy = await http.post("/graphql", json=request)
                assert _code(busy.json()) == "UPSTREAM_BUSY"
                # One failure would open this breaker: waiting for our own pool is none.
                assert (await http.get("/readyz")).json()["breaker"] == "closed"
            finally:
                held.release.set()
            assert (await first).json() == {"data": {"workstreamEvent": {"id": event_id}}}


async def test_without_the_batch_endpoint_reads_still_work(
    gql: GraphQLClient, faults: Faults, events: dict[str, Any]
) -> None:
    faults.no_batch = True
    ids = list(events)[:3]
    result = await gql("query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }", {"ids": ids})
    assert [e["id"] for e in result["data"]["workstreamEvents"]] == ids


async def test_a_restarted_pieces_os_is_back_in_use_without_restarting_the_gateway(
    simulator: Starlette, clock: FakeClock, event_id: str
) -> None:
    port = free_port()
    async with running_gateway(
        None,
        clock=clock,
        upstream=f"http://127.0.0.1:{port}",
        breaker_threshold=2,
        breaker_cooldown=0.5,
    ) as http:
        request = {"query": READ, "variables": {"id": event_id}}
        # Nothing listens yet: refused, then the breaker opens.
        assert _code((await http.post("/graphql", json=request)).json()) == "UPSTREAM_UNAVAILABLE"
        assert (await http.get("/readyz")).status_code == 503
        for _ in range(2):  # up, down, up again
            with serve(simulator, port):
                clock.advance(0.5)  # the cool-down
                answer = (await http.post("/graphql", json=request)).json()
                assert answer == {"data": {"workstreamEvent": {"id": event_id}}}
                assert (await http.get("/readyz")).status_code == 200
            gone = (await http.post("/graphql", json=request)).json()
            assert _code(gone) == "UPSTREAM_UNAVAILABLE"


async def test_a_retry_after_past_the_deadline_answers_with_the_upstream_error(
    upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.status, faults.retry_after = 503, 3600
    async with running_gateway(upstream, upstream_timeout=5) as http:
        async with asyncio.timeout(4):  # it must not sit out the hour, nor the deadline
            response = await http.post(
                "/graphql", json={"query": READ, "variables": {"id": event_id}}
            )
    assert response.json()["errors"][0]["extensions"] == {"code": "UPSTREAM_ERROR", "status": 503}
    assert len(upstream.requests) == 1


async def test_fields_cancelled_by_a_failing_sibling_do_not_open_the_breaker(
    fragile: httpx.AsyncClient, faults: Faults, events: dict[str, Any]
) -> None:
    # graphql-core cancels the other root fields when one fails: those upstream
    # calls end cancelled, which says nothing about Pieces OS.
    faults.delay = 0.05
    pages = " ".join(
        f"p{i}: workstreamEventsConnection(first: 1) {{ totalCount }}" for i in range(5)
    )
    query = f"{{ bad: workstreamEventsConnection(first: -1) {{ totalCount }} {pages} }}"
    for _ in range(3):
        await fragile.post("/graphql", json={"query": query})
    faults.clear()
    assert (await fragile.get("/readyz")).json()["breaker"] == "closed"
    event_id = next(iter(events))
    ok = await fragile.post("/graphql", json={"query": READ, "variables": {"id": event_id}})
    assert ok.json() == {"data": {"workstreamEvent": {"id": event_id}}}
