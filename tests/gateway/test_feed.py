"""The change feed (gateway/_feed.py), polled by hand against the simulator.

Each test drives `ChangeFeed.poll()` itself (the poller is off), with the
simulator's store changed directly, as another Pieces app would; the upstream
calls are counted by a Recorder in front of the simulator.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import AsyncIterable, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway._client import UpstreamClient
from gateway._feed import ChangeFeed, Feeds, SubscriberTooSlow, TooManySubscriptions
from gateway._loaders import SnapshotFetcher
from gateway._metrics import Metrics
from gateway._resilience import Breaker, Resilience
from gateway._tracing import Tracing
from gateway._transport import Endpoint, Transport
from schema._subscription import Change, ChangeKind
from schema.errors import BadUserInput
from tests.conftest import UPSTREAM
from tests.recording import Recorder


class Clock:
    """The simulator's and the feed's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return (self.now - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()


@pytest.fixture
def clock(simulator: Starlette) -> Clock:
    clock = Clock()
    simulator.state.store._clock = clock  # the simulator stamps writes with it
    return clock


def make_feed(recorder: Recorder, clock: Clock, **options: Any) -> ChangeFeed:
    metrics = Metrics()
    transport = Transport(
        httpx.ASGITransport(recorder),
        Endpoint(UPSTREAM),
        timeout=httpx.Timeout(5.0),
        max_response_bytes=32 * 1024 * 1024,
        metrics=metrics,
        tracing=Tracing(),
    )
    resilience = Resilience(
        transport, Breaker(threshold=100, cooldown=1.0), retries=0, deadline=5.0
    )
    fetcher = SnapshotFetcher(metrics, batch_size=2, singles=asyncio.Semaphore(4))
    return ChangeFeed(
        UpstreamClient(resilience),
        fetcher,
        metrics,
        wall_clock=clock,
        clock=clock.monotonic,
        poller=False,
        **options,
    )


def store(simulator: Starlette) -> Any:
    return simulator.state.store


async def take(stream: AsyncIterable[Change], n: int) -> list[Change]:
    """The next `n` changes (the queue has them already: no waiting on the clock)."""
    taken = []
    async with asyncio.timeout(5):
        async for change in stream:
            taken.append(change)
            if len(taken) == n:
                break
    return taken


def ready(stream: Any) -> int:
    """How many changes wait in the subscriber's queue."""
    return int(stream.pending)


def instant(moment: datetime) -> str:
    """`moment` as the feed writes it in `updated_from`: UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


async def until(condition: Callable[[], bool]) -> None:
    """Wait, with a deadline, for the feed's own poller to make `condition` true."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)  # polling, with a deadline


def full_reads(recorder: Recorder) -> int:
    """The calls that read every id (identifiers without a filter)."""
    return sum(
        r.path == "/workstream_events/identifiers" and not r.query for r in recorder.requests
    )


async def test_created_updated_deleted_in_one_round_each(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    async with feed.changes(since=None) as stream:
        await feed.poll()  # the start: everything that exists is known
        some = next(iter(store(simulator).events.values()))
        clock.tick()
        store(simulator).update({**copy.deepcopy(some), "readable": "new text"})
        created = store(simulator).create({"application": some["application"], "trigger": {}})
        await feed.poll()
        changes = await take(stream, 2)
        assert {(c.kind, c.id) for c in changes} == {
            (ChangeKind.UPDATED, some["id"]),
            (ChangeKind.CREATED, created["id"]),
        }
        updated = next(c for c in changes if c.kind is ChangeKind.UPDATED)
        assert updated.event is not None and updated.event["readable"] == "new text"
        assert updated.at == updated.event["updated"]["value"]
        store(simulator).delete(created["id"])
        clock.tick(11)  # past the deletion scan
        await feed.poll()
        (deleted,) = await take(stream, 1)
        assert (deleted.kind, deleted.id, deleted.event) == (
            ChangeKind.DELETED,
            created["id"],
            None,
        )
        clock.tick(10)  # the next deletion scan: the event is not news again
        await feed.poll()
        assert ready(stream) == 0


async def test_a_change_is_delivered_once_though_polls_overlap(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    some, other = list(store(simulator).events.values())[:2]
    async with feed.changes(since=None) as stream:
        await feed.poll()
        clock.tick(0.5)
        store(simulator).update({**copy.deepcopy(some), "readable": "once"})
        clock.tick(2)  # the overlap: later polls ask from `some`'s own instant
        store(simulator).update({**copy.deepcopy(other), "readable": "once too"})
        for _ in range(3):  # each asks from two seconds before the watermark
            await feed.poll()
        assert ready(stream) == 2
        assert {c.id for c in await take(stream, 2)} == {some["id"], other["id"]}
        await feed.poll()
        assert ready(stream) == 0


async def test_a_write_stamped_before_the_watermark_but_seen_late_is_not_lost(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    first, second = list(store(simulator).events.values())[:2]
    async with feed.changes(since=None) as stream:
        await feed.poll()
        clock.tick(1.0)
        late_stamp = clock.now
        clock.tick(0.5)
        store(simulator).update({**copy.deepcopy(first), "readable": "committed first"})
        await feed.poll()  # the watermark moves to the first write
        # A write Pieces OS stamped before that, committed only now.
        store(simulator)._clock = lambda: late_stamp
        store(simulator).update({**copy.deepcopy(second), "readable": "stamped earlier"})
        await feed.poll()
        ids = [c.id for c in await take(stream, 2)]
        assert ids == [first["id"], second["id"]]
        upstream.clear()
        await feed.poll()  # from the first write, less the overlap: the late one is older
        asked = upstream.requests[0].query["updated_from"]
        assert asked == instant(clock.now - timedelta(seconds=2))


async def test_an_outage_loses_nothing(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    some = next(iter(store(simulator).events.values()))
    async with feed.changes(since=None) as stream:
        await feed.poll()
        simulator.state.faults.status = 503
        clock.tick()
        store(simulator).update({**copy.deepcopy(some), "readable": "during the outage"})
        for _ in range(3):
            with pytest.raises(Exception):  # noqa: B017 - an UpstreamFailure, any kind
                await feed.poll()
        simulator.state.faults.clear()
        await feed.poll()
        (change,) = await take(stream, 1)
        assert change.event is not None and change.event["readable"] == "during the outage"


async def test_one_round_costs_the_same_for_one_or_a_hundred_subscribers(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    events = list(store(simulator).events.values())
    calls = []
    for subscribers in (1, 100):
        async with AsyncExitStack() as stack:
            streams = [
                await stack.enter_async_context(feed.changes(since=None))
                for _ in range(subscribers)
            ]
            await feed.poll()
            clock.tick()
            for event in events[:3]:
                store(simulator).update({**copy.deepcopy(event), "readable": f"x{subscribers}"})
            upstream.clear()
            await feed.poll()
            calls.append([(r.method, r.path) for r in upstream.requests])
            assert all(ready(stream) == 3 for stream in streams)
    # One identifiers call, and the three changed events in batches of two.
    assert calls[0] == calls[1]
    assert [path for _, path in calls[0]] == [
        "/workstream_events/identifiers",
        "/workstream_events/batch/fetch",
        "/workstream_events/batch/fetch",
    ]


async def test_changes_to_one_event_coalesce_and_a_slow_subscriber_is_ended(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock, max_pending=2)
    events = list(store(simulator).events.values())
    async with feed.changes(since=None) as stream:
        await feed.poll()
        for text in ("one", "two"):
            clock.tick()
            store(simulator).update({**copy.deepcopy(events[0]), "readable": text})
            await feed.poll()
        assert ready(stream) == 1  # the second change replaced the first
        clock.tick()
        for event in events[1:3]:
            store(simulator).update({**copy.deepcopy(event), "readable": "more"})
        await feed.poll()
        with pytest.raises(
            SubscriberTooSlow, match=r"^The subscriber fell too far behind the changes\.$"
        ):
            await take(stream, 10)


async def test_since_replays_first_and_never_twice(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    events = list(store(simulator).events.values())
    since = clock.now
    clock.tick()
    store(simulator).update({**copy.deepcopy(events[0]), "readable": "before joining"})
    async with feed.changes(since=since) as stream:
        await feed.poll()  # the overlap sees the same write again
        clock.tick()
        store(simulator).update({**copy.deepcopy(events[1]), "readable": "after joining"})
        await feed.poll()
        changes = await take(stream, 2)
        assert [(c.kind, c.id) for c in changes] == [
            (ChangeKind.UPDATED, events[0]["id"]),
            (ChangeKind.UPDATED, events[1]["id"]),
        ]
        assert ready(stream) == 0


async def test_the_poller_runs_only_while_someone_listens(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock, interval=0.01)
    feed._poller = True
    async with feed.changes(since=None):
        # The start's two calls, then round after round an interval apart (not a second).
        await until(lambda: len(upstream.requests) >= 10)
    assert feed._task is None  # cancelled, and awaited, with the last subscriber


async def test_the_process_limit_refuses_one_subscription_too_many(
    upstream: Recorder, clock: Clock
) -> None:
    feeds = Feeds(lambda _: make_feed(upstream, clock), Metrics(), max_subscriptions=1)
    async with feeds.changes(since=None, transferables=None):
        with pytest.raises(TooManySubscriptions):
            async with feeds.changes(since=None, transferables=None):
                pass
    async with feeds.changes(since=None, transferables=None):
        pass  # the slot is free again


async def test_a_later_change_to_a_waiting_event_is_delivered_in_its_own_turn(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    first, second = list(store(simulator).events.values())[:2]
    async with feed.changes(since=None) as stream:
        await feed.poll()
        for event, text in ((first, "a"), (second, "b"), (first, "c")):
            clock.tick()
            store(simulator).update({**copy.deepcopy(event), "readable": text})
            await feed.poll()
        changes = await take(stream, 2)
        assert [(c.id, c.event["readable"]) for c in changes if c.event] == [
            (second["id"], "b"),
            (first["id"], "c"),
        ]


async def test_a_change_replayed_to_a_newcomer_is_not_delivered_to_it_again(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    some = next(iter(store(simulator).events.values()))
    async with feed.changes(since=None) as old:
        await feed.poll()
        before = clock.now
        clock.tick()
        store(simulator).update({**copy.deepcopy(some), "readable": "new"})
        async with feed.changes(since=before) as newcomer:  # replays it, not yet polled
            (replayed,) = await take(newcomer, 1)
            assert replayed.id == some["id"]
            await feed.poll()  # and the feed now delivers it to everyone else
            assert (ready(old), ready(newcomer)) == (1, 0)


async def test_what_changed_before_anyone_listened_is_not_delivered(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    some = next(iter(store(simulator).events.values()))
    store(simulator).update({**copy.deepcopy(some), "readable": "earlier"})
    clock.tick(1)  # within the overlap of the first poll
    async with feed.changes(since=None) as stream:
        await feed.poll()
        await feed.poll()
        assert ready(stream) == 0


@pytest.fixture
def east_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The gateway's machine 5:30 east of UTC (India's zone, in POSIX `TZ` form)."""
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("east_of_utc")
async def test_the_watermark_follows_the_changes_and_old_ones_are_forgotten(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    events = list(store(simulator).events.values())
    async with feed.changes(since=None) as stream:
        await feed.poll()
        for event in events[:5]:
            clock.tick(10)
            store(simulator).update({**copy.deepcopy(event), "readable": "later"})
            upstream.clear()
            await feed.poll()
        # The last round asked from the change before it, less the overlap, in UTC.
        asked = upstream.requests[0].query["updated_from"]
        assert asked == instant(clock.now - timedelta(seconds=12))
        assert len(feed._delivered) == 1  # only what the next poll could see again
        assert ready(stream) == 5


@pytest.mark.parametrize("scan_due", [False, True], ids=["no scan", "with the scan"])
async def test_an_event_gone_between_the_two_calls_is_deleted_once(
    simulator: Starlette, clock: Clock, scan_due: bool
) -> None:
    events = list(store(simulator).events.values())
    known, unseen = events[0], None

    async def racing(scope: Any, receive: Any, send: Any) -> None:
        # Pieces OS deletes the events just after listing them as changed.
        await simulator(scope, receive, send)
        listing = scope["type"] == "http" and scope["path"].endswith("/identifiers")
        if listing and scope["query_string"] and unseen is not None:
            store(simulator).events.pop(known["id"], None)
            store(simulator).events.pop(unseen["id"], None)

    recorder = Recorder(racing)
    feed = make_feed(recorder, clock)
    async with feed.changes(since=None) as stream:
        await feed.poll()
        clock.tick()
        store(simulator).update({**copy.deepcopy(known), "readable": "then gone"})
        unseen = store(simulator).create({"application": known["application"], "trigger": {}})
        if scan_due:
            clock.tick(11)  # the deletion scan is due in the same round
        await feed.poll()
        assert ready(stream) == 1  # not again from the scan; nothing for the unseen one
        (deleted,) = await take(stream, 1)
        assert (deleted.kind, deleted.id) == (ChangeKind.DELETED, known["id"])


async def test_a_poke_polls_now_and_failures_back_off(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock, interval=3600, max_backoff=4 * 3600)
    feed._poller = True
    some = next(iter(store(simulator).events.values()))
    async with feed.changes(since=None) as stream:
        await until(lambda: len(upstream.requests) >= 2)  # the start: all ids, then changes
        clock.tick()
        store(simulator).update({**copy.deepcopy(some), "readable": "poked"})
        feed.poke()  # an hour early
        (change,) = await take(stream, 1)
        assert change.id == some["id"]
        assert feed.next_wait == 3600
        simulator.state.faults.status = 503
        for failures in (1, 2, 3):
            feed.poke()
            await until(lambda f=failures: feed.failures == f)  # type: ignore[misc]
        assert feed.next_wait == 4 * 3600  # 2^3 hours, bounded at four
        simulator.state.faults.clear()
        feed.poke()
        await until(lambda: feed.failures == 0)
        assert feed.next_wait == 3600


async def test_an_event_created_while_a_round_scans_is_created_next_round(
    simulator: Starlette, clock: Clock
) -> None:
    some = next(iter(store(simulator).events.values()))
    made: list[str] = []

    async def creating(scope: Any, receive: Any, send: Any) -> None:
        # Pieces OS records an event just as the round reads every id.
        full_scan = scope["type"] == "http" and scope["path"].endswith("/identifiers")
        if full_scan and not scope["query_string"] and clock.armed:
            clock.armed = False
            made.append(store(simulator).create({"application": some["application"]})["id"])
        await simulator(scope, receive, send)

    clock.armed = False  # type: ignore[attr-defined]
    feed = make_feed(Recorder(creating), clock)
    async with feed.changes(since=None) as stream:
        await feed.poll()
        clock.tick(11)  # the next round scans
        clock.armed = True  # type: ignore[attr-defined]
        await feed.poll()  # its changes were asked for before the event was made
        await feed.poll()
        (created,) = await take(stream, 1)
        assert (created.kind, created.id) == (ChangeKind.CREATED, made[0])


async def test_a_replay_longer_than_a_subscriber_may_hold_is_refused_unfetched(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock, max_pending=2)
    since = clock.now
    clock.tick()
    for event in list(store(simulator).events.values())[:3]:
        store(simulator).update({**copy.deepcopy(event), "readable": "changed"})
    upstream.clear()
    with pytest.raises(BadUserInput, match="would replay 3"):
        async with feed.changes(since=since):
            pass
    assert [r.path for r in upstream.requests] == ["/workstream_events/identifiers"]


async def test_a_replay_as_long_as_a_subscriber_may_hold_is_each_event_as_it_is_now(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock, max_pending=2)
    since = clock.now
    new = store(simulator).create({"readable": "created at since"})
    clock.tick()
    old = next(iter(store(simulator).events.values()))
    store(simulator).update({**copy.deepcopy(old), "readable": "changed after since"})
    async with feed.changes(since=since) as stream:
        replayed = {change.id: change for change in await take(stream, 2)}
    assert replayed[new["id"]].kind is ChangeKind.CREATED  # created at `since` itself
    assert replayed[old["id"]].kind is ChangeKind.UPDATED
    event = replayed[old["id"]].event
    assert event is not None and event["readable"] == "changed after since"


async def test_every_id_is_read_at_the_start_and_then_once_per_deletion_scan(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)  # a deletion scan every ten seconds
    reads = []
    async with feed.changes(since=None):
        for seconds in (0, 1, 8, 1, 1, 9, 1):  # rounds at 0, 1, 9, 10, 11, 20 and 21 s
            clock.tick(seconds)
            upstream.clear()
            await feed.poll()
            reads.append(full_reads(upstream))
    assert reads == [1, 0, 0, 1, 0, 1, 0]


async def test_a_poll_is_timed_on_the_feeds_clock(simulator: Starlette, clock: Clock) -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await simulator(scope, receive, send)
        if scope["type"] == "http":
            clock.tick(0.25)  # each answer takes a quarter of a second

    feed = make_feed(Recorder(slow), clock)
    async with feed.changes(since=None):
        await feed.poll()  # the start: every id, then what changed
    registry = feed._metrics.registry
    name = "pieces_gateway_change_poll_duration_seconds"
    assert registry.get_sample_value(f"{name}_count") == 1
    assert registry.get_sample_value(f"{name}_sum") == 0.5


async def test_a_poll_slower_than_the_interval_is_followed_by_the_next_at_once(
    simulator: Starlette, clock: Clock
) -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await simulator(scope, receive, send)
        if scope["type"] == "http":
            clock.tick(3600)  # each answer takes an hour

    recorder = Recorder(slow)
    feed = make_feed(recorder, clock, interval=3600)
    feed._poller = True
    async with feed.changes(since=None):
        # The start's two calls took two intervals: the next round does not wait one more.
        await until(lambda: len(recorder.requests) >= 3)


async def test_a_feed_started_in_an_outage_logs_each_failed_poll_and_backs_off_to_30_s(
    simulator: Starlette, upstream: Recorder, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    feed = make_feed(upstream, clock, interval=1.0)
    feed._poller = True
    simulator.state.faults.status = 503
    with caplog.at_level(logging.WARNING, logger="pieces_gateway.feed"):
        async with feed.changes(since=None):
            for failures in range(1, 6):
                await until(lambda f=failures: feed.failures == f)  # type: ignore[misc]
                if failures < 5:
                    feed.poke()
    assert [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.feed"] == [
        f"change feed poll failed (UPSTREAM_ERROR); next in {seconds:.1f} s"
        for seconds in (2, 4, 8, 16, 30)
    ]


@pytest.mark.parametrize(
    ("transferables", "query"),
    [(None, {}), (False, {"transferables": "false"}), (True, {"transferables": "true"})],
)
async def test_a_feed_fetches_the_changed_events_with_its_transferables(
    simulator: Starlette,
    upstream: Recorder,
    clock: Clock,
    transferables: bool | None,
    query: dict[str, str],
) -> None:
    feed = make_feed(upstream, clock, transferables=transferables)
    events = list(store(simulator).events.values())[:2]
    async with feed.changes(since=None) as stream:
        await feed.poll()
        clock.tick()
        for event in events:
            store(simulator).update({**copy.deepcopy(event), "readable": "changed"})
        upstream.clear()
        await feed.poll()
        changes = await take(stream, 2)
    assert {c.id for c in changes} == {e["id"] for e in events}
    fetches = [r for r in upstream.requests if r.path == "/workstream_events/batch/fetch"]
    assert [r.query for r in fetches] == [query]


async def test_a_subscriber_of_one_event_is_offered_its_changes_alone(
    simulator: Starlette, upstream: Recorder, clock: Clock
) -> None:
    feed = make_feed(upstream, clock)
    first, second = list(store(simulator).events.values())[:2]
    async with (
        feed.changes(since=None) as everything,
        feed.changes(since=None, only=first["id"]) as one,
    ):
        await feed.poll()
        clock.tick()
        for event in (first, second):
            store(simulator).update({**copy.deepcopy(event), "readable": "changed"})
        await feed.poll()
        assert (ready(everything), ready(one)) == (2, 1)
        (change,) = await take(one, 1)
        assert change.id == first["id"]


async def test_an_event_stamped_the_instant_the_feed_starts_is_delivered(
    simulator: Starlette, clock: Clock
) -> None:
    some = next(iter(store(simulator).events.values()))
    made: list[str] = []

    async def creating(scope: Any, receive: Any, send: Any) -> None:
        # Pieces OS records an event just after it listed every id, on the same instant.
        await simulator(scope, receive, send)
        full_scan = scope["type"] == "http" and scope["path"].endswith("/identifiers")
        if full_scan and not scope["query_string"] and not made:
            made.append(store(simulator).create({"application": some["application"]})["id"])

    feed = make_feed(Recorder(creating), clock)
    async with feed.changes(since=None) as stream:
        await feed.poll()  # its changes count from that instant, inclusive
        assert ready(stream) == 1
        (created,) = await take(stream, 1)
        assert (created.kind, created.id) == (ChangeKind.CREATED, made[0])


async def test_an_event_gone_before_its_replay_is_fetched_is_left_out_of_it(
    simulator: Starlette, clock: Clock
) -> None:
    since = clock.now
    clock.tick()
    old = next(iter(store(simulator).events.values()))
    store(simulator).update({**copy.deepcopy(old), "readable": "changed after since"})
    new = store(simulator).create({"readable": "created after since"})  # listed first, newest

    async def racing(scope: Any, receive: Any, send: Any) -> None:
        # Pieces OS deletes the new event just after listing it as changed.
        await simulator(scope, receive, send)
        if scope["type"] == "http" and scope["path"].endswith("/identifiers"):
            store(simulator).events.pop(new["id"], None)

    feed = make_feed(Recorder(racing), clock)
    async with feed.changes(since=since) as stream:
        assert ready(stream) == 1
        (replayed,) = await take(stream, 1)
    assert (replayed.kind, replayed.id) == (ChangeKind.UPDATED, old["id"])
