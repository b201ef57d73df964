"""Upstream faults: each becomes its code, reads retry, the breaker opens and recovers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway._resilience import Breaker, CircuitOpen, _backoff
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
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_TIMEOUT"
    assert error["message"] == "Pieces OS did not answer within 0.3 seconds."


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


# The breaker and the back-off, on their own ------------------------------------

_OPEN = "Pieces OS failed repeatedly; the gateway is giving it a few seconds before asking again."


def _opened(clock: FakeClock) -> Breaker:
    breaker = Breaker(threshold=2, cooldown=1.0, clock=clock)
    for _ in range(2):
        breaker.admit()
        breaker.failed()
    assert breaker.state == "opened"
    return breaker


def test_a_half_open_breaker_lets_one_probe_through_at_a_time(clock: FakeClock) -> None:
    breaker = _opened(clock)
    with pytest.raises(CircuitOpen) as refused:
        breaker.admit()
    assert refused.value.message == _OPEN
    clock.advance(1.0)
    assert breaker.state == "half-opened"
    breaker.admit()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.admit()  # another call while the probe is out
    breaker.abandoned()  # the probe was cancelled: no verdict, the slot is free
    breaker.admit()
    breaker.failed()  # the probe failed: open again, for a whole cool-down
    assert breaker.state == "opened"
    clock.advance(1.0)
    breaker.admit()
    breaker.succeeded()
    assert breaker.state == "closed"
    breaker.admit()
    breaker.admit()  # closed: every call goes through


def test_a_breaker_recovers_each_time_it_opens(clock: FakeClock) -> None:
    breaker = Breaker(threshold=1, cooldown=1.0, clock=clock)
    for _ in range(3):
        breaker.admit()
        breaker.failed()
        clock.advance(1.0)
        breaker.admit()  # a probe, each time
        with pytest.raises(CircuitOpen):
            breaker.admit()
        breaker.succeeded()
        assert breaker.state == "closed"


def test_a_failure_below_the_threshold_is_forgotten_after_a_success(clock: FakeClock) -> None:
    breaker = Breaker(threshold=2, cooldown=1.0, clock=clock)
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("retry", "delay"), [(0, 0.05), (1, 0.1), (2, 0.2), (3, 0.4), (5, 1.6), (6, 2.0), (9, 2.0)]
)
def test_the_back_off_doubles_up_to_its_cap_with_a_jitter_of_a_tenth(
    retry: int, delay: float
) -> None:
    waits = [_backoff(retry) for _ in range(200)]
    assert all(delay <= wait <= delay + 0.1 for wait in waits)
    assert max(waits) > delay + 0.09 and min(waits) < delay + 0.01  # the whole tenth


async def test_a_read_is_tried_once_and_then_as_often_as_its_retries(
    upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.status = 503  # every time
    async with running_gateway(upstream, upstream_retries=2) as http:
        response = await http.post("/graphql", json={"query": READ, "variables": {"id": event_id}})
    assert _code(response.json()) == "UPSTREAM_ERROR"
    assert len(upstream.requests) == 3


async def test_a_dropped_read_is_retried_and_a_dropped_write_is_not(
    gql: GraphQLClient, upstream: Recorder, faults: Faults, event_id: str
) -> None:
    faults.drop, faults.count = True, 1
    assert await gql(READ, {"id": event_id}) == {"data": {"workstreamEvent": {"id": event_id}}}
    assert len(upstream.requests) == 2
    upstream.clear()
    faults.drop, faults.count = True, 1
    assert _code(await gql(TAG, {"id": event_id})) == "UPSTREAM_UNAVAILABLE"
    assert len(upstream.requests) == 1
