"""Snapshot reads: batched, deduplicated, and per operation.

`SnapshotFetcher` lives for the process. Each operation gets its own DataLoader
from it, so that however many fields, aliases, payloads or entities of one
operation ask for the same (id, transferables), the upstream is asked once, and
all the distinct ids asked for in one tick go upstream together: through
`POST /workstream_events/batch/fetch` in chunks, or, on an older Pieces OS
without that endpoint (404/405, remembered for five minutes), as concurrent
single GETs with bounded concurrency.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from strawberry.dataloader import DataLoader

from gateway._client import BatchUnsupported, UpstreamClient
from gateway._metrics import Metrics
from schema import Snapshot, SnapshotKey, check_id
from schema.errors import GatewayError, NotFound, UpstreamBadResponse, shown_id

__all__ = ["SnapshotFetcher"]

logger = logging.getLogger("pieces_gateway.loaders")

_ASK_BATCH_AGAIN_AFTER = 300.0  # seconds
_CHUNKS_AT_ONCE = 4

Outcome = Snapshot | BaseException


class SnapshotFetcher:
    def __init__(
        self,
        metrics: Metrics,
        *,
        batch_size: int,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._batch_size = batch_size
        self._singles = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._no_batch_until = -math.inf

    @property
    def batch_supported(self) -> bool:
        """False for a while after the upstream said it has no batch endpoint."""
        return self._clock() >= self._no_batch_until

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

    async def _group(
        self, upstream: UpstreamClient, ids: list[str], transferables: bool | None
    ) -> dict[str, Outcome]:
        if len(ids) == 1 or not self.batch_supported:
            return await self._singles_for(upstream, ids, transferables)
        size = self._batch_size
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        # A few chunks at a time: one big read must not take every connection.
        at_once = asyncio.Semaphore(_CHUNKS_AT_ONCE)

        async def one_chunk(chunk: list[str]) -> dict[str, Outcome]:
            async with at_once:
                return await self._batch(upstream, chunk, transferables)

        outcomes: dict[str, Outcome] = {}
        for chunk_outcomes in await asyncio.gather(*(one_chunk(c) for c in chunks)):
            outcomes.update(chunk_outcomes)
        return outcomes

    async def _batch(
        self, upstream: UpstreamClient, ids: list[str], transferables: bool | None
    ) -> dict[str, Outcome]:
        if not self.batch_supported:
            return await self._singles_for(upstream, ids, transferables)
        try:
            result = await upstream.batch_snapshots(ids, transferables=transferables)
        except BatchUnsupported:
            if self.batch_supported:
                logger.info("Pieces OS has no batch endpoint: fetching snapshots one by one")
            # Remembered for the process, but not forever: Pieces OS may be
            # upgraded (or rediscovered) while the gateway runs.
            self._no_batch_until = self._clock() + _ASK_BATCH_AGAIN_AFTER
            return await self._singles_for(upstream, ids, transferables)
        except GatewayError as exc:
            return dict.fromkeys(ids, exc)
        outcomes: dict[str, Outcome] = {}
        for event_id in ids:
            if event_id in result.found:
                outcomes[event_id] = result.found[event_id]
            elif event_id in result.not_found:
                outcomes[event_id] = NotFound.event(event_id)
            else:
                outcomes[event_id] = UpstreamBadResponse(
                    f"Pieces OS did not answer for the workstream event {shown_id(event_id)}."
                )
        return outcomes

    async def _singles_for(
        self, upstream: UpstreamClient, ids: list[str], transferables: bool | None
    ) -> dict[str, Outcome]:
        async def one(event_id: str) -> Snapshot:
            async with self._singles:
                return await upstream.snapshot(event_id, transferables=transferables)

        if len(ids) == 1:  # the usual case: no task for one read
            try:
                return {ids[0]: await one(ids[0])}
            except Exception as exc:
                return {ids[0]: exc}
        outcomes = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
        return dict(zip(ids, outcomes, strict=True))
