"""Related records (tags, websites, summaries, ...): batched, deduplicated, and per operation.

`RecordFetcher` lives for the process; each operation gets a `RecordLoaders`
from it, with one DataLoader per relation, made when the operation first asks
for a record of it. However many events, aliases or entities of one operation
point at the same tag, it is fetched once; all the distinct ids of a relation
asked for in one tick go upstream together. Workstream summaries go through
`POST /workstream_summaries/batch` in chunks (one GET each on a Pieces OS
without it); the other relations have only a GET by id, sent concurrently
within the process's bound on single reads (`--upstream-concurrency`, shared
with the snapshots). One operation fetches `--max-records` distinct records at
most, whatever its documents' shape: a reference past them is null with
MAX_RECORDS_EXCEEDED (a thousand events of ten tags each, each tag's websites,
... would otherwise be as many GETs).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from strawberry.dataloader import DataLoader

from gateway._client import BatchResult, UpstreamClient
from gateway._loaders import ById
from schema import RELATIONS, Json, Relation, as_flattened, check_id
from schema.errors import GatewayError, RecordsExceeded

__all__ = ["RecordFetcher", "RecordLoaders"]

Outcome = Json | BaseException


class RecordFetcher:
    def __init__(
        self,
        *,
        batch_size: int,
        singles: asyncio.Semaphore,
        max_records: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_records = max_records
        self._by_id = {
            relation.key: ById[Json](
                relation.noun, batch_size=batch_size, singles=singles, clock=clock
            )
            for relation in RELATIONS
        }

    def loaders(self, upstream: UpstreamClient) -> RecordLoaders:
        """The loaders of one operation (their caches must not outlive it)."""
        return RecordLoaders(self, upstream)

    async def fetch(
        self, upstream: UpstreamClient, relation: Relation, ids: Sequence[str]
    ) -> list[Outcome]:
        """One outcome per id, in order: the record in its flattened form, or the
        error for that id alone."""
        outcomes: dict[str, Outcome] = {}
        valid: list[str] = []
        for record_id in ids:
            try:
                valid.append(check_id(record_id))
            except GatewayError as exc:
                outcomes[record_id] = exc
        if valid:
            single = partial(upstream.record, relation)
            batch = _batch_endpoint(upstream, relation)
            for record_id, outcome in (
                await self._by_id[relation.key].fetch(valid, single, batch)
            ).items():
                outcomes[record_id] = (
                    outcome
                    if isinstance(outcome, BaseException)
                    else as_flattened(relation, outcome)
                )
        return [outcomes[record_id] for record_id in ids]


def _batch_endpoint(
    upstream: UpstreamClient, relation: Relation
) -> Callable[[list[str]], Awaitable[BatchResult[Json]]] | None:
    """The relation's batch endpoint, where Pieces OS has one."""
    return upstream.batch_summaries if relation.key == "summaries" else None


class RecordLoaders:
    """`schema.Records` for one operation."""

    __slots__ = ("_fetcher", "_left", "_loaders", "_upstream")

    def __init__(self, fetcher: RecordFetcher, upstream: UpstreamClient) -> None:
        self._fetcher = fetcher
        self._upstream = upstream
        self._loaders: dict[str, DataLoader[str, Json]] = {}
        self._left = fetcher.max_records  # distinct records this operation may still fetch

    def renewed(self) -> RecordLoaders:
        return RecordLoaders(self._fetcher, self._upstream)

    def load(self, relation: Relation, record_id: str) -> Awaitable[Json]:
        loader = self._loaders.get(relation.key)
        if loader is None:
            fetch = partial(self._fetch, relation)
            loader = self._loaders[relation.key] = DataLoader(load_fn=fetch, max_batch_size=None)
        return loader.load(record_id)

    async def _fetch(self, relation: Relation, ids: Sequence[str]) -> list[Outcome]:
        """One DataLoader batch (distinct ids), within what the operation may still fetch."""
        allowed = list(ids[: self._left])
        self._left -= len(allowed)
        outcomes = await self._fetcher.fetch(self._upstream, relation, allowed) if allowed else []
        message = f"This operation asked for more than {self._fetcher.max_records} related records."
        return [*outcomes, *(RecordsExceeded(message) for _ in ids[len(allowed) :])]
