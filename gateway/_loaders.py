"""Snapshot reads: batched, deduplicated, and per operation.

`SnapshotFetcher` lives for the process. Each operation gets its own DataLoader
from it, so that however many fields, aliases, payloads or entities of one
operation ask for the same (id, transferables), the upstream is asked once, and
all the distinct ids asked for in one tick go upstream together: through
`POST /workstream_events/batch/fetch` in chunks, or, on an older Pieces OS
without that endpoint (404/405, remembered for five minutes), as concurrent
single GETs with bounded concurrency. `ById` is that way of fetching, for any
kind of record with a GET by id and maybe a batch endpoint (`gateway._related`
fetches workstream summaries with it too).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

from gateway._client import BatchResult, BatchUnsupported, UpstreamClient
from gateway._metrics import Metrics
from schema import Snapshot, SnapshotKey, check_id
from schema.errors import GatewayError, NotFound, UpstreamBadResponse, shown_id

__all__ = ["ById", "SnapshotFetcher"]

logger = logging.getLogger("pieces_gateway.loaders")

_ASK_BATCH_AGAIN_AFTER = 300.0  # seconds
_CHUNKS_AT_ONCE = 4

T = TypeVar("T")
Outcome = Snapshot | BaseException
Single = Callable[[str], Awaitable[T]]
Batch = Callable[[list[str]], Awaitable[BatchResult[T]]]


class ById(Generic[T]):
    """How one kind of record is fetched by id, for the process.

    Several ids go through the batch endpoint in chunks of `batch_size`, a few
    chunks at a time, while the upstream has one; one id, or every id once the
    upstream said it has no batch endpoint (404/405: an older Pieces OS, asked
    again after five minutes), goes through the GET by id, at most
    `singles`' worth at once across the process.
    """

    def __init__(
        self,
        noun: str,
        *,
        batch_size: int,
        singles: asyncio.Semaphore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._noun = noun
        self._batch_size = batch_size
        self._singles = singles
        self._clock = clock
        self._no_batch_until = -math.inf

    @property
    def batch_supported(self) -> bool:
        """False for a while after the upstream said it has no batch endpoint."""
        return self._clock() >= self._no_batch_until

    async def fetch(
        self, ids: list[str], single: Single[T], batch: Batch[T] | None = None
    ) -> dict[str, T | BaseException]:
        """One outcome per distinct id: the record, or the error for that id alone."""
        if batch is None or len(ids) == 1 or not self.batch_supported:
            return await self._singles_for(ids, single)
        size = self._batch_size
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        # A few chunks at a time: one big read must not take every connection.
        at_once = asyncio.Semaphore(_CHUNKS_AT_ONCE)

        async def one_chunk(chunk: list[str]) -> dict[str, T | BaseException]:
            async with at_once:
                return await self._batch(chunk, single, batch)

        outcomes: dict[str, T | BaseException] = {}
        for chunk_outcomes in await asyncio.gather(*(one_chunk(c) for c in chunks)):
            outcomes.update(chunk_outcomes)
        return outcomes

    async def _batch(
        self, ids: list[str], single: Single[T], batch: Batch[T]
    ) -> dict[str, T | BaseException]:
        if not self.batch_supported:
            return await self._singles_for(ids, single)
        try:
            result = await batch(ids)
        except BatchUnsupported:
            if self.batch_supported:
                logger.info("Pieces OS has no batch endpoint: fetching each %s alone", self._noun)
            # Remembered for the process, but not forever: Pieces OS may be
            # upgraded (or rediscovered) while the gateway runs.
            self._no_batch_until = self._clock() + _ASK_BATCH_AGAIN_AFTER
            return await self._singles_for(ids, single)
        except GatewayError as exc:
            return dict.fromkeys(ids, exc)
        outcomes: dict[str, T | BaseException] = {}
        for each in ids:
            if each in result.found:
                outcomes[each] = result.found[each]
            elif each in result.not_found:
                outcomes[each] = NotFound.record(self._noun, each)
            else:
                outcomes[each] = UpstreamBadResponse(
                    f"Pieces OS did not answer for the {self._noun} {shown_id(each)}."
                )
        return outcomes

    async def _singles_for(self, ids: list[str], single: Single[T]) -> dict[str, T | BaseException]:
        async def one(each: str) -> T:
            async with self._singles:
                return await single(each)

        if len(ids) == 1:  # the usual case: no task for one read
            try:
                return {ids[0]: await one(ids[0])}
            except Exception as exc:
                return {ids[0]: exc}
        outcomes = await asyncio.gather(*(one(each) for each in ids), return_exceptions=True)
        return dict(zip(ids, outcomes, strict=True))


class SnapshotFetcher:
    def __init__(
        self,
        metrics: Metrics,
        *,
        batch_size: int,
        singles: asyncio.Semaphore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._events = ById[Snapshot](
            "workstream event", batch_size=batch_size, singles=singles, clock=clock
        )

    @property
    def batch_supported(self) -> bool:
        """False for a while after the upstream said it has no batch endpoint."""
        return self._events.batch_supported

    def loader(self, upstream: UpstreamClient) -> DataLoader[SnapshotKey, Snapshot]:
        """A DataLoader for one operation (its cache must not outlive it)."""

        async def load(keys: Sequence[SnapshotKey]) -> list[Outcome]:
            self._metrics.batch_size.observe(len(keys))
            return await self.fetch(upstream, keys)

        return DataLoader(load_fn=load, max_batch_size=None)

    async def fetch(self, upstream: UpstreamClient, keys: Sequence[SnapshotKey]) -> list[Outcome]:
        """One outcome per key, in order: the event, or the error for that key alone."""
        outcomes: dict[SnapshotKey, Outcome] = {}
        groups: dict[bool | None, list[str]] = defaultdict(list)
        for key in keys:
            try:
                check_id(key.id)
            except GatewayError as exc:
                outcomes[key] = exc
            else:
                groups[key.transferables].append(key.id)
        if len(groups) == 1:  # the usual case: no task for one group
            ((flag, ids),) = groups.items()
            fetched = [await self._group(upstream, ids, flag)]
        else:
            fetched = await asyncio.gather(
                *(self._group(upstream, ids, flag) for flag, ids in groups.items())
            )
        for transferables, group in zip(groups, fetched, strict=True):
            for event_id, outcome in group.items():
                outcomes[SnapshotKey(event_id, transferables)] = outcome
        return [outcomes[key] for key in keys]

    def _group(
        self, upstream: UpstreamClient, ids: list[str], transferables: bool | None
    ) -> Awaitable[dict[str, Outcome]]:
        # Partials, not closures: no frame of ours between the loader and the call.
        single = partial(upstream.snapshot, transferables=transferables)
        batch = partial(upstream.batch_snapshots, transferables=transferables)
        return self._events.fetch(ids, single, batch)
