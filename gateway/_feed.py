"""One change feed per process: Pieces OS polled once an interval for every subscriber.

Pieces OS has no stream of workstream event changes, but its identifiers
endpoint filters by `updated_from`: that is the feed. While at least one
subscriber listens, `ChangeFeed` asks every `interval` seconds which events
changed since its watermark, fetches those once (through `SnapshotFetcher`:
the batch endpoint in bounded chunks, or single GETs), and offers each change
to every subscriber. So an interval costs one identifiers call plus one batch
call per `batch_size` changed events, whatever the number of subscribers.

* **Watermark.** The newest `updated` instant seen. Each poll asks from the
  watermark minus `overlap` seconds, so a write that Pieces OS stamped just
  before the watermark but committed after the last poll is still seen; a
  change already delivered (same id, same `updated`) is not delivered again.
  The first poll starts from the moment the feed started (Pieces OS runs on
  the same machine, on the same clock), minus the overlap.
* **Kinds.** An id the feed has not seen is CREATED, one it knows UPDATED. The
  full id list, read when the feed starts and every `deletion_scan` seconds,
  is what it knows; an id gone from it is DELETED (so is a changed id the
  batch answers `notFound` for).
* **Outages.** A poll that fails changes nothing: the watermark stays, the next
  poll waits twice as long (up to `max_backoff`), and once Pieces OS answers,
  what changed meanwhile arrives. No subscription ends for it.
* **Subscribers** each have a bounded queue where changes to one id coalesce
  to the latest; one that falls `max_pending` distinct events behind is ended
  (`SubscriberTooSlow`). `since` replays, for that subscriber alone, the events
  created or updated after that instant before the live changes.
* A write made through the gateway calls `poke()`: the next poll starts now.
* The poller runs only while someone listens, and stops with the last one.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from gateway._client import UpstreamClient
from gateway._loaders import SnapshotFetcher
from gateway._metrics import Metrics
from schema import Json, SnapshotKey
from schema._subscription import Change, ChangeKind
from schema.errors import BadUserInput, GatewayError, NotFound, UpstreamFailure

__all__ = ["ChangeFeed", "Feeds", "SubscriberTooSlow", "TooManySubscriptions"]

logger = logging.getLogger("pieces_gateway.feed")


class SubscriberTooSlow(GatewayError):
    code = "SUBSCRIBER_TOO_SLOW"


class TooManySubscriptions(GatewayError):
    code = "MAX_SUBSCRIPTIONS_EXCEEDED"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)  # Python 3.11 reads the upstream's "Z" itself


class _Subscriber:
    """A bounded queue of changes, one per event id, the latest winning."""

    def __init__(self, max_pending: int, only: str | None, metrics: Metrics) -> None:
        self._pending: dict[str, Change] = {}
        self._ready = asyncio.Event()
        self._max = max_pending
        self._metrics = metrics
        self.only = only
        self.replayed: dict[str, str | None] = {}  # what `since` gave: not again live
        self.ended: GatewayError | None = None

    def offer(self, change: Change) -> None:
        if self.ended is not None or (self.only is not None and change.id != self.only):
            return
        if change.id in self.replayed and self.replayed.pop(change.id) == change.at:
            return
        if change.id in self._pending:
            del self._pending[change.id]  # the latest state, delivered in its own turn
            self._metrics.live_coalesced.inc()
        elif len(self._pending) >= self._max:
            self._metrics.live_dropped.inc()
            self.end(SubscriberTooSlow("The subscriber fell too far behind the changes."))
            return
        self._pending[change.id] = change
        self._ready.set()

    @property
    def pending(self) -> int:
        """Changes waiting to be taken."""
        return len(self._pending)

    def end(self, error: GatewayError) -> None:
        self.ended = error
        self._ready.set()

    async def __aiter__(self) -> AsyncIterator[Change]:
        while True:
            await self._ready.wait()
            if self.ended is not None:
                raise self.ended
            pending, self._pending = self._pending, {}
            self._ready.clear()
            for change in pending.values():
                self._metrics.live_delivered.inc()
                yield change


class ChangeFeed:
    def __init__(
        self,
        upstream: UpstreamClient,
        fetcher: SnapshotFetcher,
        metrics: Metrics,
        *,
        transferables: bool | None = None,
        interval: float = 1.0,
        deletion_scan: float = 10.0,
        overlap: float = 2.0,
        max_pending: int = 1_000,
        max_backoff: float = 30.0,
        wall_clock: Callable[[], datetime] = _utc_now,
        clock: Callable[[], float] = time.monotonic,
        poller: bool = True,
    ) -> None:
        self._upstream = upstream
        self._fetcher = fetcher
        self._metrics = metrics
        self._transferables = transferables
        self.interval = interval
        self._deletion_scan = deletion_scan
        self._overlap = timedelta(seconds=overlap)
        self._max_pending = max_pending
        self._max_backoff = max_backoff
        self._wall_clock = wall_clock
        self._clock = clock
        self._subscribers: set[_Subscriber] = set()
        self._known: set[str] = set()  # every id: from the last full scan, and since
        self._delivered: dict[str, str] = {}  # id -> the `updated` last delivered (recent ones)
        self._watermark: datetime | None = None  # None: not started
        self._next_scan = -math.inf
        self._poke = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._poller = poller  # False: whoever made the feed calls `poll` (tests)
        self.failures = 0

    @asynccontextmanager
    async def changes(
        self, *, since: datetime | None, only: str | None = None
    ) -> AsyncIterator[_Subscriber]:
        """A subscriber's changes until the block ends (the first one starts the poller)."""
        subscriber = _Subscriber(self._max_pending, only, self._metrics)
        if since is not None:
            for change in await self._replay(since):
                subscriber.offer(change)
                subscriber.replayed[change.id] = change.at
        self._subscribers.add(subscriber)
        if self._task is None and self._poller:
            self._task = asyncio.create_task(self._run(), name="pieces-gateway change feed")
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers:
                if self._task is not None:
                    task, self._task = self._task, None
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                self._watermark = None  # a later start scans afresh

    def poke(self) -> None:
        """Poll now (a write went through the gateway)."""
        self._poke.set()

    async def _run(self) -> None:
        while True:
            started = self._clock()
            try:
                await self.poll()
            except UpstreamFailure as exc:
                self.failures += 1
                logger.warning(
                    "change feed poll failed (%s); next in %.1f s", exc.code, self.next_wait
                )
            else:
                self.failures = 0
            self._poke.clear()
            # Polls start an interval apart: the poll's own time is part of the wait.
            wait = max(0.0, self.next_wait - (self._clock() - started))
            try:
                async with asyncio.timeout(wait):
                    await self._poke.wait()
            except TimeoutError:
                pass

    @property
    def next_wait(self) -> float:
        """Seconds until the next poll: the interval, doubled per failed poll up to a bound."""
        if not self.failures:
            return self.interval
        return float(min(self.interval * 2**self.failures, self._max_backoff))

    async def poll(self) -> None:
        """One round: what changed since the watermark, offered to every subscriber."""
        started = self._clock()
        if self._watermark is None:
            # The start: what exists now is known, and changes count from now.
            self._known = set(await self._upstream.identifiers({}))
            self._watermark = self._wall_clock()
            self._delivered.clear()
            self._next_scan = started + self._deletion_scan
            start = self._watermark
        else:
            start = None
        floor = self._watermark - self._overlap
        changed = await self._upstream.identifiers({"updated_from": _instant(floor)})
        for event_id, event in await self._fetch(changed):
            if event is None:
                self._offer(Change(ChangeKind.DELETED, event_id, None, None))
            elif start is not None and _parse(event["updated"]["value"]) < start:
                self._delivered[event_id] = event["updated"]["value"]  # before anyone listened
            else:
                kind = ChangeKind.UPDATED if event_id in self._known else ChangeKind.CREATED
                self._offer(Change(kind, event_id, str(event["updated"]["value"]), event))
        if started >= self._next_scan:
            everything = set(await self._upstream.identifiers({}))
            for gone in self._known - everything:
                self._offer(Change(ChangeKind.DELETED, gone, None, None))
            # Not `|= everything`: an id created since this round's changes were
            # asked for is news to the next round, a CREATED (`_offer` adds it).
            self._next_scan = started + self._deletion_scan
        # What is older than the window asked for is never answered again.
        oldest = _instant(self._watermark - self._overlap)
        self._delivered = {k: v for k, v in self._delivered.items() if v >= oldest}
        self._metrics.live_poll_seconds.observe(self._clock() - started)

    async def _fetch(self, ids: list[str]) -> list[tuple[str, Json | None]]:
        """Each id's event now, or None for one Pieces OS no longer has."""
        keys = [SnapshotKey(event_id, self._transferables) for event_id in ids]
        outcomes = await self._fetcher.fetch(self._upstream, keys)
        fetched: list[tuple[str, Json | None]] = []
        for event_id, outcome in zip(ids, outcomes, strict=True):
            if isinstance(outcome, NotFound):  # deleted between the two calls
                fetched.append((event_id, None))
            elif isinstance(outcome, BaseException):
                raise outcome  # the whole poll again, from the same watermark
            else:
                fetched.append((event_id, outcome.json))
        return fetched

    def _offer(self, change: Change) -> None:
        if change.kind is ChangeKind.DELETED:
            if change.id not in self._known:
                return  # gone already, or never seen
            self._known.discard(change.id)
            self._delivered.pop(change.id, None)
        else:
            assert change.at is not None
            if self._delivered.get(change.id) == change.at:
                return  # seen in the overlap already
            self._delivered[change.id] = change.at
            self._known.add(change.id)
            moment = _parse(change.at)
            if self._watermark is None or moment > self._watermark:
                self._watermark = moment
        self._metrics.live_changes.inc()
        for subscriber in list(self._subscribers):
            subscriber.offer(change)

    async def _replay(self, since: datetime) -> list[Change]:
        ids = await self._upstream.identifiers({"updated_from": _instant(since)})
        if len(ids) > self._max_pending:  # each replay is fetched for its subscriber alone
            raise BadUserInput(
                f"`since` would replay {len(ids)} changed events, more than the"
                f" {self._max_pending} a subscriber may hold: read them with a query first."
            )
        replayed = []
        for event_id, event in await self._fetch(ids):
            if event is None:
                continue
            created = _parse(event["created"]["value"]) >= since
            kind = ChangeKind.CREATED if created else ChangeKind.UPDATED
            replayed.append(Change(kind, event_id, str(event["updated"]["value"]), event))
        return replayed


class Feeds:
    """The process's change feeds (one per `transferables` value), and its subscription limit."""

    def __init__(
        self, make: Callable[[bool | None], ChangeFeed], metrics: Metrics, *, max_subscriptions: int
    ) -> None:
        self._make = make
        self._metrics = metrics
        self._feeds: dict[bool | None, ChangeFeed] = {}
        self._max = max_subscriptions
        self._active = 0

    @asynccontextmanager
    async def changes(
        self, *, since: str | None, transferables: bool | None, only: str | None = None
    ) -> AsyncIterator[AsyncIterable[Change]]:
        """schema._subscription.ChangeSource: `since` is an instant as the upstream writes it."""
        if self._active >= self._max:
            raise TooManySubscriptions(
                f"The gateway serves {self._max} subscriptions at most; try again later."
            )
        feed = self._feeds.get(transferables)
        if feed is None:
            feed = self._feeds[transferables] = self._make(transferables)
        self._active += 1
        self._metrics.live_subscriptions.inc()
        try:
            start = None if since is None else _parse(since)
            async with feed.changes(since=start, only=only) as stream:
                yield stream
        finally:
            self._active -= 1
            self._metrics.live_subscriptions.dec()

    def poke(self) -> None:
        for feed in self._feeds.values():
            feed.poke()
